//! Where the plate is inside a crop (`plates read --crop`, a box around a plate): the pixels
//! unlike the crop's edge (the surroundings), their largest connected part, and its four
//! extreme points as the corners (top left has the smallest x + y, and so on): the plate's
//! field, often the part inside its border line. `None` when that part is too small to be the
//! plate (the crop is the plate itself, edge to edge).

use image::RgbImage;

/// The plate's corners (top left, top right, bottom right, bottom left) inside `crop`.
pub fn locate(crop: &RgbImage) -> Option<[[f32; 2]; 4]> {
    let (w, h) = crop.dimensions();
    if w < 8 || h < 8 {
        return None;
    }
    // The surroundings' colour: the median of the outermost ring, per channel.
    let mut ring: Vec<[u8; 3]> = Vec::with_capacity(2 * (w + h) as usize);
    for x in 0..w {
        ring.push(crop.get_pixel(x, 0).0);
        ring.push(crop.get_pixel(x, h - 1).0);
    }
    for y in 1..h - 1 {
        ring.push(crop.get_pixel(0, y).0);
        ring.push(crop.get_pixel(w - 1, y).0);
    }
    let median = |c: usize| {
        let mut v: Vec<u8> = ring.iter().map(|p| p[c]).collect();
        v.sort_unstable();
        i32::from(v[v.len() / 2])
    };
    let edge = [median(0), median(1), median(2)];
    let distance: Vec<u8> = crop
        .pixels()
        .map(|p| {
            let d: i32 = (0..3).map(|c| (i32::from(p.0[c]) - edge[c]).abs()).sum();
            (d / 3).min(255) as u8
        })
        .collect();
    let threshold = super::ink::otsu(distance.iter().copied()).max(24);
    let mask: Vec<bool> = distance.iter().map(|&d| d > threshold).collect();
    let part = largest_part(&mask, w as usize, h as usize)?;
    let corner = |score: &dyn Fn(f32, f32) -> f32| {
        part.iter()
            .map(|&i| ((i % w as usize) as f32 + 0.5, (i / w as usize) as f32 + 0.5))
            .max_by(|a, b| score(a.0, a.1).total_cmp(&score(b.0, b.1)))
            .map(|(x, y)| [x, y])
    };
    let corners = [
        corner(&|x, y| -(x + y))?,
        corner(&|x, y| x - y)?,
        corner(&|x, y| x + y)?,
        corner(&|x, y| y - x)?,
    ];
    let area = quad_area(&corners);
    let aspect = super::rectify::aspect(&corners);
    (area >= 0.3 * (w * h) as f32 && (1.0..=6.0).contains(&aspect)).then_some(corners)
}

/// Area of a quadrilateral (shoelace).
fn quad_area(c: &[[f32; 2]; 4]) -> f32 {
    let mut twice = 0.0;
    for i in 0..4 {
        let (a, b) = (c[i], c[(i + 1) % 4]);
        twice += a[0] * b[1] - b[0] * a[1];
    }
    twice.abs() / 2.0
}

/// The indices of the largest 4-connected part of `mask`.
fn largest_part(mask: &[bool], w: usize, h: usize) -> Option<Vec<usize>> {
    let mut best: Vec<usize> = Vec::new();
    super::components::each_part(mask, w, h, |part| {
        if part.len() > best.len() {
            best = part.to_vec();
        }
    });
    (!best.is_empty()).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlateColour;
    use crate::plates::synth::{Difficulty, Rng, SynthLayout, generate};

    #[test]
    fn the_plate_inside_a_crop_is_found_within_its_border() {
        let mut rng = Rng::new(3);
        let plain = Difficulty {
            skew: 0.15,
            noise: 2.0,
            ..Difficulty::clean(50.0)
        };
        for colour in PlateColour::ALL {
            for layout in SynthLayout::ALL {
                let plate = generate(&mut rng, layout, colour, &plain);
                let found = locate(&plate.picture).expect("a plate");
                // Within 15 % of the plate's height of each corner (the border line and the
                // margin outside it are 7 % of the height, on both axes at a corner).
                for (f, t) in found.iter().zip(&plate.corners) {
                    let off = ((f[0] - t[0]).powi(2) + (f[1] - t[1]).powi(2)).sqrt();
                    assert!(
                        off < 50.0 * 0.15,
                        "{layout:?} {colour:?}: {found:?} vs {:?}",
                        plate.corners
                    );
                }
            }
        }
    }

    #[test]
    fn a_crop_that_is_all_plate_gives_none() {
        let plain = RgbImage::from_pixel(100, 30, image::Rgb([230, 230, 230]));
        assert_eq!(locate(&plain), None);
    }
}
