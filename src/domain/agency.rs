//! Who detects and who resolves violations, as notices and the portal name them.

/// Who detects and who resolves, as the notice and the portal name them.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Agency {
    /// Đơn vị phát hiện vi phạm.
    pub detecting_unit: String,
    /// Nơi giải quyết vụ việc.
    pub resolving_unit: String,
    pub phone: String,
    /// The names above are samples until the command centre sets them.
    pub sample: bool,
}

impl Default for Agency {
    fn default() -> Self {
        Self {
            detecting_unit: "Phòng Cảnh sát giao thông – Công an tỉnh Điện Biên (mẫu)".into(),
            resolving_unit: "Phòng Cảnh sát giao thông – Công an tỉnh Điện Biên (mẫu)".into(),
            phone: "(chưa cấu hình)".into(),
            sample: true,
        }
    }
}
