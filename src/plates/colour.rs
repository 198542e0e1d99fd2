//! The plate's colour from its background (the larger side of the ink threshold, inside the
//! border): white, yellow, blue or red, by the background's hue, saturation and brightness.

use super::ink::{InkMask, luma};
use crate::domain::PlateColour;
use image::RgbImage;

/// Hue in degrees, saturation and value (0–1) of an RGB colour.
fn hsv([r, g, b]: [f32; 3]) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    let hue = if delta <= f32::EPSILON {
        0.0
    } else if max == r {
        60.0 * ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    let saturation = if max <= f32::EPSILON {
        0.0
    } else {
        delta / max
    };
    (hue, saturation, max)
}

/// The mean colour of the plate's background.
pub fn background(plate: &RgbImage) -> [f32; 3] {
    let mask = InkMask::of(plate, 0.1);
    let mut sum = [0f64; 3];
    let mut n = 0u64;
    for y in 0..mask.height {
        for x in 0..mask.width {
            let p = plate.get_pixel(mask.x0 + x, mask.y0 + y);
            let is_background = (luma(p) <= mask.threshold) != mask.light_background;
            if is_background {
                for (s, v) in sum.iter_mut().zip(p.0) {
                    *s += f64::from(v);
                }
                n += 1;
            }
        }
    }
    sum.map(|s| (s / n.max(1) as f64 / 255.0) as f32)
}

/// The plate's colour by its background.
pub fn plate_colour(plate: &RgbImage) -> PlateColour {
    let (hue, saturation, value) = hsv(background(plate));
    if saturation < 0.28 || value < 0.15 {
        return PlateColour::White;
    }
    match hue {
        h if (30.0..=80.0).contains(&h) => PlateColour::Yellow,
        h if (170.0..=270.0).contains(&h) => PlateColour::Blue,
        h if !(25.0..=330.0).contains(&h) => PlateColour::Red,
        _ => PlateColour::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn plate(background: [u8; 3], ink: [u8; 3]) -> RgbImage {
        let mut p = RgbImage::from_pixel(200, 60, Rgb(background));
        for y in 15..45 {
            for x in (30..170).filter(|x| x % 10 < 3) {
                p.put_pixel(x, y, Rgb(ink));
            }
        }
        p
    }

    #[test]
    fn each_colour_by_its_background_in_light_and_shade() {
        let cases = [
            ([235, 235, 230], [20, 20, 20], PlateColour::White),
            ([150, 150, 145], [10, 10, 10], PlateColour::White),
            ([240, 200, 40], [20, 20, 20], PlateColour::Yellow),
            ([150, 125, 30], [10, 10, 10], PlateColour::Yellow),
            ([30, 70, 170], [240, 240, 240], PlateColour::Blue),
            ([190, 30, 35], [240, 240, 240], PlateColour::Red),
        ];
        for (background, ink, colour) in cases {
            assert_eq!(
                plate_colour(&plate(background, ink)),
                colour,
                "{background:?}"
            );
        }
    }
}
