//! Who works at this console: the signed-in user, or (only where the console runs without
//! sign-in: tests and screenshots, on a database that never had a user) this workstation; what
//! they may do. The back end checks every permission again and names the actor in the audit
//! log; this only decides what is offered.

use super::settings::MainView;
use crate::domain::Permission;
use crate::store::User;

/// The console's user.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    signed_in: Option<User>,
    require_sign_in: bool,
}

impl ConsoleUser {
    pub fn new(require_sign_in: bool) -> Self {
        Self {
            signed_in: None,
            require_sign_in,
        }
    }

    /// Whether the sign-in screen is due (sign-in required and nobody signed in).
    pub fn must_sign_in(&self) -> bool {
        self.require_sign_in && self.signed_in.is_none()
    }

    pub fn sign_in(&mut self, user: User) {
        self.signed_in = Some(user);
    }

    /// Signs out, returning who was signed in.
    pub fn sign_out(&mut self) -> Option<User> {
        self.signed_in.take()
    }

    pub fn signed_in(&self) -> Option<&User> {
        self.signed_in.as_ref()
    }

    /// Whether the user (or this workstation, when no sign-in is required) may.
    pub fn can(&self, permission: Permission) -> bool {
        match &self.signed_in {
            Some(user) => user.role.can(permission),
            None => !self.require_sign_in && permission != Permission::ManageUsers,
        }
    }

    pub fn view_permitted(&self, view: MainView) -> bool {
        match view {
            MainView::Map => true,
            MainView::Wall => self.can(Permission::ViewLive),
            MainView::Review => self.can(Permission::Review),
            MainView::Replay => self.can(Permission::Replay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn user(role: Role) -> User {
        User {
            username: "lan".into(),
            display_name: "Lò Thị Lan".into(),
            role,
            disabled: false,
        }
    }

    #[test]
    fn a_signed_in_user_is_offered_what_their_role_may_do() {
        let mut console = ConsoleUser::new(true);
        assert!(console.must_sign_in());
        assert!(!console.can(Permission::ViewLive), "nobody signed in");
        console.sign_in(user(Role::Reviewer));
        assert!(!console.must_sign_in());
        assert!(console.view_permitted(MainView::Review));
        assert_eq!(
            console.view_permitted(MainView::Wall),
            Role::Reviewer.can(Permission::ViewLive)
        );
        assert_eq!(console.sign_out().map(|u| u.username), Some("lan".into()));
        assert!(console.must_sign_in());
    }

    #[test]
    fn a_workstation_without_sign_in_may_all_but_manage_users() {
        let console = ConsoleUser::new(false);
        assert!(!console.must_sign_in());
        assert!(console.can(Permission::Review));
        assert!(!console.can(Permission::ManageUsers));
    }
}
