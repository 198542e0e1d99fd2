//! Y'CbCr → R'G'B' conversion parameters (BT.601 / BT.709, limited or full range), shared by
//! the wall's shader (as a uniform) and by the CPU reference used in tests and stills.

use super::frame::{ColourInfo, ColourMatrix, YuvFrame};

/// The shader's uniform: three matrix rows applied to (y, u, v, 1), and the range expansion
/// (luma offset, luma scale, chroma scale, chroma zero = 128/255).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConversionParams {
    pub rows: [[f32; 4]; 3],
    pub range: [f32; 4],
}

impl ConversionParams {
    pub fn for_colour(colour: ColourInfo) -> Self {
        // Kr, Kb of each standard; the rows follow from them.
        let (kr, kb) = match colour.matrix {
            ColourMatrix::Bt601 => (0.299_f32, 0.114_f32),
            ColourMatrix::Bt709 => (0.2126, 0.0722),
        };
        let kg = 1.0 - kr - kb;
        let rows = [
            [1.0, 0.0, 2.0 * (1.0 - kr), 0.0],
            [
                1.0,
                -2.0 * kb * (1.0 - kb) / kg,
                -2.0 * kr * (1.0 - kr) / kg,
                0.0,
            ],
            [1.0, 2.0 * (1.0 - kb), 0.0, 0.0],
        ];
        let chroma_zero = 128.0 / 255.0;
        let range = if colour.full_range {
            [0.0, 1.0, 1.0, chroma_zero]
        } else {
            [16.0 / 255.0, 255.0 / 219.0, 255.0 / 224.0, chroma_zero]
        };
        Self { rows, range }
    }

    /// The uniform buffer's bytes (four vec4<f32>, little endian).
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut bytes = [0u8; 64];
        let values = self.rows.iter().flatten().chain(self.range.iter());
        for (chunk, value) in bytes.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    /// Converts one sample triple (0–255 each) to R'G'B' (0–255), as the shader does.
    pub fn convert(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        let y = (f32::from(y) / 255.0 - self.range[0]) * self.range[1];
        let u = (f32::from(u) / 255.0 - self.range[3]) * self.range[2];
        let v = (f32::from(v) / 255.0 - self.range[3]) * self.range[2];
        let channel = |row: &[f32; 4]| {
            let value = row[0] * y + row[1] * u + row[2] * v + row[3];
            (value.clamp(0.0, 1.0) * 255.0).round() as u8
        };
        [
            channel(&self.rows[0]),
            channel(&self.rows[1]),
            channel(&self.rows[2]),
        ]
    }
}

impl YuvFrame {
    /// The whole picture as RGB bytes, row-major (nearest chroma sample, as `rgb_at`).
    pub fn to_rgb(&self) -> Vec<u8> {
        self.crop_rgb(0, 0, self.width, self.height)
    }

    /// The rectangle at (`left`, `top`) of `width × height` pixels as RGB bytes, row-major
    /// (clamped to the picture; pixels without samples are black).
    pub fn crop_rgb(&self, left: u32, top: u32, width: u32, height: u32) -> Vec<u8> {
        let params = ConversionParams::for_colour(self.colour);
        let (cw, _) = self.chroma_size();
        let left = left.min(self.width);
        let top = top.min(self.height);
        let width = width.min(self.width - left);
        let height = height.min(self.height - top);
        let mut rgb = Vec::with_capacity((width * height * 3) as usize);
        for y in top..top + height {
            let luma_row = (y * self.width) as usize;
            let chroma_row = ((y / 2) * cw) as usize;
            for x in left..left + width {
                let ci = chroma_row + (x / 2) as usize;
                let (Some(&l), Some(&u), Some(&v)) = (
                    self.y.get(luma_row + x as usize),
                    self.u.get(ci),
                    self.v.get(ci),
                ) else {
                    rgb.extend([0, 0, 0]);
                    continue;
                };
                rgb.extend(params.convert(l, u, v));
            }
        }
        rgb
    }

    /// The colour of pixel (x, y), converted on the CPU (nearest chroma sample).
    pub fn rgb_at(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let (cw, _) = self.chroma_size();
        let luma = *self.y.get((y * self.width + x) as usize)?;
        let ci = ((y / 2) * cw + x / 2) as usize;
        let params = ConversionParams::for_colour(self.colour);
        Some(params.convert(luma, *self.u.get(ci)?, *self.v.get(ci)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITED_601: ColourInfo = ColourInfo {
        matrix: ColourMatrix::Bt601,
        full_range: false,
    };

    #[test]
    fn limited_range_black_white_and_primaries() {
        let p = ConversionParams::for_colour(LIMITED_601);
        assert_eq!(p.convert(16, 128, 128), [0, 0, 0]);
        assert_eq!(p.convert(235, 128, 128), [255, 255, 255]);
        // BT.601 limited-range red is (81, 90, 240).
        let red = p.convert(81, 90, 240);
        assert!(red[0] >= 253 && red[1] <= 2 && red[2] <= 2, "{red:?}");
    }

    #[test]
    fn bt709_full_range_green() {
        let p = ConversionParams::for_colour(ColourInfo {
            matrix: ColourMatrix::Bt709,
            full_range: true,
        });
        // Full-range BT.709 green: Y = 0.7152, Cb = -0.3854, Cr = -0.4542.
        let y = (0.7152_f32 * 255.0).round() as u8;
        let u = (-0.3854_f32 * 255.0 + 128.0).round() as u8;
        let v = (-0.4542_f32 * 255.0 + 128.0).round() as u8;
        let green = p.convert(y, u, v);
        assert!(
            green[0] <= 3 && green[1] >= 252 && green[2] <= 3,
            "{green:?}"
        );
    }

    #[test]
    fn the_whole_picture_converts_like_each_pixel() {
        let frame = YuvFrame {
            width: 3,
            height: 3,
            y: (0..9).map(|i| 16 + i * 20).collect(),
            u: vec![90, 128, 160, 200],
            v: vec![240, 128, 100, 60],
            pts_90k: 0,
            colour: LIMITED_601,
        };
        let rgb = frame.to_rgb();
        for y in 0..3 {
            for x in 0..3 {
                let at = ((y * 3 + x) * 3) as usize;
                assert_eq!(rgb[at..at + 3], frame.rgb_at(x, y).unwrap());
            }
        }
        // A crop at an odd offset takes the same pixels; one past the edge is clamped.
        let crop = frame.crop_rgb(1, 1, 5, 1);
        assert_eq!(crop.len(), 2 * 3);
        assert_eq!(crop[0..3], frame.rgb_at(1, 1).unwrap());
        assert_eq!(crop[3..6], frame.rgb_at(2, 1).unwrap());
        assert!(frame.crop_rgb(3, 0, 2, 2).is_empty());
    }

    #[test]
    fn uniform_bytes_are_the_rows_then_the_range() {
        let p = ConversionParams::for_colour(LIMITED_601);
        let bytes = p.to_bytes();
        assert_eq!(&bytes[0..4], &1.0_f32.to_le_bytes());
        assert_eq!(&bytes[48..52], &(16.0_f32 / 255.0).to_le_bytes());
    }
}
