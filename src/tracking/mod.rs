//! Tracking: follows each detected object from frame to frame of one camera, giving it an
//! identity, a class by majority, a trajectory of ground points and its best sighting. The
//! rules (red light, wrong way, …) work on tracks. Pure computation: no threads, no UI.

pub mod assignment;
pub mod kalman;
pub mod tracker;

pub use tracker::{BestSighting, GroundPoint, Track, TrackState, Tracker, TrackerConfig};
