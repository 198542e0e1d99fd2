//! The enforcement engine (`serve`): headless, it holds cameras by lease in the database and,
//! for each, records the main stream and searches the chosen stream (detection, tracking,
//! signals, rules, tampering), writing events, overlays, health and segments under the
//! camera's lease epoch. Several engines share a site through one database; the leases and
//! their fencing live in `store::leases`, decisions about what to hold in `runner`.

mod camera_recorder;
mod event_backlog;
pub mod ptz_tours;
mod runner;
mod shutdown;

pub use camera_recorder::{CameraRecorder, RecordingStatus};
pub use runner::{Engine, EngineError, EngineSettings};
pub use shutdown::{install_stop_signals, stop_requested};
