//! The notice of a confirmed violation ("Thông báo vi phạm"), A4, in Vietnamese, with the
//! fields the written record needs (Thông tư 73/2024, Nghị định 61/2026: the detecting unit,
//! the device operator, the violator when verified, the pictures, the measurements, the time
//! and place, the violation) and the evidence stills.

use super::pdf::{PAGE_WIDTH, PdfDocument, PdfError};
use super::{Agency, PortalRow};

/// Everything the notice says.
#[derive(Debug, Clone)]
pub struct NoticeInput {
    pub number: String,
    pub row: PortalRow,
    /// Fine range and licence points, as text.
    pub fine: String,
    pub points: String,
    /// Measurements (time into red, speed), as text.
    pub measurements: Vec<String>,
    pub camera: String,
    /// The reviewer who confirmed it (the device operator of the record).
    pub operator: String,
    /// The evidence stills (JPEG bytes, file name).
    pub stills: Vec<(Vec<u8>, String)>,
    /// The evidence bundle's name and its manifest's SHA-256.
    pub evidence: String,
    /// Deadlines as text (owner identified by, escalation by).
    pub deadlines: Vec<String>,
    pub issued: String,
}

const MARGIN: f32 = 50.0;

/// The notice as a PDF file.
pub fn notice_pdf(input: &NoticeInput, agency: &Agency) -> Result<Vec<u8>, PdfError> {
    let mut pdf = PdfDocument::new()?;
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    let half = width / 2.0;
    // Letterhead: the unit on the left, the national motto on the right.
    let mut y = 60.0;
    let left_end = pdf.paragraph(MARGIN, y, half - 10.0, 9.5, "CÔNG AN TỈNH ĐIỆN BIÊN");
    let left_end = left_end.max(pdf.paragraph(
        MARGIN,
        left_end,
        half - 10.0,
        9.5,
        &agency.detecting_unit.to_uppercase(),
    ));
    pdf.text(MARGIN + half, y, 9.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    pdf.text(
        MARGIN + half + 28.0,
        y + 13.0,
        9.5,
        "Độc lập – Tự do – Hạnh phúc",
    );
    pdf.line(
        MARGIN + half + 40.0,
        y + 17.0,
        MARGIN + half + 160.0,
        y + 17.0,
        0.5,
    );
    y = left_end.max(y + 30.0) + 4.0;
    pdf.text(MARGIN, y, 9.5, &format!("Số: {}", input.number));
    pdf.text(
        MARGIN + half + 20.0,
        y,
        9.5,
        &format!("Điện Biên, {}", input.issued),
    );
    y += 34.0;
    let title = "THÔNG BÁO";
    pdf.text(
        (PAGE_WIDTH - pdf.text_width(title, 15.0)) / 2.0,
        y,
        15.0,
        title,
    );
    y += 18.0;
    let subtitle = "Về việc phát hiện vi phạm hành chính về trật tự, an toàn giao thông đường bộ qua phương tiện, thiết bị kỹ thuật nghiệp vụ";
    for line in pdf.wrap(subtitle, width - 40.0, 10.5) {
        pdf.text(
            (PAGE_WIDTH - pdf.text_width(&line, 10.5)) / 2.0,
            y,
            10.5,
            &line,
        );
        y += 14.0;
    }
    y += 10.0;
    let row = &input.row;
    let fields: Vec<(&str, String)> = vec![
        ("Biển kiểm soát", row.plate.clone()),
        ("Màu biển", row.plate_colour.clone()),
        ("Loại phương tiện", row.vehicle_type.clone()),
        ("Thời gian vi phạm", row.time.clone()),
        ("Địa điểm vi phạm", row.place.clone()),
        ("Hành vi vi phạm", row.violation.clone()),
        ("Mức phạt tiền", input.fine.clone()),
        ("Trừ điểm giấy phép lái xe", input.points.clone()),
        (
            "Kết quả đo, ghi",
            if input.measurements.is_empty() {
                "—".into()
            } else {
                input.measurements.join("; ")
            },
        ),
        ("Thiết bị ghi nhận", format!("camera {}", input.camera)),
        ("Người vận hành thiết bị", input.operator.clone()),
        (
            "Chủ phương tiện",
            "Chưa xác minh (theo dữ liệu đăng ký xe)".into(),
        ),
        ("Đơn vị phát hiện vi phạm", agency.detecting_unit.clone()),
        ("Nơi giải quyết vụ việc", agency.resolving_unit.clone()),
        ("Điện thoại liên hệ", agency.phone.clone()),
    ];
    let label_width = 150.0;
    for (label, value) in fields {
        pdf.text(MARGIN, y, 10.0, &format!("{label}:"));
        y = pdf.paragraph(MARGIN + label_width, y, width - label_width, 10.0, &value) + 3.0;
    }
    y += 6.0;
    pdf.text(MARGIN, y, 10.0, "Hình ảnh vi phạm:");
    y += 8.0;
    // Stills two to a row.
    let image_width = (width - 12.0) / 2.0;
    let mut row_height: f32 = 0.0;
    for (index, (bytes, name)) in input.stills.iter().enumerate() {
        let column = index % 2;
        if column == 0 && index > 0 {
            y += row_height + 8.0;
            row_height = 0.0;
        }
        if y > 700.0 {
            pdf.new_page();
            y = 60.0;
        }
        let x = MARGIN + column as f32 * (image_width + 12.0);
        row_height = row_height.max(pdf.jpeg(x, y, image_width, bytes.clone(), name)?);
    }
    y += row_height + 16.0;
    if y > 700.0 {
        pdf.new_page();
        y = 60.0;
    }
    y = pdf.paragraph(
        MARGIN,
        y,
        width,
        9.0,
        &format!("Chứng cứ điện tử: {}", input.evidence),
    ) + 2.0;
    for deadline in &input.deadlines {
        y = pdf.paragraph(MARGIN, y, width, 9.0, deadline) + 2.0;
    }
    y = pdf.paragraph(
        MARGIN,
        y + 4.0,
        width,
        9.5,
        "Đề nghị chủ phương tiện, người điều khiển phương tiện đến nơi giải quyết vụ việc nêu trên để giải quyết theo quy định. Chủ phương tiện có quyền xem hình ảnh, dữ liệu ghi nhận vi phạm.",
    );
    y += 20.0;
    if y > 760.0 {
        pdf.new_page();
        y = 60.0;
    }
    pdf.text(MARGIN, y, 10.0, "NGƯỜI VẬN HÀNH THIẾT BỊ");
    pdf.text(MARGIN + half + 20.0, y, 10.0, "THỦ TRƯỞNG ĐƠN VỊ");
    pdf.text(MARGIN, y + 13.0, 8.5, "(ký, ghi rõ họ tên)");
    pdf.text(MARGIN + half + 20.0, y + 13.0, 8.5, "(ký tên, đóng dấu)");
    pdf.text(MARGIN, y + 60.0, 10.0, &input.operator);
    Ok(pdf.finish())
}
