//! Camera registry in CSV: one header line with column names (any order), one camera a row.
//! Junctions are referenced by `junction_code` and must exist (import them with GeoJSON).

use super::fields::{self, CAMERA_COLUMNS, Record, canonical_column};
use super::{ImportProblem, Lined, MAX_PROBLEMS, Registry};
use crate::domain::Camera;
use std::collections::BTreeMap;

/// Parses a camera CSV file.
pub fn parse_csv(text: &str) -> Result<Registry, Vec<ImportProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // Excel writes a BOM
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| canonical_column(s).to_owned()).collect(),
        Err(e) => return Err(vec![csv_problem(&e)]),
    };
    let raw_headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    fields::check_known_columns(
        1,
        raw_headers.iter().map(String::as_str),
        &CAMERA_COLUMNS,
        &mut problems,
    );
    let mut cameras = Vec::new();
    for record in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(csv_problem(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let fields: BTreeMap<String, String> = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        let record = Record { line, fields };
        if let Some(camera) = fields::camera(&record, &mut problems) {
            cameras.push(Lined { line, item: camera });
        }
    }
    if cameras.is_empty() && problems.is_empty() {
        problems.push(ImportProblem {
            line: 0,
            field: String::new(),
            message: "the file holds no camera".into(),
        });
    }
    fields::check_unique_codes(
        cameras.iter().map(|c| (c.line, c.item.code.as_str())),
        "camera",
        &mut problems,
    );
    if problems.is_empty() {
        Ok(Registry {
            junctions: Vec::new(),
            cameras,
        })
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

fn csv_problem(error: &csv::Error) -> ImportProblem {
    let line = error.position().map_or(0, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("row has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "text is not UTF-8".to_owned(),
        _ => error.to_string(),
    };
    ImportProblem {
        line,
        field: String::new(),
        message,
    }
}

/// Writes cameras as CSV with every column, in the canonical order.
pub fn write_csv(cameras: &[Camera]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CAMERA_COLUMNS)?;
    for c in cameras {
        writer.write_record([
            c.code.as_str(),
            c.name.as_str(),
            c.kind.code(),
            &c.position.lat_deg.to_string(),
            &c.position.lon_deg.to_string(),
            &c.position_surveyed.to_string(),
            &fields::number_text(c.heading_deg),
            &fields::number_text(c.fov_deg),
            c.junction_code.as_deref().unwrap_or_default(),
            c.main_url.as_str(),
            c.sub_url.as_ref().map_or("", |u| u.as_str()),
            &c.enabled.to_string(),
            c.credentials_ref.as_deref().unwrap_or_default(),
            c.notes.as_str(),
            c.onvif_url.as_deref().unwrap_or_default(),
        ])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,kind,lat,lon,heading_deg,main_url\n";

    #[test]
    fn parses_a_good_file() {
        let text = format!(
            "{HEADER}C1,Ngã tư Đồi A1 hướng Bắc,enforcement,21.38,103.02,180,rtsp://cam1.invalid/main\n"
        );
        let registry = parse_csv(&text).unwrap();
        assert_eq!(registry.cameras.len(), 1);
        let c = &registry.cameras[0];
        assert_eq!(c.line, 2);
        assert_eq!(c.item.name, "Ngã tư Đồi A1 hướng Bắc");
        assert_eq!(c.item.heading_deg, Some(180.0));
        assert!(c.item.position_surveyed && c.item.enabled);
    }

    #[test]
    fn reports_each_bad_field_with_its_line() {
        let text = format!(
            "{HEADER}C1,A,enforcement,121.38,103.02,,rtsp://a.invalid/\n\
             C2,B,speed,21.38,103.02,,rtsp://b.invalid/\n\
             C3,C,overview,21.38,103.02,,http://c.invalid/\n\
             C1,D,crowd,21.38,103.02,,rtsp://d.invalid/\n\
             C5,E,crowd,21.38,103.02,,rtsps://e.invalid/\n\
             C6,F,crowd,21.38,103.02,,rtsp://f.invalid/live?user=admin&password=x\n"
        );
        let problems: Vec<String> = parse_csv(&text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "line 2, field 'lat_deg': latitude 121.38 is not a number between -90 and 90",
                "line 3, field 'kind': unknown kind 'speed' (expected one of enforcement, flow-count, overview, crowd, neighbourhood)",
                "line 4, field 'main_url': URL scheme must be rtsp, file or sample (got 'http')",
                "line 6, field 'main_url': rtsps:// (RTSP over TLS) is not supported: this RTSP client has no TLS; use rtsp:// on the cameras' own network",
                "line 7, field 'main_url': URL carries a user name or password; put credentials in the credentials_ref column instead",
            ]
        );
    }

    #[test]
    fn reports_duplicates_and_unknown_columns() {
        let text = "code,name,kind,lat,lon,main_url,colour\n\
                    C1,A,crowd,21.38,103.02,rtsp://a.invalid/,red\n\
                    C1,B,crowd,21.38,103.02,rtsp://b.invalid/,red\n";
        let problems: Vec<String> = parse_csv(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("line 1, field 'colour': unknown column"));
        assert_eq!(
            problems[1],
            "line 3, field 'code': duplicate camera code 'C1' (first on line 2)"
        );
    }

    #[test]
    fn reports_ragged_rows_and_empty_files() {
        let text = format!("{HEADER}C1,A,crowd\n");
        let problems = parse_csv(&text).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "line 2: row has 3 fields, the header has 7"
        );
        assert_eq!(
            parse_csv(HEADER).unwrap_err()[0].to_string(),
            "the file holds no camera"
        );
    }
}
