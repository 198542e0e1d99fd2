//! Users and service accounts: created with an Argon2id password hash, authenticated in
//! constant time, disabled rather than deleted; every creation, role change, sign-in, failed
//! sign-in and lockout is audited. After five failures in a row a user is locked out for a
//! growing time. Only an administrator manages users, except the first administrator of a
//! database, created in one transaction (of two workstations racing, one wins), and the last
//! active administrator cannot be disabled or given another role.

use super::audit::append;
use super::principal::Principal;
use super::schema::sign_in_tokens as tokens;
use super::schema::users as table;
use super::{AnyConnection, NewAuditEntry, Store, StoreError, now_ms};
use crate::domain::hex::to_hex;
use crate::domain::{AuditAction, Permission, Role};
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

/// A stored user as this module reads one (the hash never leaves it).
#[derive(Queryable, Selectable)]
#[diesel(table_name = super::schema::users)]
struct Row {
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled: bool,
    locked_until_ms: Option<i64>,
}

/// Failures in a row after which a user is locked out, the first lockout, and the longest.
const FAILURES_BEFORE_LOCKOUT: i32 = 5;
const FIRST_LOCKOUT_MS: i64 = 30_000;
const LONGEST_LOCKOUT_MS: i64 = 15 * 60_000;

/// How long a command-line sign-in token lasts: one shift.
pub const TOKEN_LIFETIME_MS: i64 = 8 * 3_600_000;

/// How long the `failures`-th failure in a row locks the user out (none before the fifth;
/// then 30 s, doubling, at most 15 minutes).
fn lockout_ms(failures: i32) -> Option<i64> {
    let beyond = failures - FAILURES_BEFORE_LOCKOUT;
    (beyond >= 0).then(|| {
        let doubling = u32::try_from(beyond.min(20)).unwrap_or(20);
        (FIRST_LOCKOUT_MS.saturating_mul(1_i64 << doubling)).min(LONGEST_LOCKOUT_MS)
    })
}

/// A successful sign-in: the user as the console shows them, and the principal the back end
/// acts for.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub principal: Principal,
}

fn user(row: &Row) -> Result<User, StoreError> {
    let role = Role::from_code(&row.role).ok_or_else(|| StoreError::Corrupt {
        table: "users",
        key: row.username.clone(),
        reason: format!("'{}' is not a role", row.role),
    })?;
    Ok(User {
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role,
        disabled: row.disabled,
    })
}

/// Why a sign-in failed (one message for an unknown name and a wrong password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("wrong user name or password")]
    Wrong,
    #[error("this user is disabled")]
    Disabled,
    /// Too many failures in a row: no attempt is checked until then (UTC ms).
    #[error("too many failed sign-ins: locked until {}", crate::clock::vietnam_datetime(*.until_ms))]
    Locked { until_ms: i64 },
    #[error("the sign-in token is unknown or has expired: sign in again")]
    TokenExpired,
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
    /// Adds a user or service account; only an administrator may. Names are 2–32 letters,
    /// digits, dots, dashes or underscores; passwords at least 8 characters.
    pub fn create_user(
        &mut self,
        who: &Principal,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::ManageUsers)?.to_owned();
        self.insert_user(username, display_name, role, password, &actor, false)
    }

    /// Creates the database's first administrator, allowed only while the database has never
    /// had a user; the check and the insert are one transaction with the users table locked,
    /// so of two workstations doing this at once exactly one succeeds.
    pub fn create_first_administrator(
        &mut self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<(), StoreError> {
        let actor = super::principal::first_run_name();
        self.insert_user(
            username,
            display_name,
            Role::Administrator,
            password,
            &actor,
            true,
        )
    }

    fn insert_user(
        &mut self,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
        actor: &str,
        first: bool,
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
            lock_users(conn)?;
            if first && !super::principal::first_run(conn)? {
                return Err(StoreError::Rejected {
                    what: "the first administrator".into(),
                    reason: "this database has (or had) users already: an administrator adds users after signing in".into(),
                });
            }
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
                    action: AuditAction::UserCreate,
                    subject: username.to_owned(),
                    detail: serde_json::json!({ "role": role.code(), "first": first }),
                },
            )
        })
    }

    /// Changes a user's role, or disables (or enables) them; only an administrator may, and
    /// never so that no active administrator is left.
    pub fn update_user(
        &mut self,
        who: &Principal,
        username: &str,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::ManageUsers)?.to_owned();
        self.write_transaction(|conn| {
            lock_users(conn)?;
            let row: Option<Row> = table::table
                .find(username)
                .select(Row::as_select())
                .first(conn)
                .optional()?;
            let Some(row) = row else {
                return Err(StoreError::Rejected {
                    what: format!("user {username}"),
                    reason: "there is no such user".into(),
                });
            };
            let was_admin = row.role == Role::Administrator.code() && !row.disabled;
            let stays_admin = role.is_none_or(|r| r == Role::Administrator)
                && !disabled.unwrap_or(row.disabled);
            if was_admin && !stays_admin {
                let active_admins: i64 = table::table
                    .filter(table::role.eq(Role::Administrator.code()))
                    .filter(table::disabled.eq(false))
                    .count()
                    .get_result(conn)?;
                if active_admins <= 1 {
                    return Err(StoreError::Rejected {
                        what: format!("user {username}"),
                        reason: "the last active administrator cannot be disabled or given another role: make another administrator first".into(),
                    });
                }
            }
            if let Some(role) = role {
                diesel::update(table::table.find(username))
                    .set(table::role.eq(role.code()))
                    .execute(conn)?;
            }
            if let Some(disabled) = disabled {
                diesel::update(table::table.find(username))
                    .set(table::disabled.eq(disabled))
                    .execute(conn)?;
                if disabled {
                    diesel::delete(tokens::table.filter(tokens::username.eq(username)))
                        .execute(conn)?;
                }
            }
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.clone(),
                    action: AuditAction::UserUpdate,
                    subject: username.to_owned(),
                    detail: serde_json::json!({
                        "role": role.map(Role::code),
                        "disabled": disabled,
                    }),
                },
            )
        })
    }

    /// Every user and service account (no hashes).
    pub fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<Row> = table::table
            .select(Row::as_select())
            .order(table::username.asc())
            .load(&mut self.conn)?;
        rows.iter().map(user).collect()
    }

    /// Checks a sign-in; success, failure and a lockout are audited. A locked-out user's
    /// attempts are refused without checking the password until the lockout ends.
    pub fn sign_in(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<Result<SignedIn, SignInError>, StoreError> {
        let row: Option<Row> = table::table
            .find(username)
            .select(Row::as_select())
            .first(&mut self.conn)
            .optional()?;
        let now = now_ms();
        let outcome = match &row {
            None => {
                // Spend the same time as a real check, so names cannot be probed by timing.
                let _ = hash(password);
                Err(SignInError::Wrong)
            }
            Some(row) if row.locked_until_ms.is_some_and(|until| until > now) => {
                Err(SignInError::Locked {
                    until_ms: row.locked_until_ms.unwrap_or(now),
                })
            }
            Some(row) => {
                let good = PasswordHash::new(&row.password_hash)
                    .map(|parsed| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false);
                match (good, row.disabled) {
                    (false, _) => Err(SignInError::Wrong),
                    (true, true) => Err(SignInError::Disabled),
                    (true, false) => {
                        let user = user(row)?;
                        Ok(SignedIn {
                            principal: Principal::account(&user.username, user.role),
                            user,
                        })
                    }
                }
            }
        };
        let counted = row.is_some() && matches!(outcome, Err(SignInError::Wrong));
        let succeeded = outcome.is_ok();
        self.write_transaction(|conn| {
            let mut locked_until = None;
            if counted {
                let failures: i32 = table::table
                    .find(username)
                    .select(table::failed_sign_ins)
                    .first(conn)?;
                let failures = failures.saturating_add(1);
                locked_until = lockout_ms(failures).map(|ms| now + ms);
                diesel::update(table::table.find(username))
                    .set((
                        table::failed_sign_ins.eq(failures),
                        table::locked_until_ms.eq(locked_until),
                    ))
                    .execute(conn)?;
            } else if succeeded {
                diesel::update(table::table.find(username))
                    .set((
                        table::failed_sign_ins.eq(0),
                        table::locked_until_ms.eq(None::<i64>),
                    ))
                    .execute(conn)?;
            }
            let detail = match &outcome {
                Err(SignInError::Locked { until_ms }) => {
                    serde_json::json!({ "refused": "locked", "until_ms": until_ms })
                }
                _ => serde_json::json!({}),
            };
            append(
                conn,
                &NewAuditEntry {
                    actor: username.to_owned(),
                    action: if succeeded {
                        AuditAction::UserSignIn
                    } else {
                        AuditAction::UserSignInFailed
                    },
                    subject: username.to_owned(),
                    detail,
                },
            )?;
            if let Some(until_ms) = locked_until {
                append(
                    conn,
                    &NewAuditEntry {
                        actor: username.to_owned(),
                        action: AuditAction::UserLocked,
                        subject: username.to_owned(),
                        detail: serde_json::json!({ "until_ms": until_ms }),
                    },
                )?;
            }
            Ok(())
        })?;
        Ok(outcome)
    }

    /// A sign-in token for `who` (an account), valid for [`TOKEN_LIFETIME_MS`]; only its
    /// SHA-256 is stored. Audited.
    pub fn issue_token(&mut self, who: &Principal) -> Result<String, StoreError> {
        if who.kind() != super::PrincipalKind::Account {
            return Err(StoreError::Rejected {
                what: "a sign-in token".into(),
                reason: format!("{} has no account to sign in as", who.name()),
            });
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| StoreError::Rejected {
            what: "a sign-in token".into(),
            reason: format!("no randomness: {e}"),
        })?;
        let token = to_hex(&secret);
        let now = now_ms();
        let expires = now + TOKEN_LIFETIME_MS;
        self.write_transaction(|conn| {
            diesel::delete(tokens::table.filter(tokens::expires_at_ms.lt(now))).execute(conn)?;
            diesel::insert_into(tokens::table)
                .values((
                    tokens::token_hash.eq(token_hash(&token)),
                    tokens::username.eq(who.name()),
                    tokens::created_at_ms.eq(now),
                    tokens::expires_at_ms.eq(expires),
                ))
                .execute(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: who.name().to_owned(),
                    action: AuditAction::UserTokenIssued,
                    subject: who.name().to_owned(),
                    detail: serde_json::json!({ "expires_at_ms": expires }),
                },
            )
        })?;
        Ok(token)
    }

    /// The principal a sign-in token stands for, while it has not expired and its user is
    /// active.
    pub fn redeem_token(
        &mut self,
        token: &str,
    ) -> Result<Result<SignedIn, SignInError>, StoreError> {
        let found: Option<(String, i64)> = tokens::table
            .find(token_hash(token.trim()))
            .select((tokens::username, tokens::expires_at_ms))
            .first(&mut self.conn)
            .optional()?;
        let Some((username, _)) = found.filter(|(_, expires)| *expires > now_ms()) else {
            return Ok(Err(SignInError::TokenExpired));
        };
        let row: Option<Row> = table::table
            .find(&username)
            .select(Row::as_select())
            .first(&mut self.conn)
            .optional()?;
        match row {
            None => Ok(Err(SignInError::TokenExpired)),
            Some(row) if row.disabled => Ok(Err(SignInError::Disabled)),
            Some(row) => {
                let user = user(&row)?;
                Ok(Ok(SignedIn {
                    principal: Principal::account(&user.username, user.role),
                    user,
                }))
            }
        }
    }

    /// Ends a sign-in token (`logout`); audited when it existed.
    pub fn revoke_token(&mut self, token: &str) -> Result<bool, StoreError> {
        let hashed = token_hash(token.trim());
        self.write_transaction(|conn| {
            let owner: Option<String> = tokens::table
                .find(&hashed)
                .select(tokens::username)
                .first(conn)
                .optional()?;
            let Some(owner) = owner else {
                return Ok(false);
            };
            diesel::delete(tokens::table.find(&hashed)).execute(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: owner.clone(),
                    action: AuditAction::UserSignOut,
                    subject: owner,
                    detail: serde_json::json!({ "token": true }),
                },
            )?;
            Ok(true)
        })
    }
}

/// Serialises user changes on PostgreSQL for the rest of the transaction (SQLite's write lock
/// does this already), so the first-administrator and last-administrator checks hold.
fn lock_users(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
    }
    Ok(())
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    to_hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_at_the_fifth_failure_and_grow_to_a_limit() {
        assert_eq!(lockout_ms(4), None);
        assert_eq!(lockout_ms(5), Some(30_000));
        assert_eq!(lockout_ms(6), Some(60_000));
        assert_eq!(lockout_ms(10), Some(LONGEST_LOCKOUT_MS));
        assert_eq!(lockout_ms(i32::MAX), Some(LONGEST_LOCKOUT_MS));
    }
}
