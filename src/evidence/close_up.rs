//! The plate close-up of an evidence bundle: the best plate the detector finds in the still
//! at the line (inside the violating vehicle's box when it is known), cut with a margin and
//! enlarged so the reviewer can read it. No plate found, no close-up.

use crate::detect::plate::{PlateBox, PlateDetector};
use image::RgbImage;

/// Plates scoring less are not shown.
const MIN_SCORE: f32 = 0.5;
/// The close-up is at least this wide.
const MIN_WIDTH: u32 = 360;

/// The enlarged plate of `picture` (searched within `within`, x1 y1 x2 y2, when given).
pub fn plate_close_up(
    detector: &PlateDetector,
    picture: &RgbImage,
    within: Option<[f32; 4]>,
) -> Option<(RgbImage, PlateBox)> {
    let (w, h) = picture.dimensions();
    let (ox, oy, region) = match within {
        Some(b) => {
            let x0 = b[0].max(0.0) as u32;
            let y0 = b[1].max(0.0) as u32;
            let x1 = (b[2].max(0.0) as u32).min(w);
            let y1 = (b[3].max(0.0) as u32).min(h);
            if x1 <= x0 + 8 || y1 <= y0 + 8 {
                return None;
            }
            let crop = image::imageops::crop_imm(picture, x0, y0, x1 - x0, y1 - y0).to_image();
            (x0 as f32, y0 as f32, crop)
        }
        None => (0.0, 0.0, picture.clone()),
    };
    let best = detector
        .detect(&region, MIN_SCORE)
        .ok()?
        .into_iter()
        .next()?;
    let mut plate = best.clone();
    plate.bbox = [
        best.bbox[0] + ox,
        best.bbox[1] + oy,
        best.bbox[2] + ox,
        best.bbox[3] + oy,
    ];
    for corner in &mut plate.corners {
        corner[0] += ox;
        corner[1] += oy;
    }
    // A quarter of the plate's size around it.
    let (pw, ph) = (plate.bbox[2] - plate.bbox[0], plate.bbox[3] - plate.bbox[1]);
    let x0 = (plate.bbox[0] - pw * 0.25).max(0.0) as u32;
    let y0 = (plate.bbox[1] - ph * 0.25).max(0.0) as u32;
    let x1 = ((plate.bbox[2] + pw * 0.25).max(0.0) as u32).min(w);
    let y1 = ((plate.bbox[3] + ph * 0.25).max(0.0) as u32).min(h);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return None;
    }
    let crop = image::imageops::crop_imm(picture, x0, y0, x1 - x0, y1 - y0).to_image();
    let factor = (MIN_WIDTH as f32 / crop.width() as f32).max(1.0);
    let enlarged = image::imageops::resize(
        &crop,
        (crop.width() as f32 * factor).round() as u32,
        (crop.height() as f32 * factor).round() as u32,
        image::imageops::FilterType::Lanczos3,
    );
    Some((enlarged, plate))
}
