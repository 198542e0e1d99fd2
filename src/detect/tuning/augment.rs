//! The views of a labelled picture that training sees: the whole picture at 640, a random part
//! of it enlarged (a nearer junction, a higher zoom), the whole picture at 416 (a farther one),
//! each with random brightness and contrast, and a blur now and then (a dirty lens, rain,
//! motion). Boxes follow; an object cut to less than half of itself is left out.

use super::Rng;
use super::assign::Truth;

/// A view to train on: the picture, the input size it is fitted into, its objects in picture
/// pixels.
pub struct View {
    pub rgb: Vec<u8>,
    pub width: usize,
    pub height: usize,
    pub input: usize,
    pub truth: Vec<Truth>,
}

/// The `kind`-th view of a picture (kinds cycle through whole at 640, a part enlarged at 640,
/// whole at 416).
pub fn view(
    rgb: &[u8],
    width: usize,
    height: usize,
    truth: &[Truth],
    kind: usize,
    rng: &mut Rng,
) -> View {
    let (mut out, input) = match kind % 3 {
        0 => (whole(rgb, width, height, truth), 640),
        1 => (part(rgb, width, height, truth, rng), 640),
        _ => (whole(rgb, width, height, truth), 416),
    };
    jitter_colour(&mut out.rgb, rng);
    if rng.chance(0.3) {
        out.rgb = box_blur(&out.rgb, out.width, out.height);
    }
    out.input = input;
    out
}

fn whole(rgb: &[u8], width: usize, height: usize, truth: &[Truth]) -> View {
    View {
        rgb: rgb.to_vec(),
        width,
        height,
        input: 0,
        truth: truth.to_vec(),
    }
}

/// A random part (35–70 % of the width, the picture's shape) with the objects inside it.
fn part(rgb: &[u8], width: usize, height: usize, truth: &[Truth], rng: &mut Rng) -> View {
    let share = rng.range(0.35, 0.7);
    let w = ((width as f64 * share) as usize).clamp(1, width);
    let h = ((height as f64 * share) as usize).clamp(1, height);
    let left = (rng.unit() * (width - w) as f64) as usize;
    let top = (rng.unit() * (height - h) as f64) as usize;
    let mut out = Vec::with_capacity(w * h * 3);
    for y in top..top + h {
        out.extend_from_slice(&rgb[(y * width + left) * 3..(y * width + left + w) * 3]);
    }
    let (l, t, r, b) = (left as f32, top as f32, (left + w) as f32, (top + h) as f32);
    let kept = truth
        .iter()
        .filter_map(|object| {
            let o = object.bbox;
            let clipped = [o[0].max(l), o[1].max(t), o[2].min(r), o[3].min(b)];
            let area = |x: &[f32; 4]| (x[2] - x[0]).max(0.0) * (x[3] - x[1]).max(0.0);
            let visible = area(&clipped) / area(&o).max(1e-6);
            (visible >= 0.5 && clipped[2] - clipped[0] >= 2.0 && clipped[3] - clipped[1] >= 2.0)
                .then(|| Truth {
                    class: object.class,
                    bbox: [
                        clipped[0] - l,
                        clipped[1] - t,
                        clipped[2] - l,
                        clipped[3] - t,
                    ],
                })
        })
        .collect();
    View {
        rgb: out,
        width: w,
        height: h,
        input: 0,
        truth: kept,
    }
}

/// Brightness × 0.7–1.3 and contrast × 0.75–1.25 around mid-grey.
fn jitter_colour(rgb: &mut [u8], rng: &mut Rng) {
    let gain = rng.range(0.7, 1.3) as f32;
    let contrast = rng.range(0.75, 1.25) as f32;
    for v in rgb.iter_mut() {
        let x = ((f32::from(*v) - 128.0) * contrast + 128.0) * gain;
        *v = x.round().clamp(0.0, 255.0) as u8;
    }
}

/// A 3 × 3 box blur (edges clamped).
fn box_blur(rgb: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; rgb.len()];
    for y in 0..height {
        for x in 0..width {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in [-1isize, 0, 1] {
                    for dx in [-1isize, 0, 1] {
                        let yy = (y as isize + dy).clamp(0, height as isize - 1) as usize;
                        let xx = (x as isize + dx).clamp(0, width as isize - 1) as usize;
                        sum += u32::from(rgb[(yy * width + xx) * 3 + c]);
                    }
                }
                out[(y * width + x) * 3 + c] = ((sum + 4) / 9) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_keeps_the_objects_mostly_inside_it_in_its_own_pixels() {
        let (w, h) = (200, 100);
        let rgb = vec![100u8; w * h * 3];
        let truth = [
            Truth {
                class: 3,
                bbox: [90.0, 40.0, 110.0, 60.0],
            },
            Truth {
                class: 2,
                bbox: [0.0, 0.0, 4.0, 4.0],
            },
        ];
        let mut rng = Rng::new(3);
        let mut seen_centre = 0;
        for _ in 0..20 {
            let v = part(&rgb, w, h, &truth, &mut rng);
            assert_eq!(v.rgb.len(), v.width * v.height * 3);
            for t in &v.truth {
                assert!(t.bbox[0] >= 0.0 && t.bbox[2] <= v.width as f32, "{t:?}");
                assert!(t.bbox[1] >= 0.0 && t.bbox[3] <= v.height as f32, "{t:?}");
                seen_centre += usize::from(t.class == 3);
            }
        }
        assert!(seen_centre > 0, "the centre object is in some parts");
        let blurred = box_blur(&rgb, w, h);
        assert_eq!(blurred, rgb, "a flat picture stays flat");
    }
}
