//! The streets of Điện Biên Phủ from OpenStreetMap (ODbL 1.0), built into the program as the
//! offline base map: each road's class, name and line, with its bounding box for culling.
//! `data/osm/` holds the file, its licence and how it was made.

use serde::Deserialize;

/// The roads file, built in.
const ROADS_GEOJSON: &str = include_str!("../data/osm/dien-bien-phu-roads.geojson");

/// What the map credits under the streets.
pub const ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// How a road is drawn, from OpenStreetMap's `highway` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoadClass {
    /// Service roads, tracks, footways, steps: drawn only close in.
    Minor,
    /// Residential, unclassified, living streets.
    Street,
    /// Secondary and tertiary roads.
    Secondary,
    /// Trunk and primary roads (Võ Nguyên Giáp, national roads).
    Primary,
}

impl RoadClass {
    fn from_highway(highway: &str) -> Self {
        match highway {
            "motorway" | "trunk" | "primary" => Self::Primary,
            "secondary" | "tertiary" => Self::Secondary,
            "residential" | "unclassified" | "living_street" | "construction" => Self::Street,
            _ => Self::Minor,
        }
    }
}

/// One road: its class, name (when the data has one) and points as (lat, lon) degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    pub class: RoadClass,
    pub name: Option<String>,
    pub points: Vec<(f64, f64)>,
    /// (lat min, lon min, lat max, lon max).
    pub bounds: (f64, f64, f64, f64),
}

/// The city's streets.
#[derive(Debug, Clone, PartialEq)]
pub struct CityMap {
    /// Drawn in order: minor roads first, primary roads last (on top).
    pub roads: Vec<Road>,
    /// (lat min, lon min, lat max, lon max) of the area the data covers.
    pub bounds: (f64, f64, f64, f64),
    /// When the data was taken from OpenStreetMap ("2021-08").
    pub data_date: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the built-in city map cannot be read: {0}")]
pub struct CityMapError(String);

#[derive(Deserialize)]
struct File {
    bbox: [f64; 4],
    data_date: String,
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Line,
}

#[derive(Deserialize)]
struct Properties {
    highway: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    coordinates: Vec<[f64; 2]>,
}

impl CityMap {
    /// The map built into the program (parsed on each call: keep the result).
    pub fn bundled() -> Result<Self, CityMapError> {
        Self::from_geojson(ROADS_GEOJSON)
    }

    /// Reads a roads file in the form `data/osm/make_roads.py` writes.
    pub fn from_geojson(text: &str) -> Result<Self, CityMapError> {
        let file: File = serde_json::from_str(text).map_err(|e| CityMapError(e.to_string()))?;
        let mut roads: Vec<Road> = file
            .features
            .into_iter()
            .filter(|f| f.geometry.coordinates.len() >= 2)
            .map(|f| {
                let points: Vec<(f64, f64)> = f
                    .geometry
                    .coordinates
                    .iter()
                    .map(|[lon, lat]| (*lat, *lon))
                    .collect();
                let bounds = points.iter().fold(
                    (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
                    |(a, b, c, d), &(lat, lon)| (a.min(lat), b.min(lon), c.max(lat), d.max(lon)),
                );
                Road {
                    class: RoadClass::from_highway(&f.properties.highway),
                    name: f.properties.name.filter(|n| !n.trim().is_empty()),
                    points,
                    bounds,
                }
            })
            .collect();
        roads.sort_by_key(|r| r.class);
        let [lon_min, lat_min, lon_max, lat_max] = file.bbox;
        Ok(Self {
            roads,
            bounds: (lat_min, lon_min, lat_max, lon_max),
            data_date: file.data_date,
        })
    }

    /// Whether the area (lat min, lon min, lat max, lon max) overlaps the data.
    pub fn covers(&self, area: (f64, f64, f64, f64)) -> bool {
        overlaps(self.bounds, area)
    }

    /// The roads that may show in the area.
    pub fn roads_in(&self, area: (f64, f64, f64, f64)) -> impl Iterator<Item = &Road> {
        self.roads.iter().filter(move |r| overlaps(r.bounds, area))
    }
}

fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_map_holds_the_citys_named_streets() {
        let map = CityMap::bundled().unwrap();
        assert_eq!(map.roads.len(), 2877);
        assert_eq!(map.data_date, "2021-08");
        assert_eq!(map.bounds, (21.36, 102.99, 21.47, 103.1));
        for name in [
            "Võ Nguyên Giáp",
            "Hoàng Văn Thái",
            "Trường Chinh",
            "Trần Can",
        ] {
            assert!(
                map.roads.iter().any(|r| r.name.as_deref() == Some(name)),
                "{name}"
            );
        }
        assert!(
            map.roads.windows(2).all(|w| w[0].class <= w[1].class),
            "primary roads are drawn last"
        );
        let primary = map
            .roads
            .iter()
            .filter(|r| r.class == RoadClass::Primary)
            .count();
        assert_eq!(primary, 38);
    }

    #[test]
    fn only_roads_near_the_view_are_offered() {
        let map = CityMap::bundled().unwrap();
        // 200 m around Ngã tư Đồi A1.
        let near_a1 = (21.3800, 103.0140, 21.3836, 103.0180);
        let near: Vec<&Road> = map.roads_in(near_a1).collect();
        assert!(!near.is_empty() && near.len() < 200, "{}", near.len());
        assert!(
            near.iter()
                .any(|r| r.name.as_deref() == Some("Hoàng Văn Thái"))
        );
        assert!(map.covers(near_a1));
        assert!(
            !map.covers((21.0, 105.8, 21.1, 105.9)),
            "Hà Nội is not in it"
        );
        assert_eq!(map.roads_in((21.0, 105.8, 21.1, 105.9)).count(), 0);
    }

    #[test]
    fn a_broken_file_is_an_error() {
        let error = CityMap::from_geojson("{\"bbox\": [1, 2]}").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the built-in city map cannot be read: ")
        );
    }
}
