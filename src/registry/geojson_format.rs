//! Registry in GeoJSON: a FeatureCollection of Point features; `properties.entity` says
//! whether a feature is a `junction` or a `camera` (the default). Coordinates come from the
//! geometry (`[lon, lat]`), every other field from the properties, named as in the CSV.
//! Problems are reported at the line where the feature starts.

use super::fields::{self, CAMERA_COLUMNS, JUNCTION_COLUMNS, Record, canonical_column};
use super::{ImportProblem, Lined, MAX_PROBLEMS, Registry};
use crate::domain::{Camera, Junction};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "type")]
    kind: String,
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Map<String, Value>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Value,
}

/// Properties that GIS tools add and the registry ignores.
const IGNORED_PROPERTIES: [&str; 3] = ["entity", "id", "fid"];

/// Parses a GeoJSON registry.
pub fn parse_geojson(text: &str) -> Result<Registry, Vec<ImportProblem>> {
    let whole_file = |message: String| {
        vec![ImportProblem {
            line: 0,
            field: String::new(),
            message,
        }]
    };
    let collection: Collection = serde_json::from_str(text)
        .map_err(|e| whole_file(format!("not a GeoJSON FeatureCollection: {e}")))?;
    if collection.kind != "FeatureCollection" {
        return Err(whole_file(format!(
            "GeoJSON type is '{}', expected 'FeatureCollection'",
            collection.kind
        )));
    }
    let mut problems = Vec::new();
    let mut registry = Registry::default();
    for raw in collection.features {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let line = line_of(text, raw.get());
        if let Some(record) = feature_record(raw.get(), line, &mut problems) {
            let entity = record.1;
            let record = record.0;
            match entity.as_str() {
                "junction" => {
                    if let Some(j) = fields::junction(&record, &mut problems) {
                        registry.junctions.push(Lined { line, item: j });
                    }
                }
                _ => {
                    if let Some(c) = fields::camera(&record, &mut problems) {
                        registry.cameras.push(Lined { line, item: c });
                    }
                }
            }
        }
    }
    fields::check_unique_codes(
        registry
            .junctions
            .iter()
            .map(|j| (j.line, j.item.code.as_str())),
        "junction",
        &mut problems,
    );
    fields::check_unique_codes(
        registry
            .cameras
            .iter()
            .map(|c| (c.line, c.item.code.as_str())),
        "camera",
        &mut problems,
    );
    if registry.cameras.is_empty() && registry.junctions.is_empty() && problems.is_empty() {
        return Err(whole_file(
            "the file holds no camera and no junction".into(),
        ));
    }
    if problems.is_empty() {
        Ok(registry)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

/// The line (1-based) where `part`, a slice borrowed from `text`, starts.
fn line_of(text: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count() + 1)
}

/// The fields of one feature, and its entity (`camera` or `junction`).
fn feature_record(
    raw: &str,
    line: usize,
    problems: &mut Vec<ImportProblem>,
) -> Option<(Record, String)> {
    let mut problem = |field: &str, message: String| {
        problems.push(ImportProblem {
            line,
            field: field.to_owned(),
            message,
        })
    };
    let feature: Feature = match serde_json::from_str(raw) {
        Ok(f) => f,
        Err(e) => {
            problem("", format!("not a GeoJSON Feature: {e}"));
            return None;
        }
    };
    if feature.kind != "Feature" {
        problem("type", format!("'{}' is not 'Feature'", feature.kind));
        return None;
    }
    let entity = match feature.properties.get("entity") {
        None => "camera".to_owned(),
        Some(Value::String(s)) if s == "camera" || s == "junction" => s.clone(),
        Some(other) => {
            problem(
                "entity",
                format!("{other} is neither \"camera\" nor \"junction\""),
            );
            return None;
        }
    };
    let known: &[&str] = if entity == "junction" {
        &JUNCTION_COLUMNS
    } else {
        &CAMERA_COLUMNS
    };
    let names: Vec<&str> = feature
        .properties
        .keys()
        .map(String::as_str)
        .filter(|k| !IGNORED_PROPERTIES.contains(k))
        .collect();
    let before = problems.len();
    fields::check_known_columns(line, names.into_iter(), known, problems);
    let mut fields: BTreeMap<String, String> = feature
        .properties
        .iter()
        .filter(|(k, _)| !IGNORED_PROPERTIES.contains(&k.as_str()))
        .map(|(k, v)| (canonical_column(k).to_owned(), value_text(v)))
        .collect();
    match point_coordinates(feature.geometry.as_ref()) {
        Ok((lon, lat)) => {
            fields.insert("lat_deg".into(), lat);
            fields.insert("lon_deg".into(), lon);
        }
        Err(message) => problems.push(ImportProblem {
            line,
            field: "geometry".into(),
            message,
        }),
    }
    (problems.len() == before).then_some((Record { line, fields }, entity))
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn point_coordinates(geometry: Option<&Geometry>) -> Result<(String, String), String> {
    let geometry = geometry.ok_or("feature has no geometry")?;
    if geometry.kind != "Point" {
        return Err(format!("geometry is a {}, expected a Point", geometry.kind));
    }
    match geometry.coordinates.as_array().map(Vec::as_slice) {
        Some([lon, lat, ..]) => Ok((value_text(lon), value_text(lat))),
        _ => Err("Point coordinates must be [longitude, latitude]".into()),
    }
}

/// Writes junctions and cameras as one GeoJSON FeatureCollection.
pub fn write_geojson(junctions: &[Junction], cameras: &[Camera]) -> String {
    let point = |lat: f64, lon: f64| json!({ "type": "Point", "coordinates": [lon, lat] });
    let mut features: Vec<Value> = junctions
        .iter()
        .map(|j| {
            json!({
                "type": "Feature",
                "geometry": point(j.position.lat_deg, j.position.lon_deg),
                "properties": {
                    "entity": "junction",
                    "code": j.code,
                    "name": j.name,
                    "ward": j.ward,
                    "signalised": j.signalised,
                    "position_surveyed": j.position_surveyed,
                }
            })
        })
        .collect();
    features.extend(cameras.iter().map(|c| {
        json!({
            "type": "Feature",
            "geometry": point(c.position.lat_deg, c.position.lon_deg),
            "properties": {
                "entity": "camera",
                "code": c.code,
                "name": c.name,
                "kind": c.kind.code(),
                "position_surveyed": c.position_surveyed,
                "heading_deg": c.heading_deg,
                "fov_deg": c.fov_deg,
                "junction_code": c.junction_code,
                "main_url": c.main_url.as_str(),
                "sub_url": c.sub_url.as_ref().map(|u| u.as_str()),
                "enabled": c.enabled,
                "credentials_ref": c.credentials_ref,
                "notes": c.notes,
                "onvif_url": c.onvif_url,
            }
        })
    }));
    let collection = json!({ "type": "FeatureCollection", "features": features });
    serde_json::to_string_pretty(&collection).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_problems_at_the_line_of_the_feature() {
        let text = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [103.02, 21.38]},
   "properties": {"entity": "junction", "code": "J1", "name": "Ngã tư Đồi A1"}},
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [21.38, 103.02]},
   "properties": {"code": "C1", "name": "A", "kind": "enforcement", "main_url": "rtsp://a.invalid/"}},
  {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []},
   "properties": {"code": "C2"}}
]}"#;
        let problems: Vec<String> = parse_geojson(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "line 4, field 'lat_deg': latitude 103.02 is not a number between -90 and 90",
                "line 6, field 'geometry': geometry is a LineString, expected a Point",
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_a_feature_collection() {
        let problems = parse_geojson(r#"{"type": "Feature", "features": []}"#).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "GeoJSON type is 'Feature', expected 'FeatureCollection'"
        );
        assert!(parse_geojson("not json").is_err());
    }

    #[test]
    fn the_sample_inventory_parses_and_is_flagged_unsurveyed() {
        let sample = super::super::sample_inventory().unwrap();
        assert!(sample.cameras.iter().all(|c| !c.item.position_surveyed));
        assert!(sample.junctions.iter().all(|j| !j.item.position_surveyed));
    }
}
