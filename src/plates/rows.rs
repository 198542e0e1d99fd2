//! One row or two: the detector's class, checked against the plate's proportions and its row
//! profile (a two-row plate has a band without ink between its rows); and where to split.

use super::ink::InkMask;
use image::RgbImage;

/// A plate wider than this (width over height) has one row: two-row plates are 1.4–2.2.
pub const ONE_ROW_FROM: f32 = 3.0;

/// How a rectified plate is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLayout {
    One,
    /// Two rows, the top one above this pixel row.
    Two {
        split: u32,
    },
}

/// The gap between two rows: the emptiest pixel row in the middle band, if it is much
/// emptier than the text above and below it.
fn gap(plate: &RgbImage) -> Option<u32> {
    let margin = 0.06;
    let mask = InkMask::of(plate, margin);
    let profile = mask.row_profile();
    let n = profile.len();
    if n < 8 {
        return None;
    }
    let smooth: Vec<f32> = (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(1), (i + 2).min(n));
            profile[a..b].iter().sum::<f32>() / (b - a) as f32
        })
        .collect();
    let band = (n * 3 / 10)..(n * 7 / 10);
    let at = band
        .clone()
        .min_by(|&a, &b| smooth[a].total_cmp(&smooth[b]))?;
    let mean = |r: std::ops::Range<usize>| {
        let len = r.len().max(1) as f32;
        smooth[r].iter().sum::<f32>() / len
    };
    let (above, below) = (
        mean(n / 8..at.saturating_sub(n / 10)),
        mean((at + n / 10).min(n)..n * 7 / 8),
    );
    let text = above.min(below);
    (text > 0.08 && smooth[at] < 0.35 * text).then_some(mask.y0 + at as u32)
}

/// The layout of a rectified plate; `detector_two_rows` is the plate detector's class, when
/// it found the plate.
pub fn layout(plate: &RgbImage, detector_two_rows: Option<bool>) -> RowLayout {
    let (w, h) = plate.dimensions();
    let aspect = w as f32 / h.max(1) as f32;
    if aspect >= ONE_ROW_FROM {
        return RowLayout::One;
    }
    match (gap(plate), detector_two_rows) {
        (Some(split), _) => RowLayout::Two { split },
        // The detector says two and the shape allows it, but no clean gap: split in the middle.
        (None, Some(true)) => RowLayout::Two { split: h / 2 },
        (None, _) if aspect < 2.0 => RowLayout::Two { split: h / 2 },
        (None, _) => RowLayout::One,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn plate(w: u32, h: u32, bars: &[(u32, u32)]) -> RgbImage {
        let mut p = RgbImage::from_pixel(w, h, Rgb([235, 235, 235]));
        for &(y0, y1) in bars {
            for y in y0..y1 {
                for x in (w / 10..w * 9 / 10).filter(|x| (x / 6) % 2 == 0) {
                    p.put_pixel(x, y, Rgb([15, 15, 15]));
                }
            }
        }
        p
    }

    #[test]
    fn a_wide_plate_has_one_row_a_square_one_with_a_gap_two() {
        assert_eq!(
            layout(&plate(450, 96, &[(20, 76)]), Some(true)),
            RowLayout::One
        );
        match layout(&plate(180, 96, &[(10, 42), (54, 88)]), None) {
            RowLayout::Two { split } => assert!((42..54).contains(&split), "{split}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_gap_the_shape_and_the_detector_decide() {
        let solid = plate(250, 96, &[(15, 81)]);
        assert_eq!(layout(&solid, None), RowLayout::One);
        assert_eq!(layout(&solid, Some(true)), RowLayout::Two { split: 48 });
        let square = plate(150, 96, &[(15, 81)]);
        assert_eq!(layout(&square, None), RowLayout::Two { split: 48 });
    }
}
