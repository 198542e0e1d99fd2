//! Who may do what at the console. Five roles: the dispatcher watches and handles alarms; the
//! reviewer decides violations and produces notices; the supervisor does both and draws
//! junctions; the trainer replays recorded incidents but sees no live video or plates; the
//! administrator manages users and junction geometry. The engine role is a service account's:
//! it writes what the cameras saw (events, overlays, recordings, counts) and nothing else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Dispatcher,
    Reviewer,
    Supervisor,
    Trainer,
    Administrator,
    /// A service account: an engine (or a console's own engine) writing detections.
    Engine,
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
    /// Write what the cameras saw: events, overlays, recordings and their deletion, counts.
    RecordDetections,
    /// Search the plates the cameras read (where a vehicle went).
    SearchPlates,
    /// Put plates on the watch list and take them off.
    ManageWatchlist,
    /// Pan, tilt and zoom the overview cameras, and change their presets.
    SteerCameras,
}

impl Permission {
    /// What the permission allows, for refusals ("… may not confirm or reject violations").
    pub fn describe(self) -> &'static str {
        match self {
            Self::ViewLive => "watch live video and live events",
            Self::HandleAlarms => "handle alarms",
            Self::Review => "review violations and see their evidence",
            Self::ProduceNotices => "produce notices and portal exports",
            Self::EditGeometry => "change junction geometry or the camera registry",
            Self::Replay => "replay recordings and incidents",
            Self::ManageUsers => "manage users",
            Self::ViewEngines => "see the engines",
            Self::RecordDetections => "write detections, recordings and counts",
            Self::SearchPlates => "search the plates the cameras read",
            Self::ManageWatchlist => "change the watch list",
            Self::SteerCameras => "steer the PTZ cameras",
        }
    }
}

impl Role {
    pub const ALL: [Self; 6] = [
        Self::Dispatcher,
        Self::Reviewer,
        Self::Supervisor,
        Self::Trainer,
        Self::Administrator,
        Self::Engine,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Dispatcher => "dispatcher",
            Self::Reviewer => "reviewer",
            Self::Supervisor => "supervisor",
            Self::Trainer => "trainer",
            Self::Administrator => "administrator",
            Self::Engine => "engine",
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
            Self::Engine => "Tài khoản dịch vụ (máy phân tích)",
        }
    }

    /// Whether this is a service account's role (engines), which never signs in at a console.
    pub fn is_service(self) -> bool {
        self == Self::Engine
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Dispatcher => matches!(
                permission,
                P::ViewLive | P::HandleAlarms | P::Replay | P::SearchPlates | P::SteerCameras
            ),
            Self::Reviewer => matches!(
                permission,
                P::ViewLive | P::Review | P::ProduceNotices | P::Replay | P::SearchPlates
            ),
            Self::Supervisor => !matches!(permission, P::ManageUsers | P::RecordDetections),
            Self::Trainer => matches!(permission, P::Replay),
            Self::Administrator => matches!(
                permission,
                P::ViewLive
                    | P::EditGeometry
                    | P::ManageUsers
                    | P::Replay
                    | P::ViewEngines
                    | P::SteerCameras
            ),
            // Its preset tours steer the overview cameras (at the lowest priority).
            Self::Engine => matches!(permission, P::RecordDetections | P::SteerCameras),
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
        assert!(Role::Engine.can(Permission::RecordDetections));
        assert!(
            !Role::Engine.can(Permission::Review),
            "an engine never reviews"
        );
        assert!(!Role::Engine.can(Permission::ViewLive));
        assert!(Role::Dispatcher.can(Permission::SearchPlates));
        assert!(!Role::Trainer.can(Permission::SearchPlates));
        assert!(!Role::Engine.can(Permission::SearchPlates));
        assert!(Role::Supervisor.can(Permission::ManageWatchlist));
        for role in [Role::Dispatcher, Role::Reviewer, Role::Administrator] {
            assert!(!role.can(Permission::ManageWatchlist), "{role:?}");
        }
        for role in [Role::Dispatcher, Role::Supervisor, Role::Administrator] {
            assert!(role.can(Permission::SteerCameras), "{role:?}");
        }
        for role in [Role::Reviewer, Role::Trainer] {
            assert!(!role.can(Permission::SteerCameras), "{role:?}");
        }
        for role in Role::ALL {
            assert_eq!(
                role.can(Permission::SteerCameras),
                crate::domain::ptz::ptz_priority(role).is_some(),
                "{role:?}"
            );
            assert_eq!(Role::from_code(role.code()), Some(role));
            assert_eq!(role.can(Permission::RecordDetections), role.is_service());
        }
    }
}
