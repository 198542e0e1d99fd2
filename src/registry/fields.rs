//! Turning the named text fields of one record (a CSV row or a GeoJSON feature) into a camera
//! or a junction, collecting a problem for every bad field. Shared by both file formats.

use super::ImportProblem;
use crate::domain::{Camera, CameraKind, GeoError, GeoPoint, Junction, StreamUrl};
use std::collections::{BTreeMap, HashSet};

/// Columns of a camera record, in export order.
pub(crate) const CAMERA_COLUMNS: [&str; 15] = [
    "code",
    "name",
    "kind",
    "lat_deg",
    "lon_deg",
    "position_surveyed",
    "heading_deg",
    "fov_deg",
    "junction_code",
    "main_url",
    "sub_url",
    "enabled",
    "credentials_ref",
    "notes",
    "onvif_url",
];

/// Properties of a junction record.
pub(crate) const JUNCTION_COLUMNS: [&str; 7] = [
    "code",
    "name",
    "ward",
    "lat_deg",
    "lon_deg",
    "signalised",
    "position_surveyed",
];

/// Accepted spellings of column names, mapped to the canonical one.
pub(crate) fn canonical_column(name: &str) -> &str {
    match name {
        "lat" | "latitude" => "lat_deg",
        "lon" | "lng" | "longitude" => "lon_deg",
        "heading" => "heading_deg",
        "fov" => "fov_deg",
        "junction" => "junction_code",
        other => other,
    }
}

/// The fields of one record, by canonical name; empty cells are absent.
pub(crate) struct Record {
    pub line: usize,
    pub fields: BTreeMap<String, String>,
}

impl Record {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

struct Checker<'a> {
    record: &'a Record,
    problems: &'a mut Vec<ImportProblem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(ImportProblem {
            line: self.record.line,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let value = self.record.get(field).map(str::to_owned);
        if value.is_none() {
            self.problem(field, "is required");
        }
        value
    }

    /// A required code (camera, junction): capitals, digits and '-' only.
    fn code(&mut self, field: &str) -> Option<String> {
        let code = self.required(field)?;
        self.checked_code(field, code)
    }

    /// `code` if it may name folders and files, else a problem.
    fn checked_code(&mut self, field: &str, code: String) -> Option<String> {
        match crate::domain::safe_path::code_problem(&code) {
            Some(problem) => {
                self.problem(field, problem);
                None
            }
            None => Some(code),
        }
    }

    fn optional(&self, field: &str) -> Option<String> {
        self.record.get(field).map(str::to_owned)
    }

    fn number(&mut self, field: &str) -> Option<f64> {
        let text = self.record.get(field)?;
        match text.replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.problem(field, format!("'{text}' is not a number"));
                None
            }
        }
    }

    fn angle(&mut self, field: &str, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
        let value = self.number(field)?;
        if range.contains(&value) {
            Some(value)
        } else {
            self.problem(
                field,
                format!(
                    "{value} is outside {}–{} degrees",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }

    fn boolean(&mut self, field: &str, default: bool) -> bool {
        let Some(text) = self.record.get(field) else {
            return default;
        };
        match text.to_lowercase().as_str() {
            "true" | "yes" | "1" | "có" | "co" => true,
            "false" | "no" | "0" | "không" | "khong" => false,
            _ => {
                self.problem(field, format!("'{text}' is not true or false"));
                default
            }
        }
    }

    fn position(&mut self) -> Option<GeoPoint> {
        let lat = self.number("lat_deg");
        let lon = self.number("lon_deg");
        if self.record.get("lat_deg").is_none() {
            self.problem("lat_deg", "is required");
        }
        if self.record.get("lon_deg").is_none() {
            self.problem("lon_deg", "is required");
        }
        match GeoPoint::in_vietnam(lat?, lon?) {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e {
                    GeoError::BadLongitude(_) => "lon_deg",
                    GeoError::BadLatitude(_) | GeoError::OutsideVietnam { .. } => "lat_deg",
                };
                self.problem(field, e.to_string());
                None
            }
        }
    }

    /// An ONVIF device service address: http or https, without a user name or password.
    fn onvif_url(&mut self, field: &str) -> Option<String> {
        let text = self.optional(field)?;
        match crate::domain::ptz::check_onvif_url(&text) {
            Ok(()) => Some(text),
            Err(message) => {
                self.problem(field, message);
                None
            }
        }
    }

    fn url(&mut self, field: &str, text: Option<String>) -> Option<StreamUrl> {
        match StreamUrl::parse(&text?).and_then(|url| url.check_supported().map(|()| url)) {
            Ok(url) => Some(url),
            Err(e) => {
                self.problem(field, e.to_string());
                None
            }
        }
    }
}

/// Builds a camera from `record`, or adds its problems to `problems`.
pub(crate) fn camera(record: &Record, problems: &mut Vec<ImportProblem>) -> Option<Camera> {
    let before = problems.len();
    let mut c = Checker { record, problems };
    let code = c.code("code");
    let name = c.required("name");
    let kind = c.required("kind").and_then(|text| {
        let kind = CameraKind::from_code(&text);
        if kind.is_none() {
            let known: Vec<_> = CameraKind::ALL.iter().map(|k| k.code()).collect();
            c.problem(
                "kind",
                format!(
                    "unknown kind '{text}' (expected one of {})",
                    known.join(", ")
                ),
            );
        }
        kind
    });
    let position = c.position();
    let heading_deg = c.angle("heading_deg", 0.0..=360.0);
    let fov_deg = c.angle("fov_deg", 1.0..=360.0);
    let main_text = c.required("main_url");
    let main_url = c.url("main_url", main_text);
    let sub_text = c.optional("sub_url");
    let sub_url = c.url("sub_url", sub_text);
    let position_surveyed = c.boolean("position_surveyed", true);
    let enabled = c.boolean("enabled", true);
    let junction_code = c
        .optional("junction_code")
        .and_then(|code| c.checked_code("junction_code", code));
    let camera = Camera {
        code: code?,
        name: name?,
        kind: kind?,
        position: position?,
        position_surveyed,
        heading_deg,
        fov_deg,
        junction_code,
        main_url: main_url?,
        sub_url,
        enabled,
        credentials_ref: c.optional("credentials_ref"),
        notes: c.optional("notes").unwrap_or_default(),
        onvif_url: c.onvif_url("onvif_url"),
    };
    (problems.len() == before).then_some(camera)
}

/// Builds a junction from `record`, or adds its problems to `problems`.
pub(crate) fn junction(record: &Record, problems: &mut Vec<ImportProblem>) -> Option<Junction> {
    let before = problems.len();
    let mut c = Checker { record, problems };
    let code = c.code("code");
    let name = c.required("name");
    let position = c.position();
    let junction = Junction {
        code: code?,
        name: name?,
        ward: c.optional("ward").unwrap_or_default(),
        position: position?,
        signalised: c.boolean("signalised", false),
        position_surveyed: c.boolean("position_surveyed", true),
    };
    (problems.len() == before).then_some(junction)
}

/// Reports a code used twice in one file.
pub(crate) fn check_unique_codes<'a>(
    codes: impl Iterator<Item = (usize, &'a str)>,
    what: &str,
    problems: &mut Vec<ImportProblem>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (line, code) in codes {
        if let Some(first) = seen.insert(code, line) {
            problems.push(ImportProblem {
                line,
                field: "code".into(),
                message: format!("duplicate {what} code '{code}' (first on line {first})"),
            });
        }
    }
}

/// Reports column names the format does not know.
pub(crate) fn check_known_columns<'a>(
    line: usize,
    names: impl Iterator<Item = &'a str>,
    known: &[&str],
    problems: &mut Vec<ImportProblem>,
) {
    let known: HashSet<&str> = known.iter().copied().collect();
    for name in names {
        if !known.contains(canonical_column(name)) {
            problems.push(ImportProblem {
                line,
                field: name.to_owned(),
                message: format!("unknown column (known: {})", known_list(&known)),
            });
        }
    }
}

fn known_list(known: &HashSet<&str>) -> String {
    let mut names: Vec<_> = known.iter().copied().collect();
    names.sort_unstable();
    names.join(", ")
}

/// Formats an optional number for export, shortest text that reads back to the same value.
pub(crate) fn number_text(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}
