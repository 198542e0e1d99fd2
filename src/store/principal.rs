//! Who is calling the back end: a principal is proof that the store authenticated someone (a
//! user's password or sign-in token, a service account's secret) or decided that no proof is
//! needed (this machine's engine on its own SQLite file; any caller of a database that never
//! had a user, which is its first run). Only the store makes one, so every method that changes
//! state or shows plates and evidence takes a principal, checks its role there, and writes its
//! name to the audit log: the console, the command line and the engines meet the same checks.

use super::schema::{audit_log, users};
use super::{AnyConnection, DatabaseLocation, Store, StoreError};
use crate::domain::{AuditAction, Permission, Role};
use diesel::prelude::*;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    name: String,
    role: Role,
    kind: PrincipalKind,
}

/// How the store came to trust a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A user or service account that signed in (password or token).
    Account,
    /// This machine's engine on its embedded SQLite database (or on a first-run database).
    LocalEngine,
    /// Anyone at a database that has never had a user (first run, tests, screenshots): allowed
    /// everything but managing users, named after the workstation.
    FirstRun,
}

impl Principal {
    pub(super) fn account(name: &str, role: Role) -> Self {
        Self {
            name: name.to_owned(),
            role,
            kind: PrincipalKind::Account,
        }
    }

    /// The name the audit log records.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// The principal's name if it may, else the refusal the caller shows.
    pub(crate) fn require(&self, permission: Permission) -> Result<&str, StoreError> {
        if self.may(permission) {
            Ok(&self.name)
        } else {
            Err(StoreError::Forbidden {
                who: format!("{} ({})", self.name, self.role.code()),
                needs: permission.describe(),
            })
        }
    }
}

impl Principal {
    /// As [`Principal::require`], for an action any of `permissions` allows.
    pub(crate) fn require_any(&self, permissions: &[Permission]) -> Result<&str, StoreError> {
        match permissions.iter().find(|p| self.may(**p)) {
            Some(_) => Ok(&self.name),
            None => match permissions.first() {
                Some(first) => self.require(*first),
                None => Ok(&self.name),
            },
        }
    }
}

/// The audit log's name for a caller of a first-run database: `first-run@HOST`.
pub fn first_run_name() -> String {
    format!("first-run@{}", crate::host::workstation())
}

/// [`Store::is_first_run`] on `conn` (also inside a transaction): no user row, and no user
/// ever created in the audit log.
pub(super) fn first_run(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    let users: i64 = users::table.count().get_result(conn)?;
    if users > 0 {
        return Ok(false);
    }
    let created: i64 = audit_log::table
        .filter(audit_log::action.eq(AuditAction::UserCreate.code()))
        .count()
        .get_result(conn)?;
    Ok(created == 0)
}

impl Store {
    /// Whether this database has never had a user: no user rows and no user ever created in
    /// the audit log (so emptying the users table does not reopen it).
    pub fn is_first_run(&mut self) -> Result<bool, StoreError> {
        first_run(&mut self.conn)
    }

    /// The principal of a caller without an account, allowed only while the database is in
    /// its first run: it may do what a supervisor may (not manage users), and the audit log
    /// names it `first-run@HOST`. Once a user exists every caller signs in.
    pub fn first_run_principal(&mut self) -> Result<Principal, StoreError> {
        if !self.is_first_run()? {
            return Err(StoreError::SignInNeeded);
        }
        Ok(Principal {
            name: first_run_name(),
            role: Role::Supervisor,
            kind: PrincipalKind::FirstRun,
        })
    }

    /// This machine's engine as a service principal (`engine@HOST`), without a service
    /// account: allowed on a SQLite database (the embedded default: one machine, whose file
    /// only this account can open) and on a database in its first run. On a shared PostgreSQL
    /// database with users, engines sign in as service accounts.
    pub fn local_engine_principal(&mut self) -> Result<Principal, StoreError> {
        let embedded = matches!(self.location, DatabaseLocation::Sqlite(_));
        if !embedded && !self.is_first_run()? {
            return Err(StoreError::ServiceAccountNeeded);
        }
        Ok(Principal {
            name: format!("engine@{}", crate::host::workstation()),
            role: Role::Engine,
            kind: PrincipalKind::LocalEngine,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_may_only_what_its_role_may_and_says_so() {
        let engine = Principal::account("engine-1", Role::Engine);
        assert_eq!(
            engine.require(Permission::RecordDetections).ok(),
            Some("engine-1")
        );
        let refusal = engine.require(Permission::Review).unwrap_err().to_string();
        assert!(
            refusal.contains("engine-1 (engine)") && refusal.contains("review violations"),
            "{refusal}"
        );
        let reviewer = Principal::account("lan", Role::Reviewer);
        assert!(reviewer.require(Permission::Review).is_ok());
        assert!(reviewer.require(Permission::ManageUsers).is_err());
        assert!(reviewer.require(Permission::RecordDetections).is_err());
    }
}
