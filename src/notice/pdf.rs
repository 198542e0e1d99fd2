//! A small PDF writer for the notice: A4 pages, text in the bundled Noto Sans embedded as a
//! CID TrueType font (Identity-H, glyph ids as character codes, with a ToUnicode map so the
//! text can be searched and copied with its diacritics), lines, and JPEG images embedded as
//! they are (DCTDecode, no re-encoding). Streams are deflated.

use ab_glyph::{Font as _, FontRef, GlyphId};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use std::collections::BTreeMap;
use std::io::Write as _;

const FONT: &[u8] = include_bytes!("../../resources/fonts/NotoSans-Regular.ttf");

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the bundled font cannot be read")]
    Font,
    #[error("image {0}: not a JPEG the notice can embed")]
    Image(String),
}

/// A JPEG to place on a page.
struct Jpeg {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

#[derive(Default)]
struct Page {
    content: String,
}

pub struct PdfDocument {
    font: FontRef<'static>,
    pages: Vec<Page>,
    images: Vec<Jpeg>,
    /// Glyphs used, with their characters (for the ToUnicode map) and advance widths.
    used: BTreeMap<u16, (char, f32)>,
}

impl PdfDocument {
    pub fn new() -> Result<Self, PdfError> {
        Ok(Self {
            font: FontRef::try_from_slice(FONT).map_err(|_| PdfError::Font)?,
            pages: vec![Page::default()],
            images: Vec::new(),
            used: BTreeMap::new(),
        })
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Width of `text` at `size` points.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        let em = self.font.units_per_em().unwrap_or(1000.0);
        text.chars()
            .map(|c| self.font.h_advance_unscaled(self.font.glyph_id(c)) / em * size)
            .sum()
    }

    /// Draws `text` with its baseline's left end at (`x`, `y`) from the page's top left.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        let em = self.font.units_per_em().unwrap_or(1000.0);
        let mut hex = String::with_capacity(text.len() * 4);
        for c in text.chars() {
            let GlyphId(id) = self.font.glyph_id(c);
            let advance = self.font.h_advance_unscaled(GlyphId(id)) / em * 1000.0;
            self.used.entry(id).or_insert((c, advance));
            hex.push_str(&format!("{id:04X}"));
        }
        let y = PAGE_HEIGHT - y;
        self.page().content.push_str(&format!(
            "BT /F1 {size:.1} Tf {x:.2} {y:.2} Td <{hex}> Tj ET\n"
        ));
    }

    /// Draws `text` wrapped to `width` from (`x`, `y`); returns the y below the last line.
    pub fn paragraph(&mut self, x: f32, y: f32, width: f32, size: f32, text: &str) -> f32 {
        let leading = size * 1.35;
        let mut y = y;
        for line in self.wrap(text, width, size) {
            self.text(x, y, size, &line);
            y += leading;
        }
        y
    }

    /// Splits `text` into lines no wider than `width` (words longer than a line stay whole).
    pub fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.text_width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// A line from (`x1`, `y1`) to (`x2`, `y2`), `width` points thick.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let (y1, y2) = (PAGE_HEIGHT - y1, PAGE_HEIGHT - y2);
        self.page().content.push_str(&format!(
            "{width:.2} w {x1:.2} {y1:.2} m {x2:.2} {y2:.2} l S\n"
        ));
    }

    /// Places a JPEG with its top left at (`x`, `y`), `width` points wide (height to scale);
    /// returns the height used.
    pub fn jpeg(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        bytes: Vec<u8>,
        name: &str,
    ) -> Result<f32, PdfError> {
        let reader =
            image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Jpeg);
        let (w, h) = reader
            .into_dimensions()
            .map_err(|_| PdfError::Image(name.to_owned()))?;
        let height = width * h as f32 / w.max(1) as f32;
        let index = self.images.len();
        self.images.push(Jpeg {
            bytes,
            width: w,
            height: h,
        });
        let bottom = PAGE_HEIGHT - y - height;
        self.page().content.push_str(&format!(
            "q {width:.2} 0 0 {height:.2} {x:.2} {bottom:.2} cm /Im{index} Do Q\n"
        ));
        Ok(height)
    }

    /// The finished file.
    pub fn finish(self) -> Vec<u8> {
        let mut objects: Vec<Vec<u8>> = Vec::new();
        // 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, 6 font file, 7 ToUnicode,
        // then images, then per page: page, content.
        let first_image = 8;
        let first_page = first_image + self.images.len();
        let page_ids: Vec<usize> = (0..self.pages.len()).map(|i| first_page + 2 * i).collect();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{}] /Count {} >>",
                kids.join(" "),
                self.pages.len()
            )
            .into_bytes(),
        );
        objects.push(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSans-Regular /Encoding /Identity-H \
/DescendantFonts [4 0 R] /ToUnicode 7 0 R >>"
                .to_vec(),
        );
        let widths: Vec<String> = self
            .used
            .iter()
            .map(|(id, (_, w))| format!("{id} [{w:.0}]"))
            .collect();
        objects.push(
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSans-Regular \
/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
/FontDescriptor 5 0 R /CIDToGIDMap /Identity /DW 600 /W [{}] >>",
                widths.join(" ")
            )
            .into_bytes(),
        );
        objects.push(
            b"<< /Type /FontDescriptor /FontName /NotoSans-Regular /Flags 32 \
/FontBBox [-621 -389 2800 1067] /ItalicAngle 0 /Ascent 1069 /Descent -293 /CapHeight 714 \
/StemV 80 /FontFile2 6 0 R >>"
                .to_vec(),
        );
        objects.push(stream(&format!("/Length1 {}", FONT.len()), FONT, true));
        objects.push(stream("", to_unicode(&self.used).as_bytes(), true));
        for image in &self.images {
            objects.push(stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB \
/BitsPerComponent 8 /Filter /DCTDecode",
                    image.width, image.height
                ),
                &image.bytes,
                false,
            ));
        }
        let xobjects: Vec<String> = (0..self.images.len())
            .map(|i| format!("/Im{i} {} 0 R", first_image + i))
            .collect();
        for (i, page) in self.pages.iter().enumerate() {
            let content_id = page_ids[i] + 1;
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
/Resources << /Font << /F1 3 0 R >> /XObject << {} >> >> /Contents {content_id} 0 R >>",
                    xobjects.join(" ")
                )
                .into_bytes(),
            );
            objects.push(stream("", page.content.as_bytes(), true));
        }
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

/// A stream object with `dictionary` entries, deflated when `compress`.
fn stream(dictionary: &str, data: &[u8], compress: bool) -> Vec<u8> {
    let (data, filter) = if compress {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        let _ = encoder.write_all(data);
        (
            encoder.finish().unwrap_or_default(),
            " /Filter /FlateDecode",
        )
    } else {
        (data.to_vec(), "")
    };
    let mut out = format!(
        "<< {dictionary}{filter} /Length {} >>\nstream\n",
        data.len()
    )
    .into_bytes();
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// The ToUnicode CMap: each used glyph id to its character (UTF-16BE).
fn to_unicode(used: &BTreeMap<u16, (char, f32)>) -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &(char, f32))> = used.iter().collect();
    for chunk in entries.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (id, (c, _)) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            cmap.push_str(&format!("<{id:04X}> <{hex}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_has_its_structure_and_wraps_lines() {
        let mut pdf = PdfDocument::new().unwrap();
        pdf.text(50.0, 60.0, 12.0, "Biển kiểm soát: 27A-123.45");
        let y = pdf.paragraph(
            50.0,
            80.0,
            200.0,
            10.0,
            &"Không chấp hành hiệu lệnh ".repeat(6),
        );
        assert!(y > 80.0 + 2.0 * 13.5, "wrapped onto several lines");
        for line in pdf.wrap(&"từ ".repeat(50), 120.0, 10.0) {
            assert!(pdf.text_width(&line, 10.0) <= 120.0);
        }
        pdf.line(50.0, 100.0, 300.0, 100.0, 0.5);
        let bytes = pdf.finish();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-1.7"));
        assert!(text.contains("/Subtype /CIDFontType2"));
        assert!(text.trim_end().ends_with("%%EOF"));
    }
}
