//! Ink and background of a rectified plate: luminance, Otsu's threshold over the plate's
//! inside (its border left out), and which side of it is the background (the larger one).

use image::RgbImage;

/// The inside of a plate: `margin` of its width and height left out on every side.
pub fn inside(plate: &RgbImage, margin: f32) -> (u32, u32, u32, u32) {
    let (w, h) = plate.dimensions();
    let (mx, my) = ((w as f32 * margin) as u32, (h as f32 * margin) as u32);
    (
        mx,
        my,
        w.saturating_sub(mx).max(mx + 1),
        h.saturating_sub(my).max(my + 1),
    )
}

pub fn luma(p: &image::Rgb<u8>) -> u8 {
    let [r, g, b] = p.0;
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000) as u8
}

/// Otsu's threshold of `levels` (a value at or below it is "dark").
pub fn otsu(levels: impl Iterator<Item = u8>) -> u8 {
    let mut histogram = [0u64; 256];
    let mut total = 0u64;
    for v in levels {
        histogram[usize::from(v)] += 1;
        total += 1;
    }
    let sum: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut below, mut below_sum, mut best, mut threshold) = (0u64, 0f64, -1f64, 127u8);
    for (i, &n) in histogram.iter().enumerate() {
        below += n;
        below_sum += i as f64 * n as f64;
        if below == 0 || below == total {
            continue;
        }
        let above = total - below;
        let (m0, m1) = (below_sum / below as f64, (sum - below_sum) / above as f64);
        let between = below as f64 * above as f64 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            threshold = i as u8;
        }
    }
    threshold
}

/// The plate's ink mask over its inside: `true` where a pixel is on the smaller side of the
/// threshold (the characters), with the inside's bounds.
pub struct InkMask {
    pub x0: u32,
    pub y0: u32,
    pub width: u32,
    pub height: u32,
    pub ink: Vec<bool>,
    /// Whether the background is the light side (dark characters).
    pub light_background: bool,
    pub threshold: u8,
}

impl InkMask {
    pub fn of(plate: &RgbImage, margin: f32) -> Self {
        let (x0, y0, x1, y1) = inside(plate, margin);
        let (x1, y1) = (x1.min(plate.width()), y1.min(plate.height()));
        let (width, height) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        let levels: Vec<u8> = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .map(|(x, y)| luma(plate.get_pixel(x, y)))
            .collect();
        let threshold = otsu(levels.iter().copied());
        let dark = levels.iter().filter(|&&v| v <= threshold).count();
        let light_background = dark * 2 <= levels.len();
        let ink = levels
            .iter()
            .map(|&v| (v <= threshold) == light_background)
            .collect();
        Self {
            x0,
            y0,
            width,
            height,
            ink,
            light_background,
            threshold,
        }
    }

    /// The share of ink on each row of the inside.
    pub fn row_profile(&self) -> Vec<f32> {
        self.ink
            .chunks(self.width.max(1) as usize)
            .map(|row| row.iter().filter(|&&i| i).count() as f32 / row.len().max(1) as f32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn otsu_splits_two_levels_and_the_smaller_side_is_ink() {
        let mut plate = RgbImage::from_pixel(40, 20, Rgb([240, 240, 240]));
        for x in 10..30 {
            for y in 8..12 {
                plate.put_pixel(x, y, Rgb([20, 20, 20]));
            }
        }
        let t = otsu(plate.pixels().map(luma));
        assert!((20..240).contains(&t), "{t}");
        let mask = InkMask::of(&plate, 0.0);
        assert!(mask.light_background);
        let profile = mask.row_profile();
        assert_eq!(profile[0], 0.0);
        assert!((profile[9] - 0.5).abs() < 1e-6);
    }
}
