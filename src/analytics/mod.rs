//! Analytics between ingest and the displays: which frames of each stream are searched (detect
//! rate, motion gate, rechecks), the shared detector worker that searches them, and the feeds
//! through which the results reach the wall (and, later, the tracker). Nothing here touches the
//! UI or the database.

pub mod feed;
pub mod motion;
pub mod plate_worker;
pub mod plates;
pub mod schedule;
pub mod tampering;
pub mod worker;

pub use feed::{DetectStats, DetectionFeed, DisplayChoice, FrameDetections, choose_display};
pub use motion::{Motion, MotionConfig, MotionGate, PixelRect};
pub use schedule::{Decision, Focus, ScheduleConfig, Scheduler};
pub use tampering::{TamperAlert, TamperConfig, TamperKind, TamperWatch};
pub use worker::{
    DetectorOptions, DetectorService, DetectorStatus, FrameSearch, Registered, kept_outside,
    search_frames,
};
