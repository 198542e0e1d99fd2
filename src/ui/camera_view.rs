//! The cameras as the map and the list show them: a row per camera of the inventory (with its
//! junction, status, health and counts), the junctions, the selection, the map's view, and
//! whether the list must scroll to a selection made elsewhere. It takes the inventory the back
//! end sends; drawing is in `map_layer.rs` and `camera_list.rs`.

use super::action::CameraEntry;
use super::map_layer::MapOutput;
use crate::domain::{CameraStatus, Junction, text_fold};
use crate::service::Inventory;
use std::collections::HashMap;
use walkers::MapMemory;

/// Frames during which the list is scrolled to a selection made elsewhere (two: the scroll
/// area clamps the offset to the content size it saw the frame before).
pub const SCROLL_FRAMES: u8 = 2;

pub struct CameraView {
    pub entries: Vec<CameraEntry>,
    pub junctions: Vec<Junction>,
    /// Whether the inventory has arrived once.
    pub inventory_loaded: bool,
    /// The selected camera, by its row.
    pub selected: Option<usize>,
    pub map_memory: MapMemory,
    /// What the map reported last frame (the hovered camera, a click).
    pub last_map_output: MapOutput,
    /// Frames left during which the list scrolls to the selection.
    pub scroll_list_frames: u8,
}

impl CameraView {
    pub fn new(map_memory: MapMemory) -> Self {
        Self {
            entries: Vec::new(),
            junctions: Vec::new(),
            inventory_loaded: false,
            selected: None,
            map_memory,
            last_map_output: MapOutput::default(),
            scroll_list_frames: SCROLL_FRAMES,
        }
    }

    /// Takes a new inventory: the rows rebuilt, the selection kept by camera code (or the
    /// `remembered` one, on the first inventory).
    pub fn set_inventory(&mut self, inventory: Inventory, remembered: Option<String>) {
        let selected_code = self
            .selected
            .and_then(|i| self.entries.get(i))
            .map(|e| e.camera.code.clone())
            .or(remembered);
        self.entries = inventory
            .cameras
            .into_iter()
            .map(|camera| {
                let junction = camera
                    .junction_code
                    .as_ref()
                    .and_then(|code| inventory.junctions.iter().find(|j| &j.code == code));
                let junction_name = junction.map_or_else(|| "—".to_owned(), |j| j.name.clone());
                let ward = junction.map_or_else(|| "—".to_owned(), |j| j.ward.clone());
                let search_folded = text_fold::fold(&format!(
                    "{} {} {}",
                    camera.name, camera.code, junction_name
                ));
                CameraEntry {
                    camera,
                    status: CameraStatus::Unknown,
                    junction_name,
                    ward,
                    health: None,
                    detect: None,
                    search_folded,
                }
            })
            .collect();
        self.junctions = inventory.junctions;
        self.selected =
            selected_code.and_then(|code| self.entries.iter().position(|e| e.camera.code == code));
        self.inventory_loaded = true;
    }

    /// Each camera's junction code (for the junctions' controller feeds).
    pub fn junction_of(&self) -> HashMap<String, String> {
        self.entries
            .iter()
            .filter_map(|e| Some((e.camera.code.clone(), e.camera.junction_code.clone()?)))
            .collect()
    }

    /// The enabled cameras that play sample video.
    pub fn playing_samples(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.camera.enabled && e.camera.plays_sample())
            .map(|e| e.camera.code.as_str())
            .collect()
    }
}
