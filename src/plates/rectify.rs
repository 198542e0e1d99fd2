//! A plate seen at an angle made flat: the perspective transform (a homography) that takes
//! its four corners to a rectangle of the plate's own proportions, sampled bilinearly.

use image::RgbImage;

/// Height of a rectified plate, in pixels (a two-row plate's rows get half each).
pub const RECTIFIED_HEIGHT: u32 = 96;
const MAX_WIDTH: u32 = 640;

/// A 3×3 projective transform, row-major, `m[8]` = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography([f64; 9]);

impl Homography {
    /// The transform taking each `from[i]` to `to[i]`, or `None` for degenerate corners
    /// (three on a line).
    pub fn between(from: [[f64; 2]; 4], to: [[f64; 2]; 4]) -> Option<Self> {
        // Eight equations in h0..h7: u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), v likewise.
        let mut a = [[0f64; 9]; 8];
        for i in 0..4 {
            let ([x, y], [u, v]) = (from[i], to[i]);
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..8 {
            let pivot = (col..8).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
            if a[pivot][col].abs() < 1e-9 {
                return None;
            }
            a.swap(col, pivot);
            let pivot_row = a[col];
            for (row, values) in a.iter_mut().enumerate() {
                if row != col {
                    let f = values[col] / pivot_row[col];
                    for (v, p) in values.iter_mut().zip(pivot_row).skip(col) {
                        *v -= f * p;
                    }
                }
            }
        }
        let mut m = [0f64; 9];
        for (i, slot) in m.iter_mut().take(8).enumerate() {
            *slot = a[i][8] / a[i][i];
        }
        m[8] = 1.0;
        m.iter().all(|v| v.is_finite()).then_some(Self(m))
    }

    pub fn apply(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        [
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        ]
    }
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Width over height of the quadrilateral (mean of opposite sides).
pub fn aspect(corners: &[[f32; 2]; 4]) -> f32 {
    let [tl, tr, br, bl] = *corners;
    let width = (distance(tl, tr) + distance(bl, br)) / 2.0;
    let height = (distance(tl, bl) + distance(tr, br)) / 2.0;
    width / height.max(1.0)
}

/// The plate inside `corners` (top left, top right, bottom right, bottom left, in pixels of
/// `picture`) as a rectangle `RECTIFIED_HEIGHT` high, or `None` for degenerate corners.
pub fn rectify(picture: &RgbImage, corners: &[[f32; 2]; 4]) -> Option<RgbImage> {
    let ratio = aspect(corners);
    if !ratio.is_finite() || ratio <= 0.0 {
        return None;
    }
    let height = RECTIFIED_HEIGHT;
    let width = ((height as f32 * ratio).round() as u32).clamp(16, MAX_WIDTH);
    let (w, h) = (f64::from(width), f64::from(height));
    let to_picture = Homography::between(
        [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]],
        corners.map(|[x, y]| [f64::from(x), f64::from(y)]),
    )?;
    let source = Source::of(picture);
    let mut out = RgbImage::new(width, height);
    for (y, row) in out.chunks_exact_mut(width as usize * 3).enumerate() {
        for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
            let [sx, sy] = to_picture.apply([x as f64 + 0.5, y as f64 + 0.5]);
            pixel.copy_from_slice(&source.bilinear(sx - 0.5, sy - 0.5));
        }
    }
    Some(out)
}

/// A picture's pixels read by position (three bytes a pixel, rows one after another).
struct Source<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
}

impl<'a> Source<'a> {
    fn of(picture: &'a RgbImage) -> Self {
        Self {
            data: picture.as_raw(),
            width: picture.width() as usize,
            height: picture.height() as usize,
        }
    }

    /// The picture at a fractional position, edges repeated (black outside an empty picture
    /// or at a position that is not a number).
    fn bilinear(&self, x: f64, y: f64) -> [u8; 3] {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 || !x.is_finite() || !y.is_finite() {
            return [0, 0, 0];
        }
        let x = x.clamp(0.0, (w - 1) as f64);
        let y = y.clamp(0.0, (h - 1) as f64);
        // Both are not negative: truncation is the floor (no call into libm, as `floor` is
        // on the baseline x86-64 build).
        let (x0, y0) = (x as usize, y as usize);
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let at = |x: usize, y: usize| (y * w + x) * 3;
        let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
        let p = self.data;
        std::array::from_fn(|i| {
            let top = f64::from(p[a + i]) * (1.0 - fx) + f64::from(p[b + i]) * fx;
            let bottom = f64::from(p[c + i]) * (1.0 - fx) + f64::from(p[d + i]) * fx;
            // A value in 0..=255: half up by truncation, as `round` would.
            (top * (1.0 - fy) + bottom * fy + 0.5) as u8
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn the_homography_takes_each_corner_where_it_was_asked() {
        let from = [[0.0, 0.0], [100.0, 0.0], [100.0, 30.0], [0.0, 30.0]];
        let to = [[12.0, 40.0], [118.0, 31.0], [121.0, 66.0], [10.0, 70.0]];
        let h = Homography::between(from, to).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let [x, y] = h.apply(*f);
            assert!((x - t[0]).abs() < 1e-6 && (y - t[1]).abs() < 1e-6);
        }
        let line = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]];
        assert_eq!(Homography::between(line, to), None);
    }

    #[test]
    fn a_slanted_plate_comes_out_flat_and_in_proportion() {
        // A dark bar across the middle of a white 200×50 "plate", drawn slanted.
        let mut picture = RgbImage::from_pixel(300, 200, Rgb([90, 90, 90]));
        let corners = [[40.0, 60.0], [240.0, 40.0], [245.0, 92.0], [44.0, 110.0]];
        let picture_to_flat = Homography::between(
            corners.map(|[x, y]: [f32; 2]| [f64::from(x), f64::from(y)]),
            [[0.0, 0.0], [200.0, 0.0], [200.0, 50.0], [0.0, 50.0]],
        )
        .unwrap();
        for (x, y, p) in picture.enumerate_pixels_mut() {
            let [u, v] = picture_to_flat.apply([f64::from(x), f64::from(y)]);
            if (0.0..200.0).contains(&u) && (0.0..50.0).contains(&v) {
                *p = if (20.0..30.0).contains(&v) {
                    Rgb([0, 0, 0])
                } else {
                    Rgb([255, 255, 255])
                };
            }
        }
        let flat = rectify(&picture, &corners).unwrap();
        assert_eq!(flat.height(), RECTIFIED_HEIGHT);
        let ratio = flat.width() as f32 / flat.height() as f32;
        assert!((ratio - 4.0).abs() < 0.2, "{ratio}");
        // The bar is level: the middle row is dark all along, a row near the top white.
        let middle = RECTIFIED_HEIGHT / 2;
        let quarter = RECTIFIED_HEIGHT / 8;
        for x in (10..flat.width() - 10).step_by(10) {
            assert!(flat.get_pixel(x, middle).0[0] < 60, "x {x}");
            assert!(flat.get_pixel(x, quarter).0[0] > 200, "x {x}");
        }
    }
}
