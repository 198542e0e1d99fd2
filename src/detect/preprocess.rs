//! Letterboxing an RGB picture into the network's 416×416 BGR input: scale to fit keeping the
//! aspect ratio (bilinear, half-pixel centres, edge clamping, no antialiasing), top-left aligned,
//! the rest filled with 114 — the contract written in `tests/support/onnxruntime_reference.py`.

use super::yolox::INPUT_SIZE;

/// Fill value of the letterbox margins.
const PAD_VALUE: f32 = 114.0;

/// The network input and the scale applied to the picture.
pub struct Letterboxed {
    /// BGR planes, `3 × 416 × 416`, values 0–255.
    pub bgr_planar: Vec<f32>,
    /// Picture pixels × `scale` = input pixels.
    pub scale: f32,
}

/// `rgb`: `width × height × 3` bytes, row-major.
pub fn letterbox(rgb: &[u8], width: usize, height: usize) -> Letterboxed {
    let size = INPUT_SIZE;
    // In f64 and truncated, as YOLOX's reference code does (768×432 → 416×233, not 234).
    let scale_f64 = (size as f64 / height as f64).min(size as f64 / width as f64);
    let scale = scale_f64 as f32;
    let new_w = ((width as f64 * scale_f64) as usize).clamp(1, size);
    let new_h = ((height as f64 * scale_f64) as usize).clamp(1, size);
    let mut out = vec![PAD_VALUE; 3 * size * size];
    if width == 0 || height == 0 || rgb.len() < width * height * 3 {
        return Letterboxed {
            bgr_planar: out,
            scale,
        };
    }
    let source = |coordinate: usize, target: usize, source_len: usize| {
        let s = (coordinate as f32 + 0.5) * (source_len as f32 / target as f32) - 0.5;
        let s = s.clamp(0.0, (source_len - 1) as f32);
        let i0 = s.floor() as usize;
        let i1 = (i0 + 1).min(source_len - 1);
        (i0, i1, s - i0 as f32)
    };
    let columns: Vec<_> = (0..new_w).map(|x| source(x, new_w, width)).collect();
    for y in 0..new_h {
        let (y0, y1, fy) = source(y, new_h, height);
        for (x, &(x0, x1, fx)) in columns.iter().enumerate() {
            for c in 0..3 {
                let at = |yy: usize, xx: usize| f32::from(rgb[(yy * width + xx) * 3 + c]);
                let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
                let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
                let value = top * (1.0 - fy) + bottom * fy;
                // BGR order: RGB channel c goes to plane 2 − c.
                out[(2 - c) * size * size + y * size + x] = value;
            }
        }
    }
    Letterboxed {
        bgr_planar: out,
        scale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_picture_fills_the_width_and_pads_below() {
        // 832×416 grey picture → 416×208 at the top, 114 below.
        let rgb = vec![50u8; 832 * 416 * 3];
        let boxed = letterbox(&rgb, 832, 416);
        assert_eq!(boxed.scale, 0.5);
        let plane = &boxed.bgr_planar[..INPUT_SIZE * INPUT_SIZE];
        assert_eq!(plane[0], 50.0);
        assert_eq!(plane[207 * INPUT_SIZE + 415], 50.0);
        assert_eq!(plane[208 * INPUT_SIZE], 114.0);
    }

    #[test]
    fn sizes_are_truncated_in_double_precision() {
        // 432 × 416/768 = 233.99999999999997 in f64 (234.00002 in f32).
        let rgb = vec![0u8; 768 * 432 * 3];
        let boxed = letterbox(&rgb, 768, 432);
        let plane = &boxed.bgr_planar[..INPUT_SIZE * INPUT_SIZE];
        assert_eq!(plane[232 * INPUT_SIZE], 0.0);
        assert_eq!(plane[233 * INPUT_SIZE], 114.0);
    }

    #[test]
    fn channels_are_swapped_to_bgr() {
        let rgb: Vec<u8> = [10u8, 20, 30].repeat(416 * 416);
        let boxed = letterbox(&rgb, 416, 416);
        let n = INPUT_SIZE * INPUT_SIZE;
        assert_eq!(
            [
                boxed.bgr_planar[0],
                boxed.bgr_planar[n],
                boxed.bgr_planar[2 * n]
            ],
            [30.0, 20.0, 10.0]
        );
    }
}
