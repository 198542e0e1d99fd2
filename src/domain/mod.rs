//! Plain domain types of the console: cameras, junctions, positions, stream addresses, junction
//! geometry, signal states, violation kinds, traffic counts, plates, review decisions and deadlines, and the Vietnamese text folding used by search. Nothing here depends on another module of the crate,
//! on the database, on threads or on the UI.

mod agency;
mod audit_action;
mod camera;
mod event_detail;
mod event_state;
mod geo;
pub mod geometry;
pub mod hex;
mod junction;
mod object_class;
pub mod overlay;
mod plate;
pub mod plate_grammar;
pub mod plate_match;
pub mod ptz;
mod review;
mod role;
pub mod safe_path;
pub mod signal;
mod stream_url;
pub mod text_fold;
pub mod traffic_count;
mod violation;

pub use agency::Agency;
pub use audit_action::AuditAction;
pub use camera::{Camera, CameraKind, CameraStatus};
pub use event_detail::{EventDetail, WatchHit};
pub use event_state::{Decision, EventState, UnknownCode};
pub use geo::{GeoError, GeoPoint};
pub use junction::Junction;
pub use object_class::ObjectClass;
pub use plate::{CharReading, Plate, PlateColour, PlateError, PlateReading};
pub use review::{Deadlines, RejectReason, countdown_vi, deadlines};
pub use role::{Permission, Role};
pub use stream_url::{StreamUrl, StreamUrlError};
pub use violation::{Act, ViolationKind};
