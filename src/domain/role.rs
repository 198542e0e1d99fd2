//! Who may do what at the console. Five roles: the dispatcher watches and handles alarms; the
//! reviewer decides violations and produces notices; the supervisor does both and draws
//! junctions; the trainer replays recorded incidents but sees no live video or plates; the
//! administrator manages users and junction geometry.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Dispatcher,
    Reviewer,
    Supervisor,
    Trainer,
    Administrator,
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Live video on the wall, and live events with their plates.
    ViewLive,
    /// Acknowledge, assign and close alarms.
    HandleAlarms,
    /// Confirm or reject violations, correct plates.
    Review,
    /// Produce notices and portal exports.
    ProduceNotices,
    /// Draw and save junction geometry.
    EditGeometry,
    /// Replay recordings and incidents.
    Replay,
    /// Add users and change their roles.
    ManageUsers,
    /// See the engines, the cameras each holds and their health.
    ViewEngines,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Dispatcher,
        Self::Reviewer,
        Self::Supervisor,
        Self::Trainer,
        Self::Administrator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Dispatcher => "dispatcher",
            Self::Reviewer => "reviewer",
            Self::Supervisor => "supervisor",
            Self::Trainer => "trainer",
            Self::Administrator => "administrator",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Self::Dispatcher => "Trực ban điều phối",
            Self::Reviewer => "Cán bộ xét duyệt",
            Self::Supervisor => "Chỉ huy",
            Self::Trainer => "Huấn luyện",
            Self::Administrator => "Quản trị",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Dispatcher => matches!(permission, P::ViewLive | P::HandleAlarms | P::Replay),
            Self::Reviewer => matches!(
                permission,
                P::ViewLive | P::Review | P::ProduceNotices | P::Replay
            ),
            Self::Supervisor => !matches!(permission, P::ManageUsers),
            Self::Trainer => matches!(permission, P::Replay),
            Self::Administrator => matches!(
                permission,
                P::ViewLive | P::EditGeometry | P::ManageUsers | P::Replay | P::ViewEngines
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_what_its_work_needs_and_no_more() {
        assert!(
            !Role::Dispatcher.can(Permission::Review),
            "a dispatcher cannot confirm"
        );
        assert!(Role::Dispatcher.can(Permission::HandleAlarms));
        assert!(Role::Reviewer.can(Permission::Review));
        assert!(!Role::Reviewer.can(Permission::EditGeometry));
        assert!(Role::Trainer.can(Permission::Replay));
        assert!(
            !Role::Trainer.can(Permission::ViewLive),
            "no live plates for trainers"
        );
        assert!(
            Role::Supervisor.can(Permission::Review)
                && !Role::Supervisor.can(Permission::ManageUsers)
        );
        assert!(Role::Administrator.can(Permission::ManageUsers));
        assert!(Role::Administrator.can(Permission::ViewEngines));
        assert!(Role::Supervisor.can(Permission::ViewEngines));
        assert!(!Role::Dispatcher.can(Permission::ViewEngines));
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
    }
}
