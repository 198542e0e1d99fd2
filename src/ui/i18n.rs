//! Interface text, Vietnamese first and English second. Every string a user reads comes from
//! here, so that a translation is one table.

use crate::domain::{CameraKind, CameraStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    Vietnamese,
    English,
}

/// Every fixed text of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    AppTitle,
    Cameras,
    Search,
    SearchHint,
    Kind,
    Status,
    NoMatch,
    Code,
    Junction,
    Ward,
    Position,
    Heading,
    FieldOfView,
    MainStream,
    SubStream,
    Enabled,
    LastSeen,
    Never,
    Notes,
    OpenFeed,
    Close,
    SamplePositionsBanner,
    SamplePosition,
    SurveyedPosition,
    TilesOffline,
    TilesLoading,
    TilesNone,
    Language,
    About,
    AboutBody,
    Version,
    Revision,
    Database,
    Opening,
    Shortcuts,
    ShortcutList,
    Yes,
    No,
    CameraCount,
    PtzCamera,
    MapView,
    Wall,
    WallLayoutHint,
    WallOwnWindow,
    WallBackToMain,
    WallKeys,
    WallEmptyTile,
    StreamConnecting,
    StreamWaitingPicture,
    StreamRetrying,
    StreamFailed,
    StreamStopped,
    Dropped,
    Detection,
    DetectionSkipped,
    DetectorLoading,
    DetectorOff,
    DetectorUnavailable,
    SearchesPerSecond,
    Searches,
    SkippedRate,
    SkippedStill,
    SkippedBusy,
    ClassPerson,
    ClassBicycle,
    ClassCar,
    ClassMotorbike,
    ClassBus,
    ClassTruck,
    ClassTrafficLight,
    Confidence,
    HeldObject,
    TrackNumber,
    TamperBlack,
    TamperFeatureless,
    TamperMoved,
    Lost,
    Ago,
    LastError,
    WallWindowTitle,
}

impl Text {
    pub fn get(self, lang: Language) -> &'static str {
        let (vi, en) = match self {
            Text::AppTitle => (
                "Trung tâm chỉ huy giao thông Điện Biên",
                "Điện Biên traffic command console",
            ),
            Text::Cameras => ("Camera", "Cameras"),
            Text::Search => ("Tìm kiếm", "Search"),
            Text::SearchHint => (
                "Tìm theo tên, mã, nút giao…",
                "Search name, code, junction…",
            ),
            Text::Kind => ("Loại", "Kind"),
            Text::Status => ("Trạng thái", "Status"),
            Text::NoMatch => ("Không có camera phù hợp", "No camera matches"),
            Text::Code => ("Mã", "Code"),
            Text::Junction => ("Nút giao", "Junction"),
            Text::Ward => ("Phường/xã", "Ward"),
            Text::Position => ("Vị trí", "Position"),
            Text::Heading => ("Hướng nhìn", "Heading"),
            Text::FieldOfView => ("Góc nhìn", "Field of view"),
            Text::MainStream => ("Luồng chính", "Main stream"),
            Text::SubStream => ("Luồng phụ", "Sub stream"),
            Text::Enabled => ("Đang sử dụng", "Enabled"),
            Text::LastSeen => ("Lần cuối thấy hình", "Last seen"),
            Text::Never => ("chưa có hình", "no picture yet"),
            Text::Notes => ("Ghi chú", "Notes"),
            Text::OpenFeed => ("Mở hình ảnh trực tiếp", "Open live feed"),
            Text::Close => ("Đóng", "Close"),
            Text::SamplePositionsBanner => (
                "Vị trí camera là dữ liệu MẪU, cần khảo sát",
                "Camera positions are SAMPLE data, to be surveyed",
            ),
            Text::SamplePosition => ("mẫu, cần khảo sát", "sample, to be surveyed"),
            Text::SurveyedPosition => ("đã khảo sát", "surveyed"),
            Text::TilesOffline => (
                "Bản đồ nền ngoại tuyến: không tải được ô bản đồ, hiển thị sơ đồ nút giao",
                "Base map offline: tiles unreachable, showing the junction schematic",
            ),
            Text::TilesLoading => ("Đang tải bản đồ nền…", "Loading base map…"),
            Text::TilesNone => (
                "Không dùng bản đồ nền: hiển thị sơ đồ nút giao",
                "No base map configured: showing the junction schematic",
            ),
            Text::Language => ("Ngôn ngữ", "Language"),
            Text::About => ("Giới thiệu", "About"),
            Text::AboutBody => (
                "Bảng điều khiển trung tâm chỉ huy của Công an tỉnh Điện Biên: bản đồ camera, hình ảnh trực tiếp, phát hiện vi phạm và lưu chứng cứ.",
                "Command console of the Điện Biên provincial police: camera map, live video, violation detection and evidence.",
            ),
            Text::Version => ("Phiên bản", "Version"),
            Text::Revision => ("Bản sửa đổi", "Revision"),
            Text::Database => ("Cơ sở dữ liệu", "Database"),
            Text::Opening => ("Đang mở cơ sở dữ liệu…", "Opening the database…"),
            Text::Shortcuts => ("Phím tắt", "Shortcuts"),
            Text::ShortcutList => (
                "Ctrl+F: tìm camera · Esc: bỏ chọn · Ctrl+L: ẩn/hiện danh sách · Ctrl +/−: cỡ chữ · F1: giới thiệu",
                "Ctrl+F: find camera · Esc: deselect · Ctrl+L: show/hide list · Ctrl +/−: text size · F1: about",
            ),
            Text::Yes => ("có", "yes"),
            Text::No => ("không", "no"),
            Text::CameraCount => ("camera", "cameras"),
            Text::PtzCamera => ("quay quét (PTZ)", "pan-tilt-zoom"),
            Text::MapView => ("Bản đồ (F2)", "Map (F2)"),
            Text::Wall => ("Tường video (F3)", "Video wall (F3)"),
            Text::WallLayoutHint => ("Bố cục (phím 1–5)", "Layout (keys 1–5)"),
            Text::WallOwnWindow => ("Mở ở cửa sổ riêng", "Open in its own window"),
            Text::WallBackToMain => ("Đưa về cửa sổ chính", "Back to the main window"),
            Text::WallKeys => (
                "Kéo camera từ danh sách vào ô · nhấp đúp/Enter: toàn màn hình · mũi tên: chọn ô · Delete: xoá ô",
                "Drag a camera from the list onto a tile · double-click/Enter: full screen · arrows: select · Delete: clear",
            ),
            Text::WallEmptyTile => ("Kéo camera vào đây", "Drop a camera here"),
            Text::StreamConnecting => ("Đang kết nối…", "Connecting…"),
            Text::StreamWaitingPicture => ("Đang chờ hình…", "Waiting for a picture…"),
            Text::StreamRetrying => ("Mất tín hiệu, đang thử lại", "Signal lost, retrying"),
            Text::StreamFailed => ("Lỗi", "Failed"),
            Text::StreamStopped => ("Đã dừng", "Stopped"),
            Text::Dropped => ("bỏ", "dropped"),
            Text::Detection => ("Phát hiện", "Detection"),
            Text::DetectionSkipped => ("Khung bỏ qua", "Frames skipped"),
            Text::DetectorLoading => (
                "Phát hiện: đang nạp mô hình…",
                "Detection: loading the model…",
            ),
            Text::DetectorOff => ("Phát hiện: tắt", "Detection: off"),
            Text::DetectorUnavailable => ("Không phát hiện đối tượng", "No detection"),
            Text::SearchesPerSecond => ("lần/giây", "per second"),
            Text::Searches => ("lượt", "searches"),
            Text::SkippedRate => ("theo nhịp", "by rate"),
            Text::SkippedStill => ("tĩnh", "still"),
            Text::SkippedBusy => ("bận", "busy"),
            Text::ClassPerson => ("người", "person"),
            Text::ClassBicycle => ("xe đạp", "bicycle"),
            Text::ClassCar => ("ô tô", "car"),
            Text::ClassMotorbike => ("xe máy", "motorbike"),
            Text::ClassBus => ("xe buýt", "bus"),
            Text::ClassTruck => ("xe tải", "truck"),
            Text::ClassTrafficLight => ("đèn tín hiệu", "traffic light"),
            Text::Confidence => ("độ tin cậy", "confidence"),
            Text::TrackNumber => ("Đối tượng số", "Track"),
            Text::TamperBlack => (
                "Nghi phá hoại camera: mất hình",
                "Suspected tampering: picture black",
            ),
            Text::TamperFeatureless => (
                "Nghi phá hoại camera: hình bị che hoặc mờ",
                "Suspected tampering: view covered or blurred",
            ),
            Text::TamperMoved => (
                "Nghi phá hoại camera: camera bị xoay hướng",
                "Suspected tampering: camera turned away",
            ),
            Text::HeldObject => (
                "giữ từ lượt trước (không chuyển động)",
                "kept from an earlier search (not moving)",
            ),
            Text::Lost => ("mất gói", "lost"),
            Text::Ago => ("trước", "ago"),
            Text::LastError => ("Lỗi gần nhất", "Last error"),
            Text::WallWindowTitle => (
                "Tường video – Trung tâm chỉ huy giao thông Điện Biên",
                "Video wall – Điện Biên traffic command console",
            ),
        };
        match lang {
            Language::Vietnamese => vi,
            Language::English => en,
        }
    }
}

pub fn kind_name(kind: CameraKind, lang: Language) -> &'static str {
    let (vi, en) = match kind {
        CameraKind::Enforcement => ("Phạt nguội", "Enforcement"),
        CameraKind::FlowCount => ("Đếm lưu lượng", "Flow count"),
        CameraKind::Overview => ("Điểm cao", "Overview"),
        CameraKind::Crowd => ("Đám đông", "Crowd"),
        CameraKind::Neighbourhood => ("An ninh khu dân cư", "Neighbourhood"),
    };
    match lang {
        Language::Vietnamese => vi,
        Language::English => en,
    }
}

pub fn status_name(status: CameraStatus, lang: Language) -> &'static str {
    let (vi, en) = match status {
        CameraStatus::Online => ("Trực tuyến", "Online"),
        CameraStatus::Offline => ("Mất kết nối", "Offline"),
        CameraStatus::Unknown => ("Chưa rõ", "Unknown"),
        CameraStatus::Alarm => ("Báo động", "Alarm"),
    };
    match lang {
        Language::Vietnamese => vi,
        Language::English => en,
    }
}
