//! What a PTZ camera can be asked to do, whatever protocol drives it, and what goes wrong.
//! The console's PTZ worker, the command line and the engine's preset tours call cameras
//! through [`PtzBackend`]; [`super::onvif::OnvifCamera`] speaks ONVIF.

use crate::domain::ptz::{PtzPreset, PtzStatus, PtzVector};
use std::time::Duration;

/// Why a camera could not be steered; each names the camera's address.
#[derive(Debug, thiserror::Error)]
pub enum PtzError {
    #[error("camera {url} does not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("camera {url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error(
        "camera {url} refused the user name or password (user {user}); check the camera's entry in credentials.toml"
    )]
    Unauthorised { url: String, user: String },
    #[error("camera {url} refused {operation}: {reason}")]
    Fault {
        url: String,
        operation: &'static str,
        reason: String,
    },
    #[error("camera {url} gave an answer to {operation} that cannot be read: {reason}")]
    Malformed {
        url: String,
        operation: &'static str,
        reason: String,
    },
    #[error("camera {url} cannot {what}")]
    Unsupported { url: String, what: &'static str },
}

/// What the camera said it can do (from its PTZ node). Continuous moves are not listed:
/// ONVIF Profile S requires them of every PTZ camera, and nodes (the test server's among
/// them) often leave their velocity spaces out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PtzCapabilities {
    pub relative: bool,
    pub absolute: bool,
    /// Relative moves in the field-of-view space (click-to-centre).
    pub field_of_view_move: bool,
    pub home: bool,
    pub max_presets: Option<u32>,
}

/// A camera whose motors can be driven. Calls block; the console calls them from its PTZ
/// worker thread, never from the UI thread.
pub trait PtzBackend: Send {
    fn capabilities(&self) -> &PtzCapabilities;
    /// Where the camera points and whether it moves.
    fn status(&mut self) -> Result<PtzStatus, PtzError>;
    /// Moves at `speed` until stopped or until `timeout` passes (the camera stops itself).
    fn continuous_move(&mut self, speed: PtzVector, timeout: Duration) -> Result<(), PtzError>;
    /// Stops every motor.
    fn stop(&mut self) -> Result<(), PtzError>;
    /// Moves by `by` in the camera's relative space (or its field of view when `in_view`).
    fn relative_move(&mut self, by: PtzVector, in_view: bool) -> Result<(), PtzError>;
    fn absolute_move(&mut self, to: PtzVector) -> Result<(), PtzError>;
    fn presets(&mut self) -> Result<Vec<PtzPreset>, PtzError>;
    fn goto_preset(&mut self, token: &str) -> Result<(), PtzError>;
    /// Saves the current position under `name` (over `token` when given); its token.
    fn set_preset(&mut self, name: &str, token: Option<&str>) -> Result<String, PtzError>;
    fn remove_preset(&mut self, token: &str) -> Result<(), PtzError>;
    fn goto_home(&mut self) -> Result<(), PtzError>;
    /// Makes where the camera points its home position.
    fn set_home(&mut self) -> Result<(), PtzError>;
}
