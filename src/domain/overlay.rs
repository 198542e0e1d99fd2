//! What the console drew over a camera's picture at a moment (the boxes with their classes and
//! tracks, the tracks that raised events, each approach's signal), recorded so that a replay
//! draws the overlays as they were.

use super::ObjectClass;
use super::signal::SignalColour;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayBox {
    /// x1, y1, x2, y2 in the picture's pixels.
    pub bbox: [f32; 4],
    pub class: ObjectClass,
    pub score: f32,
    pub track: Option<u64>,
    /// Its track raised an event.
    #[serde(default)]
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlaySignal {
    pub approach: String,
    pub group: String,
    pub colour: SignalColour,
    /// When the colour began, UTC ms.
    pub since_ms: Option<i64>,
}

/// One moment of a camera's overlays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedOverlay {
    pub camera: String,
    /// UTC ms of the picture.
    pub at_ms: i64,
    pub width: u32,
    pub height: u32,
    pub boxes: Vec<OverlayBox>,
    #[serde(default)]
    pub signals: Vec<OverlaySignal>,
}
