//! The portal row of a confirmed violation, in the public lookup's column order.

use super::Agency;
use serde::Serialize;

/// The portal's columns, in order (Thông tư 73/2024 publication; the public lookup shows these).
pub const PORTAL_COLUMNS: [&str; 9] = [
    "Biển kiểm soát",
    "Màu biển",
    "Loại phương tiện",
    "Thời gian vi phạm",
    "Địa điểm vi phạm",
    "Hành vi vi phạm",
    "Trạng thái",
    "Đơn vị phát hiện vi phạm",
    "Nơi giải quyết vụ việc",
];

/// One row, fields in column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalRow {
    pub plate: String,
    pub plate_colour: String,
    pub vehicle_type: String,
    pub time: String,
    pub place: String,
    pub violation: String,
    pub status: String,
    pub detecting_unit: String,
    pub resolving_unit: String,
}

impl PortalRow {
    pub fn values(&self) -> [&str; 9] {
        [
            &self.plate,
            &self.plate_colour,
            &self.vehicle_type,
            &self.time,
            &self.place,
            &self.violation,
            &self.status,
            &self.detecting_unit,
            &self.resolving_unit,
        ]
    }

    pub fn with_agency(mut self, agency: &Agency) -> Self {
        self.detecting_unit = agency.detecting_unit.clone();
        self.resolving_unit = agency.resolving_unit.clone();
        self
    }
}

/// CSV with the portal's header, UTF-8 with a byte-order mark (spreadsheets read the
/// diacritics right).
pub fn portal_csv(rows: &[PortalRow]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(PORTAL_COLUMNS)?;
    for row in rows {
        writer.write_record(row.values())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// JSON lines, one object a row, keys the portal's column names in order.
pub fn portal_json(rows: &[PortalRow]) -> String {
    rows.iter()
        .map(|row| {
            let fields: Vec<String> = PORTAL_COLUMNS
                .iter()
                .zip(row.values())
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String((*k).to_owned()),
                        serde_json::Value::String(v.to_owned())
                    )
                })
                .collect();
            format!("{{{}}}\n", fields.join(","))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> PortalRow {
        PortalRow {
            plate: "27A-123.45".into(),
            plate_colour: "Nền mầu trắng, chữ và số màu đen".into(),
            vehicle_type: "Ô tô".into(),
            time: "07:13, 30/11/2026".into(),
            place: "Ngã tư Đồi A1, phường Điện Biên Phủ".into(),
            violation: "6.9.b. Không chấp hành hiệu lệnh của đèn tín hiệu giao thông".into(),
            status: "Chưa xử phạt".into(),
            detecting_unit: String::new(),
            resolving_unit: String::new(),
        }
        .with_agency(&Agency::default())
    }

    #[test]
    fn csv_and_json_keep_the_portal_column_order() {
        let csv = portal_csv(&[row()]).unwrap();
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next().unwrap(), PORTAL_COLUMNS.join(","));
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("27A-123.45,\"Nền mầu trắng")
        );
        let json = portal_json(&[row()]);
        let keys: Vec<usize> = PORTAL_COLUMNS
            .iter()
            .map(|k| json.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys in column order");
        let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(value["Biển kiểm soát"], "27A-123.45");
    }
}
