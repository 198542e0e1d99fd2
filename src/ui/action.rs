//! What the console's views hand back while drawing: the [`Action`]s applied after it (the
//! review, replay and geometry editor's own requests among them), the camera rows every view
//! shows, a camera dragged to the wall and a stream a tile wants read. Views depend on this
//! file; it depends on no view.

use super::i18n::Language;
use super::settings::MainView;
use crate::domain::{Camera, CameraStatus};
use crate::service::StreamKey;
use walkers::Position;

/// One camera as the interface shows it.
pub struct CameraEntry {
    pub camera: Camera,
    pub status: CameraStatus,
    pub junction_name: String,
    pub ward: String,
    /// Health of the stream the wall reads for this camera, when one is watched.
    pub health: Option<crate::ingest::StreamHealth>,
    /// Detection counts of that stream, when it is searched.
    pub detect: Option<crate::analytics::DetectStats>,
    /// Name, code and junction folded for diacritic-insensitive search.
    pub search_folded: String,
}

/// A user's intent, collected while drawing and applied afterwards.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Select(Option<usize>),
    CentreOn(usize),
    OpenFeed(usize),
    ZoomTo(Position, f64),
    SetLanguage(Language),
    ToggleAbout,
    ToggleEngines,
    /// The wall's tiles want these streams read, and no others.
    WatchStreams(Vec<WatchRequest>),
    ShowView(MainView),
    ToggleWallWindow,
    /// Scroll the camera list to the selected camera.
    RevealInList,
    /// Select the camera with this code (from an alarm).
    SelectCode(String),
    /// Move alarm `id` to the next step of the workflow.
    AdvanceAlarm(u64),
    /// Draw the junction geometry of camera `index` (on a paused frame of its feed).
    EditGeometry(usize),
    SignOut,
    /// A line for the status bar (what a reply said: a notice written, evidence ready).
    Notice(String),
    /// What the review view asked for.
    Review(ReviewAction),
    /// What the replay view asked for.
    Replay(ReplayAction),
    /// What the geometry editor asked for.
    Editor(EditorRequest),
    /// The plate search, the watch list and the watch-list alerts.
    Plates(PlateAction),
    /// Steer PTZ camera `camera` (the back end takes its control lease and calls it).
    Ptz {
        camera: String,
        op: crate::service::PtzOp,
    },
}

/// What the plate search, the watch list or a watch-list alert asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlateAction {
    /// Show or hide the plate search (F8).
    ToggleSearch,
    /// Show or hide the watch list (F7; it is loaded when shown).
    ToggleWatchlist,
    /// Search the plates read for this text.
    Search(String),
    /// Put a plate on the watch list (through a date, `YYYY-MM-DD`, or until removed).
    Add {
        plate: String,
        reason: String,
        until: String,
    },
    /// Take entry `id` off the watch list.
    Remove(i64),
    /// Close the alert of watch-list event `id` (the alarm stays in the list).
    Dismiss(i64),
}

/// A camera being dragged onto the wall.
#[derive(Debug, Clone)]
pub struct CameraDrag {
    pub code: String,
}

/// A stream a tile wants read, asked of the back end after drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchRequest {
    pub key: StreamKey,
    pub url: crate::domain::StreamUrl,
    pub credentials_ref: Option<String>,
    /// Searched by the console's detector (no engine holds the camera).
    pub analyse: bool,
}

/// What the reviewer asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewAction {
    /// Open an event (its evidence is loaded, and the view is audited).
    Open(i64),
    Build(i64),
    Confirm(i64, crate::store::Confirmation),
    Reject(i64, crate::domain::RejectReason),
    Filter(Option<crate::domain::ViolationKind>),
    /// The junction, class or date filter changed.
    Refilter,
    /// Open the case's moment in the replay view (every camera, frame by frame).
    Watch(i64),
    /// Write the notice of a confirmed violation.
    ProduceNotice(i64),
}

/// What the trainer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayAction {
    /// Open the incident (event id).
    Open(i64),
    /// Open a library entry (its id).
    OpenSaved(i64),
    /// Save the open replay to the library.
    Save {
        name: String,
        notes: String,
    },
    Close,
}

/// What the editor asks of the console after a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorRequest {
    Save(Box<crate::domain::geometry::JunctionGeometry>),
    Close,
}
