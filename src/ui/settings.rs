//! What the interface remembers across restarts (eframe storage): language, panels, filters,
//! the map view and the selected camera. Runtime state and GPU resources are kept elsewhere.

use super::i18n::Language;
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

/// Tiles per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WallLayout {
    One,
    Two,
    Three,
    Four,
    Five,
}

impl WallLayout {
    pub const ALL: [WallLayout; 5] = [
        WallLayout::One,
        WallLayout::Two,
        WallLayout::Three,
        WallLayout::Four,
        WallLayout::Five,
    ];

    pub fn side(self) -> usize {
        match self {
            WallLayout::One => 1,
            WallLayout::Two => 2,
            WallLayout::Three => 3,
            WallLayout::Four => 4,
            WallLayout::Five => 5,
        }
    }

    pub fn tiles(self) -> usize {
        self.side() * self.side()
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            WallLayout::One => "1",
            WallLayout::Two => "2×2",
            WallLayout::Three => "3×3",
            WallLayout::Four => "4×4",
            WallLayout::Five => "5×5",
        }
    }
}

/// What the wall remembers across restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WallSettings {
    pub layout: WallLayout,
    /// Camera code shown in each tile (25 slots; the layout shows the first side² of them).
    pub tiles: Vec<Option<String>>,
    pub selected_tile: usize,
    pub fullscreen: Option<usize>,
    /// Show the wall in a window of its own (for a second monitor).
    pub own_window: bool,
    /// The wall was first filled (with the cameras playing sample video, if any): done once,
    /// so a wall the user emptied stays empty.
    pub first_filled: bool,
}

impl Default for WallSettings {
    fn default() -> Self {
        Self {
            layout: WallLayout::Two,
            tiles: vec![None; 25],
            selected_tile: 0,
            fullscreen: None,
            own_window: false,
            first_filled: false,
        }
    }
}

impl WallSettings {
    /// Puts `code` in the selected tile if it is empty, else in the first empty visible tile,
    /// else in the selected tile; returns the tile used.
    pub fn place(&mut self, code: &str) -> usize {
        self.tiles.resize(25, None);
        let visible = self.layout.tiles();
        if let Some(existing) = self.tiles[..visible]
            .iter()
            .position(|t| t.as_deref() == Some(code))
        {
            self.selected_tile = existing;
            return existing;
        }
        let selected = self.selected_tile.min(visible - 1);
        let tile = if self.tiles[selected].is_none() {
            selected
        } else {
            self.tiles[..visible]
                .iter()
                .position(Option::is_none)
                .unwrap_or(selected)
        };
        self.tiles[tile] = Some(code.to_owned());
        self.selected_tile = tile;
        tile
    }

    /// On the first inventory ever shown: an empty wall takes the enabled cameras that play
    /// sample video (up to the layout's tiles), so a first run shows them at once.
    pub fn fill_first(&mut self, sample_codes: &[&str]) {
        if self.first_filled {
            return;
        }
        self.first_filled = true;
        if self.tiles.iter().any(Option::is_some) {
            return;
        }
        for code in sample_codes.iter().take(self.layout.tiles()) {
            self.place(code);
        }
        self.selected_tile = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placing_fills_the_selected_then_the_first_empty_tile() {
        let mut wall = WallSettings::default();
        assert_eq!(wall.place("A"), 0);
        assert_eq!(wall.place("B"), 1);
        assert_eq!(wall.place("A"), 0, "already shown: select it");
        wall.selected_tile = 3;
        assert_eq!(wall.place("C"), 3);
        assert_eq!(wall.place("D"), 2);
        // The 2×2 wall is full: the selected tile is replaced.
        assert_eq!(wall.place("E"), 2);
        assert_eq!(wall.tiles[2].as_deref(), Some("E"));
    }

    #[test]
    fn the_first_inventory_fills_an_empty_wall_once() {
        let mut wall = WallSettings::default();
        wall.fill_first(&["N", "E", "S", "W", "X"]);
        let shown: Vec<Option<&str>> = wall.tiles[..4].iter().map(|t| t.as_deref()).collect();
        assert_eq!(shown, [Some("N"), Some("E"), Some("S"), Some("W")]);
        assert!(wall.tiles[4..].iter().all(Option::is_none));
        assert_eq!(wall.selected_tile, 0);
        wall.tiles = vec![None; 25];
        wall.fill_first(&["N"]);
        assert!(
            wall.tiles.iter().all(Option::is_none),
            "an emptied wall stays empty"
        );

        let mut arranged = WallSettings::default();
        arranged.place("MINE");
        arranged.fill_first(&["N"]);
        assert_eq!(arranged.tiles[0].as_deref(), Some("MINE"));
        assert!(
            arranged.tiles[1..].iter().all(Option::is_none),
            "a wall in use is kept"
        );
    }
}
