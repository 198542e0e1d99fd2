//! What the interface remembers across restarts (eframe storage): language, panels, filters,
//! the map view and the selected camera. Runtime state and GPU resources are kept elsewhere.

use super::i18n::Language;
use super::wall::WallSettings;
use crate::domain::{CameraKind, CameraStatus};
use serde::{Deserialize, Serialize};

/// Key of the settings in eframe's storage.
pub const STORAGE_KEY: &str = "dienbien-dispatch.ui";

/// Centre of Điện Biên Phủ city (domain brief §4).
pub const CITY_CENTRE_DEG: (f64, f64) = (21.3856, 103.0169);
pub const DEFAULT_ZOOM: f64 = 14.5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiSettings {
    pub language: Language,
    pub show_camera_list: bool,
    pub search: String,
    pub hidden_kinds: Vec<CameraKind>,
    pub hidden_statuses: Vec<CameraStatus>,
    pub selected_camera: Option<String>,
    /// Map centre, latitude and longitude in degrees.
    pub map_centre_deg: (f64, f64),
    pub map_zoom: f64,
    /// What the main window shows.
    pub view: MainView,
    pub wall: WallSettings,
}

/// The main window's view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MainView {
    #[default]
    Map,
    Wall,
    /// The review of violations (F4).
    Review,
    /// Replay of recorded incidents (F5).
    Replay,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self {
            language: Language::Vietnamese,
            show_camera_list: true,
            search: String::new(),
            hidden_kinds: Vec::new(),
            hidden_statuses: Vec::new(),
            selected_camera: None,
            map_centre_deg: CITY_CENTRE_DEG,
            map_zoom: DEFAULT_ZOOM,
            view: MainView::Map,
            wall: WallSettings::default(),
        }
    }
}

impl UiSettings {
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default()
    }
}
