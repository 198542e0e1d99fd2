//! What an audit entry records: every action the back end writes to the audit log, with the
//! code the log keeps (`camera.open_feed`, …). The log stores and hashes the code.

use std::fmt;

/// An audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    CameraOpenFeed,
    CamerasImport,
    StoreSeed,
    EventState,
    GeometrySave,
    EvidenceAttach,
    EvidenceBuild,
    EvidenceView,
    EvidenceRelease,
    EvidenceExpire,
    ReviewConfirm,
    ReviewReject,
    ReviewExport,
    NoticeProduce,
    RecordingDelete,
    RecordingDiskLow,
    /// A recording row named a path outside the recordings folder: not deleted (a fault).
    RecordingPathRefused,
    RecordingRecovered,
    RecordingLost,
    ReplayOpen,
    LibrarySave,
    LibraryOpen,
    LibraryExercise,
    UserCreate,
    UserUpdate,
    UserSignIn,
    UserSignInFailed,
    UserSignOut,
    /// Five or more failed sign-ins in a row locked the user out for a while.
    UserLocked,
    /// A command-line sign-in token was issued (`login`).
    UserTokenIssued,
    /// A plate put on the watch list.
    WatchlistAdd,
    /// A plate taken off the watch list.
    WatchlistRemove,
    /// A watch-listed plate read by a camera.
    WatchlistHit,
    /// A search of the plates read (who searched what).
    PlateSearch,
    /// Plate sightings past their retention period deleted (how many, up to when).
    PlatePurge,
    /// A PTZ camera's control taken (a steering session begins).
    PtzSession,
    /// A PTZ camera's control taken from someone who still held it (a higher role).
    PtzTakeover,
    /// A PTZ camera's control given back by its holder.
    PtzRelease,
    /// A PTZ preset saved, removed or recalled.
    PtzPreset,
}

impl AuditAction {
    pub const ALL: [Self; 39] = [
        Self::CameraOpenFeed,
        Self::CamerasImport,
        Self::StoreSeed,
        Self::EventState,
        Self::GeometrySave,
        Self::EvidenceAttach,
        Self::EvidenceBuild,
        Self::EvidenceView,
        Self::EvidenceRelease,
        Self::EvidenceExpire,
        Self::ReviewConfirm,
        Self::ReviewReject,
        Self::ReviewExport,
        Self::NoticeProduce,
        Self::RecordingDelete,
        Self::RecordingDiskLow,
        Self::RecordingPathRefused,
        Self::RecordingRecovered,
        Self::RecordingLost,
        Self::ReplayOpen,
        Self::LibrarySave,
        Self::LibraryOpen,
        Self::LibraryExercise,
        Self::UserCreate,
        Self::UserUpdate,
        Self::UserSignIn,
        Self::UserSignInFailed,
        Self::UserSignOut,
        Self::UserLocked,
        Self::UserTokenIssued,
        Self::WatchlistAdd,
        Self::WatchlistRemove,
        Self::WatchlistHit,
        Self::PlateSearch,
        Self::PlatePurge,
        Self::PtzSession,
        Self::PtzTakeover,
        Self::PtzRelease,
        Self::PtzPreset,
    ];

    /// The code the audit log keeps.
    pub fn code(self) -> &'static str {
        match self {
            Self::CameraOpenFeed => "camera.open_feed",
            Self::CamerasImport => "cameras.import",
            Self::StoreSeed => "store.seed",
            Self::EventState => "events.state",
            Self::GeometrySave => "geometry.save",
            Self::EvidenceAttach => "evidence.attach",
            Self::EvidenceBuild => "evidence.build",
            Self::EvidenceView => "evidence.view",
            Self::EvidenceRelease => "evidence.release",
            Self::EvidenceExpire => "evidence.expire",
            Self::ReviewConfirm => "review.confirm",
            Self::ReviewReject => "review.reject",
            Self::ReviewExport => "review.export",
            Self::NoticeProduce => "notice.produce",
            Self::RecordingDelete => "recording.delete",
            Self::RecordingDiskLow => "recording.disk_low",
            Self::RecordingPathRefused => "recording.path_refused",
            Self::RecordingRecovered => "recording.recovered",
            Self::RecordingLost => "recording.lost",
            Self::ReplayOpen => "replay.open",
            Self::LibrarySave => "library.save",
            Self::LibraryOpen => "library.open",
            Self::LibraryExercise => "library.exercise",
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::UserSignIn => "user.sign_in",
            Self::UserSignInFailed => "user.sign_in_failed",
            Self::UserSignOut => "user.sign_out",
            Self::UserLocked => "user.locked",
            Self::UserTokenIssued => "user.token_issued",
            Self::WatchlistAdd => "watchlist.add",
            Self::WatchlistRemove => "watchlist.remove",
            Self::WatchlistHit => "watchlist.hit",
            Self::PlateSearch => "plates.search",
            Self::PlatePurge => "plates.purge",
            Self::PtzSession => "ptz.session",
            Self::PtzTakeover => "ptz.takeover",
            Self::PtzRelease => "ptz.release",
            Self::PtzPreset => "ptz.preset",
        }
    }

    /// The action the log names `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_code_and_reads_back() {
        let mut codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AuditAction::ALL.len());
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(action));
        }
        assert_eq!(AuditAction::from_code("act"), None);
    }
}
