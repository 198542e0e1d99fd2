//! Users: created with an Argon2id password hash, authenticated in constant time, disabled
//! rather than deleted; every creation, role change, sign-in and failed sign-in is audited.

use super::audit::append;
use super::schema::users as table;
use super::{NewAuditEntry, Store, StoreError, now_ms};
use crate::domain::Role;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use diesel::prelude::*;

/// A user as the console sees one (never the hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
}

type Row = (String, String, String, String, bool, i64);

fn user(row: &Row) -> Result<User, StoreError> {
    let role = Role::from_code(&row.2).ok_or_else(|| StoreError::Corrupt {
        table: "users",
        key: row.0.clone(),
        reason: format!("'{}' is not a role", row.2),
    })?;
    Ok(User {
        username: row.0.clone(),
        display_name: row.1.clone(),
        role,
        disabled: row.4,
    })
}

/// Why a sign-in failed (one message for an unknown name and a wrong password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("wrong user name or password")]
    Wrong,
    #[error("this user is disabled")]
    Disabled,
}

fn hash(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Rejected {
        what: "password".into(),
        reason: format!("no randomness: {e}"),
    })?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Rejected {
        what: "password".into(),
        reason: e.to_string(),
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Rejected {
            what: "password".into(),
            reason: e.to_string(),
        })
}

impl Store {
    /// Adds a user. Names are 2–32 letters, digits, dots, dashes or underscores; passwords
    /// at least 8 characters.
    pub fn create_user(
        &mut self,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let refuse = |reason: &str| StoreError::Rejected {
            what: format!("user {username}"),
            reason: reason.into(),
        };
        let name_ok = (2..=32).contains(&username.len())
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_ok {
            return Err(refuse(
                "a user name is 2–32 letters, digits, dots, dashes or underscores",
            ));
        }
        if password.chars().count() < 8 {
            return Err(refuse("a password needs at least 8 characters"));
        }
        let password_hash = hash(password)?;
        self.write_transaction(|conn| {
            let exists: i64 = table::table
                .filter(table::username.eq(username))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                return Err(refuse("exists already"));
            }
            diesel::insert_into(table::table)
                .values((
                    table::username.eq(username),
                    table::display_name.eq(display_name),
                    table::role.eq(role.code()),
                    table::password_hash.eq(&password_hash),
                    table::disabled.eq(false),
                    table::created_at_ms.eq(now_ms()),
                ))
                .execute(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.to_owned(),
                    action: crate::domain::AuditAction::UserCreate,
                    subject: username.to_owned(),
                    detail: serde_json::json!({ "role": role.code() }),
                },
            )
        })
    }

    /// Changes a user's role, or disables them.
    pub fn update_user(
        &mut self,
        username: &str,
        role: Option<Role>,
        disabled: Option<bool>,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            let mut changed = 0;
            if let Some(role) = role {
                changed += diesel::update(table::table.find(username))
                    .set(table::role.eq(role.code()))
                    .execute(conn)?;
            }
            if let Some(disabled) = disabled {
                changed += diesel::update(table::table.find(username))
                    .set(table::disabled.eq(disabled))
                    .execute(conn)?;
            }
            if changed == 0 {
                return Err(StoreError::Query(diesel::result::Error::NotFound));
            }
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.to_owned(),
                    action: crate::domain::AuditAction::UserUpdate,
                    subject: username.to_owned(),
                    detail: serde_json::json!({
                        "role": role.map(Role::code),
                        "disabled": disabled,
                    }),
                },
            )
        })
    }

    pub fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<Row> = table::table
            .order(table::username.asc())
            .load(&mut self.conn)?;
        rows.iter().map(user).collect()
    }

    /// Checks a sign-in; success and failure are both audited.
    pub fn sign_in(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<Result<User, SignInError>, StoreError> {
        let row: Option<Row> = table::table
            .find(username)
            .first(&mut self.conn)
            .optional()?;
        let outcome = match &row {
            None => {
                // Spend the same time as a real check, so names cannot be probed by timing.
                let _ = hash(password);
                Err(SignInError::Wrong)
            }
            Some(row) => {
                let good = PasswordHash::new(&row.3)
                    .map(|parsed| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false);
                match (good, row.4) {
                    (false, _) => Err(SignInError::Wrong),
                    (true, true) => Err(SignInError::Disabled),
                    (true, false) => Ok(user(row)?),
                }
            }
        };
        self.append_audit(&NewAuditEntry {
            actor: username.to_owned(),
            action: if outcome.is_ok() {
                crate::domain::AuditAction::UserSignIn
            } else {
                crate::domain::AuditAction::UserSignInFailed
            },
            subject: username.to_owned(),
            detail: serde_json::json!({}),
        })?;
        Ok(outcome)
    }
}
