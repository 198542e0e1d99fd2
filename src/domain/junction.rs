//! Junctions and other camera sites (city gateways) of the registry.

use super::GeoPoint;
use serde::{Deserialize, Serialize};

/// A junction or site where cameras stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Junction {
    /// Unique, stable code, e.g. `DBP-J-A1`.
    pub code: String,
    /// Vietnamese name, e.g. "Ngã tư Đồi A1".
    pub name: String,
    /// Ward (phường/xã) since the 2025-07-01 reorganisation.
    pub ward: String,
    pub position: GeoPoint,
    /// True for a junction controlled by traffic signals.
    pub signalised: bool,
    /// False while the position is a placeholder waiting for a survey.
    pub position_surveyed: bool,
}
