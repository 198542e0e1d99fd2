//! The particulars of a raised event that have no column of their own: the moments whose
//! frames prove it, its speed, when it happened on the wall clock and the geometry version its
//! rules ran on. Stored as JSON; fields this version does not know are ignored, missing ones
//! are empty.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventDetail {
    /// Moments on the stream's clock (ms) whose frames prove it (before, at, after).
    pub evidence_ms: Vec<i64>,
    /// Speed at the moment, picture pixels per second.
    pub speed_px_s: Option<f64>,
    /// Speed on the ground, km/h, where the geometry has a homography.
    pub speed_kmh: Option<f64>,
    /// When it happened on the wall clock (UTC ms), when known.
    pub at_utc_ms: Option<i64>,
    /// The stored geometry version its rules ran on, if any.
    pub geometry_version: Option<i32>,
    /// The specific act the rule saw (absent in events stored before acts were recorded:
    /// read as the kind's default act).
    pub act: Option<crate::domain::Act>,
    /// The camera's clock minus the workstation's (ms) when it was beyond the tolerance and
    /// `at_utc_ms` was therefore taken on the workstation's clock; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera_clock_offset_ms: Option<i64>,
    /// For a watch-list event: the entry the plate matched and what was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchHit>,
}

/// A watch-listed plate read by a camera: the list's entry and the reading that matched it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchHit {
    pub entry_id: i64,
    /// The plate as listed, in the standard form.
    pub listed: String,
    pub reason: String,
    /// The plate sighting (one reading per track) that matched.
    pub sighting_id: i64,
    /// What the camera read, in the standard form, and how confidently.
    pub read: String,
    pub confidence: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_empty_and_unknown_ones_ignored() {
        let detail: EventDetail =
            serde_json::from_str(r#"{"evidence_ms":[1,2,3],"speed_kmh":null,"later":true}"#)
                .unwrap();
        assert_eq!(
            detail,
            EventDetail {
                evidence_ms: vec![1, 2, 3],
                ..EventDetail::default()
            }
        );
        let back: EventDetail =
            serde_json::from_str(&serde_json::to_string(&detail).unwrap()).unwrap();
        assert_eq!(back, detail);
    }
}
