//! A reviewer's decision on a violation, and the deadlines of the procedure that follow a
//! confirmation (Thông tư 73/2024 and Nghị định 61/2026): the owner is identified within 10
//! days; a notice not resolved 20 days after it was sent goes to the registration bodies.

use serde::{Deserialize, Serialize};

/// Why a reviewer rejects a detected violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// The plate cannot be read on any still or frame.
    PlateUnreadable,
    /// The pictures do not show a violation (e.g. crossing on amber, a permitted turn).
    NoViolation,
    /// A priority vehicle on an emergency.
    PriorityVehicle,
    /// Directed by a traffic officer.
    OfficerDirected,
    /// The same vehicle and act as another event.
    Duplicate,
    /// The camera, the signal data or the detection was at fault.
    EquipmentFault,
    Other,
}

impl RejectReason {
    pub const ALL: [Self; 7] = [
        Self::PlateUnreadable,
        Self::NoViolation,
        Self::PriorityVehicle,
        Self::OfficerDirected,
        Self::Duplicate,
        Self::EquipmentFault,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PlateUnreadable => "plate-unreadable",
            Self::NoViolation => "no-violation",
            Self::PriorityVehicle => "priority-vehicle",
            Self::OfficerDirected => "officer-directed",
            Self::Duplicate => "duplicate",
            Self::EquipmentFault => "equipment-fault",
            Self::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Self::PlateUnreadable => "Không đọc được biển số",
            Self::NoViolation => "Không có vi phạm",
            Self::PriorityVehicle => "Xe ưu tiên làm nhiệm vụ",
            Self::OfficerDirected => "Theo hiệu lệnh người điều khiển giao thông",
            Self::Duplicate => "Trùng với vụ việc khác",
            Self::EquipmentFault => "Lỗi thiết bị",
            Self::Other => "Lý do khác",
        }
    }
}

/// The procedure's deadlines after a confirmation, UTC ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// Identify the owner from the registration data (10 days).
    pub identify_owner_by_ms: i64,
    /// Warn the registration and inspection bodies if unresolved (20 days after the notice;
    /// counted from the confirmation when the notice date is not known yet).
    pub escalate_by_ms: i64,
}

const DAY_MS: i64 = 86_400_000;

/// Deadlines of a violation confirmed at `confirmed_ms` whose notice went out at `notice_ms`.
pub fn deadlines(confirmed_ms: i64, notice_ms: Option<i64>) -> Deadlines {
    Deadlines {
        identify_owner_by_ms: confirmed_ms + 10 * DAY_MS,
        escalate_by_ms: notice_ms.unwrap_or(confirmed_ms) + 20 * DAY_MS,
    }
}

/// "còn 3 ngày 4 giờ" / "quá hạn 2 ngày": time left until `due_ms` at `now_ms`.
pub fn countdown_vi(due_ms: i64, now_ms: i64) -> String {
    let left = due_ms - now_ms;
    let span = left.abs();
    let (days, hours) = (span / DAY_MS, span % DAY_MS / 3_600_000);
    let text = if days > 0 {
        format!("{days} ngày {hours} giờ")
    } else {
        format!("{hours} giờ {} phút", span % 3_600_000 / 60_000)
    };
    if left >= 0 {
        format!("còn {text}")
    } else {
        format!("quá hạn {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_procedure() {
        let d = deadlines(0, None);
        assert_eq!(d.identify_owner_by_ms, 10 * DAY_MS);
        assert_eq!(d.escalate_by_ms, 20 * DAY_MS);
        assert_eq!(deadlines(0, Some(DAY_MS)).escalate_by_ms, 21 * DAY_MS);
        assert_eq!(
            countdown_vi(3 * DAY_MS + 4 * 3_600_000, 0),
            "còn 3 ngày 4 giờ"
        );
        assert_eq!(countdown_vi(0, 2 * DAY_MS), "quá hạn 2 ngày 0 giờ");
        assert_eq!(countdown_vi(90 * 60_000, 0), "còn 1 giờ 30 phút");
    }

    #[test]
    fn reasons_have_codes_and_vietnamese_names() {
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::from_code(r.code()), Some(r));
            assert!(!r.name_vi().is_empty());
        }
    }
}
