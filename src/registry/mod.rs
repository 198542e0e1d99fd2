//! Registry files: camera and junction inventories in CSV and GeoJSON, parsed into domain
//! types with every problem reported by line and field, and written back out. This module
//! reads and writes text only; the store applies a parsed registry in one transaction.

mod csv_format;
mod fields;
mod geojson_format;

pub use csv_format::{parse_csv, write_csv};
pub use geojson_format::{parse_geojson, write_geojson};

use crate::domain::{Camera, Junction};
use std::fmt;
use std::path::Path;

/// An item with the line of the file it came from (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Lined<T> {
    pub line: usize,
    pub item: T,
}

/// Junctions and cameras read from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    pub junctions: Vec<Lined<Junction>>,
    pub cameras: Vec<Lined<Camera>>,
}

/// One reason a registry file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// Line of the file, 1-based; 0 when the file as a whole is wrong.
    pub line: usize,
    /// Column or property name; empty when not about one field.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.is_empty()) {
            (0, true) => write!(f, "{}", self.message),
            (0, false) => write!(f, "field '{}': {}", self.field, self.message),
            (line, true) => write!(f, "line {line}: {}", self.message),
            (line, false) => write!(f, "line {line}, field '{}': {}", self.field, self.message),
        }
    }
}

/// File formats of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistryFormat {
    Csv,
    Geojson,
}

impl RegistryFormat {
    /// Guesses the format from a file name: `.csv`, or `.geojson`/`.json`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "geojson" | "json" => Some(Self::Geojson),
            _ => None,
        }
    }
}

/// Parses `text` in `format`.
pub fn parse(text: &str, format: RegistryFormat) -> Result<Registry, Vec<ImportProblem>> {
    match format {
        RegistryFormat::Csv => parse_csv(text),
        RegistryFormat::Geojson => parse_geojson(text),
    }
}

/// The sample Điện Biên Phủ inventory seeded into a new database. Its positions are
/// placeholders (`position_surveyed = false`) until a surveyed registry is imported.
pub const SAMPLE_INVENTORY_GEOJSON: &str = include_str!("../../data/sample-inventory.geojson");

/// Parses the embedded sample inventory.
pub fn sample_inventory() -> Result<Registry, Vec<ImportProblem>> {
    parse_geojson(SAMPLE_INVENTORY_GEOJSON)
}

/// Cap on problems listed for one file, so a wholly wrong file gives a readable message.
pub(crate) const MAX_PROBLEMS: usize = 50;
