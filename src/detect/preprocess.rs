//! Letterboxing an RGB picture into the network's 416×416 BGR input: scale to fit keeping the
//! aspect ratio (bilinear, half-pixel centres, edge clamping, no antialiasing), top-left aligned,
//! the rest filled with 114 — the contract written in `tests/support/onnxruntime_reference.py`.
//!
//! A search of part of a picture uses a *window* of that same input: a rectangle of it whose
//! corners lie on the network's 32-pixel grid, sampled exactly as the whole input would be. The
//! network then sees the same pixels on the same grid as in a whole-picture search, and a
//! region costs in proportion to its area.

use super::yolox::INPUT_SIZE;

/// Fill value of the letterbox margins.
const PAD_VALUE: f32 = 114.0;

/// Window corners and sides are multiples of this (the network's largest stride).
pub const SIDE_STEP: usize = 32;

/// The network input, where it lies in the whole letterboxed input, and the scale applied.
pub struct Letterboxed {
    /// BGR planes, `3 × input_height × input_width`, values 0–255.
    pub bgr_planar: Vec<f32>,
    /// Picture pixels × `scale` = input pixels.
    pub scale: f32,
    pub input_width: usize,
    pub input_height: usize,
    /// Top-left corner of this input in the whole 416 × 416 input.
    pub origin: (usize, usize),
}

/// Some pixels of a picture: `rgb` holds columns `left..left + width` of rows
/// `top..top + height` of a `full_width × full_height` picture.
#[derive(Debug, Clone, Copy)]
pub struct PictureCrop<'a> {
    pub rgb: &'a [u8],
    pub left: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
    pub full_width: usize,
    pub full_height: usize,
}

impl<'a> PictureCrop<'a> {
    /// All of a `width × height` picture.
    pub fn whole(rgb: &'a [u8], width: usize, height: usize) -> Self {
        Self {
            rgb,
            left: 0,
            top: 0,
            width,
            height,
            full_width: width,
            full_height: height,
        }
    }
}

/// A rectangle of the whole 416 × 416 input, in input pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputWindow {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

/// The scale that fits a `width × height` picture into the input. In f64 and truncated where
/// sizes are derived, as YOLOX's reference code does (768×432 → 416×233, not 234).
pub fn fit_scale(width: usize, height: usize) -> f64 {
    fit_scale_in(width, height, INPUT_SIZE)
}

/// The scale that fits a `width × height` picture into a `size × size` input.
pub fn fit_scale_in(width: usize, height: usize, size: usize) -> f64 {
    let size = size as f64;
    (size / height.max(1) as f64).min(size / width.max(1) as f64)
}

/// Size of the scaled picture inside the input.
fn scaled_size(width: usize, height: usize) -> (usize, usize) {
    scaled_size_in(width, height, INPUT_SIZE)
}

fn scaled_size_in(width: usize, height: usize, size: usize) -> (usize, usize) {
    let scale = fit_scale_in(width, height, size);
    (
        ((width as f64 * scale) as usize).clamp(1, size),
        ((height as f64 * scale) as usize).clamp(1, size),
    )
}

/// `rgb` (`width × height × 3` bytes) fitted into a `size × size` input (`size` a multiple of
/// 32), the input cut to the picture's extent rounded up to the 32-pixel grid: a wide picture
/// at 640 is searched as 640 × 384, not 640 × 640 of which 280 rows are padding.
pub fn letterbox_into(rgb: &[u8], width: usize, height: usize, size: usize) -> Letterboxed {
    let whole = PictureCrop::whole(rgb, width, height);
    let (input_width, input_height) = input_extent(width, height, size);
    let window = InputWindow {
        x: 0,
        y: 0,
        width: input_width,
        height: input_height,
    };
    letterbox_window_in(&whole, window, size)
}

/// The input [`letterbox_into`] makes of a `width × height` picture at `size`: the scaled
/// picture's extent rounded up to the 32-pixel grid.
pub fn input_extent(width: usize, height: usize, size: usize) -> (usize, usize) {
    let (scaled_w, scaled_h) = scaled_size_in(width, height, size);
    let side = |scaled: usize| (scaled.div_ceil(SIDE_STEP).max(1) * SIDE_STEP).min(size);
    (side(scaled_w), side(scaled_h))
}

/// `rgb`: `width × height × 3` bytes, row-major, fitted into 416 × 416.
pub fn letterbox(rgb: &[u8], width: usize, height: usize) -> Letterboxed {
    let whole = PictureCrop::whole(rgb, width, height);
    let window = InputWindow {
        x: 0,
        y: 0,
        width: INPUT_SIZE,
        height: INPUT_SIZE,
    };
    letterbox_window(&whole, window)
}

/// The window of the input, on the 32-pixel grid, that covers picture pixels
/// `left..right × top..bottom` of a `width × height` picture.
pub fn window_for(
    (left, top, right, bottom): (usize, usize, usize, usize),
    width: usize,
    height: usize,
) -> InputWindow {
    let scale = fit_scale(width, height);
    let (scaled_w, scaled_h) = scaled_size(width, height);
    let span = |lo: usize, hi: usize, scaled: usize| {
        let start = ((lo as f64 * scale).floor() as usize / SIDE_STEP) * SIDE_STEP;
        let end = ((hi as f64 * scale).ceil() as usize)
            .min(scaled)
            .div_ceil(SIDE_STEP)
            * SIDE_STEP;
        let start = start.min(INPUT_SIZE - SIDE_STEP);
        (start, end.clamp(start + SIDE_STEP, INPUT_SIZE) - start)
    };
    let (x, w) = span(left, right, scaled_w);
    let (y, h) = span(top, bottom, scaled_h);
    InputWindow {
        x,
        y,
        width: w,
        height: h,
    }
}

/// The picture pixels a window covers, `(left, top, right, bottom)`, inside the picture.
pub fn window_picture_rect(
    window: InputWindow,
    width: usize,
    height: usize,
) -> (usize, usize, usize, usize) {
    let scale = fit_scale(width, height);
    let lo = |v: usize, full: usize| ((v as f64 / scale).ceil() as usize).min(full);
    let hi = |v: usize, full: usize| ((v as f64 / scale).floor() as usize).min(full);
    (
        lo(window.x, width),
        lo(window.y, height),
        hi(window.x + window.width, width),
        hi(window.y + window.height, height),
    )
}

/// Picture pixels `left..right × top..bottom` that the samples of `window` read.
pub fn source_span(
    window: InputWindow,
    width: usize,
    height: usize,
) -> (usize, usize, usize, usize) {
    let (scaled_w, scaled_h) = scaled_size(width, height);
    let span = |start: usize, len: usize, scaled: usize, full: usize| {
        let ratio = full as f64 / scaled as f64;
        let lo = ((start as f64 * ratio).floor() as usize).saturating_sub(1);
        let hi = (((start + len) as f64 * ratio).ceil() as usize + 1).min(full);
        (lo.min(full), hi)
    };
    let (left, right) = span(window.x, window.width, scaled_w, width);
    let (top, bottom) = span(window.y, window.height, scaled_h, height);
    (left, top, right, bottom)
}

/// Samples `window` of the letterboxed input of `crop`'s picture from the pixels `crop` holds
/// (pixels it lacks read as the nearest it has).
pub fn letterbox_window(crop: &PictureCrop, window: InputWindow) -> Letterboxed {
    letterbox_window_in(crop, window, INPUT_SIZE)
}

/// [`letterbox_window`] for a `size × size` input.
fn letterbox_window_in(crop: &PictureCrop, window: InputWindow, size: usize) -> Letterboxed {
    let (width, height) = (crop.full_width, crop.full_height);
    let scale = fit_scale_in(width, height, size) as f32;
    let (new_w, new_h) = scaled_size_in(width, height, size);
    let (input_width, input_height) = (window.width, window.height);
    let plane = input_width * input_height;
    let mut out = vec![PAD_VALUE; 3 * plane];
    let result = |bgr_planar| Letterboxed {
        bgr_planar,
        scale,
        input_width,
        input_height,
        origin: (window.x, window.y),
    };
    if width == 0
        || height == 0
        || crop.width == 0
        || crop.height == 0
        || crop.rgb.len() < crop.width * crop.height * 3
    {
        return result(out);
    }
    // Source position of an input pixel, as the whole-picture letterbox computes it, then
    // made relative to the crop.
    let source = |coordinate: usize, target: usize, source_len: usize, first: usize, len: usize| {
        let s = (coordinate as f32 + 0.5) * (source_len as f32 / target as f32) - 0.5;
        let s = s.clamp(0.0, (source_len - 1) as f32);
        let i0 = s.floor() as usize;
        let i1 = (i0 + 1).min(source_len - 1);
        let local = |i: usize| i.clamp(first, first + len - 1) - first;
        (local(i0), local(i1), s - i0 as f32)
    };
    let columns: Vec<_> = (window.x..(window.x + input_width).min(new_w))
        .map(|x| source(x, new_w, width, crop.left, crop.width))
        .collect();
    let row_len = crop.width;
    for y in window.y..(window.y + input_height).min(new_h) {
        let (y0, y1, fy) = source(y, new_h, height, crop.top, crop.height);
        let out_row = (y - window.y) * input_width;
        for (x, &(x0, x1, fx)) in columns.iter().enumerate() {
            for c in 0..3 {
                let at = |yy: usize, xx: usize| f32::from(crop.rgb[(yy * row_len + xx) * 3 + c]);
                let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
                let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
                let value = top * (1.0 - fy) + bottom * fy;
                // BGR order: RGB channel c goes to plane 2 − c.
                out[(2 - c) * plane + out_row + x] = value;
            }
        }
    }
    result(out)
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
    fn a_window_samples_exactly_what_the_whole_input_has_there() {
        // A 768×432 picture with a gradient, so every sample differs.
        let (w, h) = (768, 432);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7) % 251) as u8).collect();
        let whole = letterbox(&rgb, w, h);
        let window = window_for((300, 100, 500, 260), w, h);
        // 300 × 416/768 = 162.5 → 160; 500 → 270.8 → 288; rows 54.2 → 32, 140.8 → 160.
        assert_eq!(
            window,
            InputWindow {
                x: 160,
                y: 32,
                width: 128,
                height: 128
            }
        );
        let (left, top, right, bottom) = source_span(window, w, h);
        let crop_rgb: Vec<u8> = (top..bottom)
            .flat_map(|y| rgb[(y * w + left) * 3..(y * w + right) * 3].iter().copied())
            .collect();
        let crop = PictureCrop {
            rgb: &crop_rgb,
            left,
            top,
            width: right - left,
            height: bottom - top,
            full_width: w,
            full_height: h,
        };
        let part = letterbox_window(&crop, window);
        assert_eq!(
            (part.input_width, part.input_height, part.origin),
            (128, 128, (160, 32))
        );
        let n = INPUT_SIZE * INPUT_SIZE;
        for c in 0..3 {
            for y in 0..128 {
                for x in 0..128 {
                    let got = part.bgr_planar[c * 128 * 128 + y * 128 + x];
                    let want = whole.bgr_planar[c * n + (y + 32) * INPUT_SIZE + x + 160];
                    assert_eq!(got, want, "channel {c} at ({x}, {y})");
                }
            }
        }
        // The picture rectangle of a window gives the window back.
        let rect = window_picture_rect(window, w, h);
        assert_eq!(window_for(rect, w, h), window, "{rect:?}");
        // A window over the bottom margin is padding where the picture ends (row 233).
        let low = window_for((0, 400, 100, 432), w, h);
        assert_eq!((low.y, low.height), (192, 64));
    }

    #[test]
    fn a_picture_fitted_into_a_size_is_cut_to_its_extent_on_the_grid() {
        // 1280×720 into 640: 640×360, the input 640×384 with 24 rows of padding.
        let rgb = vec![50u8; 1280 * 720 * 3];
        let boxed = letterbox_into(&rgb, 1280, 720, 640);
        assert_eq!((boxed.input_width, boxed.input_height), (640, 384));
        assert_eq!(boxed.scale, 0.5);
        assert_eq!(boxed.bgr_planar[359 * 640 + 639], 50.0);
        assert_eq!(boxed.bgr_planar[360 * 640], 114.0);
        // At 416 it samples what the square whole-picture input has in those rows.
        let (w, h) = (832, 416);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7) % 251) as u8).collect();
        let cut = letterbox_into(&rgb, w, h, INPUT_SIZE);
        let square = letterbox(&rgb, w, h);
        assert_eq!((cut.input_width, cut.input_height), (416, 224));
        let n = INPUT_SIZE * 224;
        assert_eq!(cut.bgr_planar[..n], square.bgr_planar[..n]);
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
