//! Cameras of the city system: what they are, where they look, how to reach their streams.

use super::{GeoPoint, StreamUrl};
use serde::{Deserialize, Serialize};

/// The role of a camera in the provincial system (domain brief §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CameraKind {
    /// Penalty ("phạt nguội") camera at a signalised junction.
    Enforcement,
    /// Traffic-flow counting camera at a city gateway.
    FlowCount,
    /// High-point overview camera.
    Overview,
    /// Face-recognition / crowd-detection camera.
    Crowd,
    /// Neighbourhood security camera.
    Neighbourhood,
}

impl CameraKind {
    pub const ALL: [CameraKind; 5] = [
        CameraKind::Enforcement,
        CameraKind::FlowCount,
        CameraKind::Overview,
        CameraKind::Crowd,
        CameraKind::Neighbourhood,
    ];

    /// The stable code used in files and in the database.
    pub fn code(self) -> &'static str {
        match self {
            CameraKind::Enforcement => "enforcement",
            CameraKind::FlowCount => "flow-count",
            CameraKind::Overview => "overview",
            CameraKind::Crowd => "crowd",
            CameraKind::Neighbourhood => "neighbourhood",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Live status of a camera as the dispatcher sees it. Not stored: it comes from stream health
/// and from alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CameraStatus {
    Online,
    Offline,
    Unknown,
    Alarm,
}

impl CameraStatus {
    pub const ALL: [CameraStatus; 4] = [
        CameraStatus::Online,
        CameraStatus::Offline,
        CameraStatus::Unknown,
        CameraStatus::Alarm,
    ];
}

/// One camera of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Unique, stable code, e.g. `DBP-GT-A1-N`.
    pub code: String,
    /// Name shown to dispatchers, in Vietnamese.
    pub name: String,
    pub kind: CameraKind,
    pub position: GeoPoint,
    /// False while the position is a placeholder waiting for a survey.
    pub position_surveyed: bool,
    /// Compass heading the camera looks towards, degrees clockwise from north; `None` for PTZ.
    pub heading_deg: Option<f64>,
    /// Horizontal field of view in degrees; `None` when unknown.
    pub fov_deg: Option<f64>,
    /// Junction (or gateway site) the camera belongs to.
    pub junction_code: Option<String>,
    pub main_url: StreamUrl,
    pub sub_url: Option<StreamUrl>,
    pub enabled: bool,
    /// Name of the credentials entry used to log in to the camera; never the secret itself.
    pub credentials_ref: Option<String>,
    pub notes: String,
    /// The camera's ONVIF device service (`http://host/onvif/device_service`), for steering a
    /// PTZ camera; `None` when it is not steered.
    pub onvif_url: Option<String>,
}

impl Camera {
    /// A fixed camera has a known heading and is drawn with a view cone.
    /// Whether the camera plays a clip built into the program (`sample://`) instead of a
    /// real stream: the console flags it "video mẫu".
    pub fn plays_sample(&self) -> bool {
        self.main_url.sample_name().is_some()
    }

    pub fn is_fixed(&self) -> bool {
        self.heading_deg.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_round_trip_and_accept_underscores() {
        for kind in CameraKind::ALL {
            assert_eq!(CameraKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(
            CameraKind::from_code(" Flow_Count "),
            Some(CameraKind::FlowCount)
        );
        assert_eq!(CameraKind::from_code("speed"), None);
    }
}
