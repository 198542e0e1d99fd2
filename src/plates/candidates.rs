//! Where a plate may be inside a vehicle's box when the plate detector finds none (it was
//! trained on Chinese plates and misses most white Vietnamese ones): characters make dense,
//! strong left–right changes of brightness, so the picture's horizontal gradient is
//! thresholded, closed across the gaps between characters and rows, and its connected parts
//! of a plate's proportions are the candidates, the densest first.

use image::RgbImage;

/// A region that may hold a plate, in the crop's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Left, top, right, bottom.
    pub bbox: [u32; 4],
    /// Edge pixels in the region times the share of the region they fill.
    pub score: f32,
}

/// Widths the crop is searched at: a plate is 15–40 % of a vehicle's width, and at these
/// scales its characters are a few pixels apart (a crop that is mostly plate is found at the
/// smaller one).
const SEARCH_WIDTHS: [u32; 2] = [240, 100];
/// Gaps closed between characters (along rows) and between rows, pixels at the search width.
const ROW_GAP: usize = 6;
const COLUMN_GAP: usize = 3;
/// The widest character stroke, pixels at the search width.
const STROKE: usize = 5;

/// At most `keep` candidates, best first.
pub fn plate_candidates(crop: &RgbImage, keep: usize) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    for width in SEARCH_WIDTHS {
        if crop.width() < 24 || crop.height() < 12 {
            break;
        }
        let scale = f64::from(crop.width()) / f64::from(width);
        let height = ((f64::from(crop.height()) / scale).round() as u32).max(1);
        let small =
            image::imageops::resize(crop, width, height, image::imageops::FilterType::Triangle);
        for mut c in candidates_at_scale(&small) {
            c.bbox = c.bbox.map(|v| (f64::from(v) * scale).round() as u32);
            c.bbox[2] = c.bbox[2].min(crop.width() - 1);
            c.bbox[3] = c.bbox[3].min(crop.height() - 1);
            if !found.iter().any(|f| overlap(&f.bbox, &c.bbox) > 0.5) {
                found.push(c);
            }
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(keep);
    found
}

/// Intersection over the smaller box.
fn overlap(a: &[u32; 4], b: &[u32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) + 1).saturating_sub(a[0].max(b[0]));
    let ih = (a[3].min(b[3]) + 1).saturating_sub(a[1].max(b[1]));
    let area = |r: &[u32; 4]| (r[2] - r[0] + 1) * (r[3] - r[1] + 1);
    (iw * ih) as f32 / area(a).min(area(b)).max(1) as f32
}

/// The candidates of a picture at one scale; scored by the edges each row of the region
/// crosses (a plate's characters give several per row) times the region's height.
fn candidates_at_scale(picture: &RgbImage) -> Vec<Candidate> {
    let (w, h) = (picture.width() as usize, picture.height() as usize);
    if w < 24 || h < 12 {
        return Vec::new();
    }
    let grey: Vec<i16> = picture
        .pixels()
        .map(|p| {
            ((u16::from(p.0[0]) * 77 + u16::from(p.0[1]) * 150 + u16::from(p.0[2]) * 29) >> 8)
                as i16
        })
        .collect();
    let mut gradient = vec![0i16; w * h];
    let mut sum = 0u64;
    for y in 0..h {
        for x in 1..w - 1 {
            let g = grey[y * w + x + 1] - grey[y * w + x - 1];
            gradient[y * w + x] = g;
            sum += u64::from(g.unsigned_abs());
        }
    }
    let mean = sum as f32 / (w * h) as f32;
    let threshold = (2.5 * mean).max(48.0) as i16;
    // A stroke is a fall and a rise a few pixels apart (or a rise and a fall); an outline
    // (a bumper, a wheel arch) is one change alone and is left out.
    let strong = |i: usize| gradient[i].abs() >= threshold;
    let edges: Vec<bool> = (0..w * h)
        .map(|i| {
            if !strong(i) {
                return false;
            }
            let (x, sign) = (i % w, gradient[i].signum());
            (1..=STROKE).any(|d| {
                let paired = |j: usize| strong(j) && gradient[j].signum() == -sign;
                (x + d < w && paired(i + d)) || (x >= d && paired(i - d))
            })
        })
        .collect();
    let mut mask = edges.clone();
    close_rows(&mut mask, w, h, ROW_GAP);
    close_columns(&mut mask, w, h, COLUMN_GAP);
    parts(&mask, w, h)
        .into_iter()
        .filter_map(|(bbox, pixels)| {
            let (bw, bh) = (bbox[2] - bbox[0] + 1, bbox[3] - bbox[1] + 1);
            let aspect = bw as f32 / bh as f32;
            let fill = pixels as f32 / (bw * bh) as f32;
            let crossings = edge_runs(&edges, w, &bbox) as f32 / bh as f32;
            let plausible = bh >= 6
                && bw >= 12
                && (0.9..=7.0).contains(&aspect)
                && fill >= 0.35
                && crossings >= 3.0
                && (bw as usize) < w * 95 / 100;
            plausible.then_some(Candidate {
                bbox,
                score: crossings * bh as f32 * fill,
            })
        })
        .collect()
}

/// Runs of edge pixels inside `bbox`, summed over its rows.
fn edge_runs(edges: &[bool], w: usize, bbox: &[u32; 4]) -> usize {
    let [x0, y0, x1, y1] = bbox.map(|v| v as usize);
    (y0..=y1)
        .map(|y| {
            let row = &edges[y * w + x0..=y * w + x1];
            row.iter()
                .zip(std::iter::once(&false).chain(row.iter()))
                .filter(|(now, before)| **now && !**before)
                .count()
        })
        .sum()
}

/// Fills each row's gaps of at most `gap` pixels between marked pixels.
fn close_rows(mask: &mut [bool], w: usize, h: usize, gap: usize) {
    for y in 0..h {
        let row = &mut mask[y * w..(y + 1) * w];
        let mut last: Option<usize> = None;
        for x in 0..w {
            if !row[x] {
                continue;
            }
            if let Some(l) = last
                && x - l <= gap
            {
                row[l..x].fill(true);
            }
            last = Some(x);
        }
    }
}

/// Fills each column's gaps of at most `gap` pixels between marked pixels.
fn close_columns(mask: &mut [bool], w: usize, h: usize, gap: usize) {
    for x in 0..w {
        let mut last: Option<usize> = None;
        for y in 0..h {
            if !mask[y * w + x] {
                continue;
            }
            if let Some(l) = last
                && y - l <= gap
            {
                for fill in l..y {
                    mask[fill * w + x] = true;
                }
            }
            last = Some(y);
        }
    }
}

/// The 4-connected parts of `mask`: bounding box (left, top, right, bottom) and pixel count.
fn parts(mask: &[bool], w: usize, h: usize) -> Vec<([u32; 4], usize)> {
    let mut out = Vec::new();
    super::components::each_part(mask, w, h, |part| {
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
        for &i in part {
            let (x, y) = (i % w, i / w);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        out.push(([x0 as u32, y0 as u32, x1 as u32, y1 as u32], part.len()));
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlateColour;
    use crate::plates::synth::{Difficulty, Rng, SynthLayout, generate};
    use image::Rgb;

    #[test]
    fn a_plate_on_a_plain_vehicle_is_the_best_candidate() {
        let mut rng = Rng::new(11);
        for layout in SynthLayout::ALL {
            let plate = generate(
                &mut rng,
                layout,
                PlateColour::White,
                &Difficulty::clean(40.0),
            );
            // The plate pasted low on a 300 × 240 vehicle of flat paint.
            let mut vehicle = RgbImage::from_pixel(300, 240, Rgb([170, 40, 40]));
            let (px, py) = (150 - plate.picture.width() / 2, 170);
            image::imageops::overlay(&mut vehicle, &plate.picture, i64::from(px), i64::from(py));
            let found = plate_candidates(&vehicle, 3);
            let best = found.first().expect("a candidate");
            let [x0, y0, x1, y1] = best.bbox;
            let centre = ((x0 + x1) / 2, (y0 + y1) / 2);
            let plate_centre = (
                px + plate.picture.width() / 2,
                py + plate.picture.height() / 2,
            );
            assert!(
                centre.0.abs_diff(plate_centre.0) < 15 && centre.1.abs_diff(plate_centre.1) < 15,
                "{layout:?}: {best:?} vs plate at {plate_centre:?}"
            );
        }
    }

    #[test]
    fn a_plain_picture_has_no_candidate() {
        let plain = RgbImage::from_pixel(200, 100, Rgb([128, 128, 128]));
        assert!(plate_candidates(&plain, 3).is_empty());
    }
}
