//! A convolution of one group with any kernel, stride and padding (the text recogniser's 1×3
//! convolutions, the plate detector's 3×3 ones) as the 1×1 convolution's matrix product over
//! the input unfolded ("im2col"): one row per input channel and kernel tap, one column per
//! output pixel. Candle unfolds too, then multiplies with the `gemm` crate, which on these
//! small pictures (a few dozen columns) ran at a tenth of the product kernel's rate.

use super::fast_math::Act;
use super::host::{self, with_f32};
use candle_core::{Device, Tensor};

/// The geometry of one unfolding: input `c × h × w`, kernel `kh × kw`, strides, padding
/// (top, left), output `oh × ow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Unfolding {
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    top: usize,
    left: usize,
    oh: usize,
    ow: usize,
}

impl Unfolding {
    /// Writes the unfolded rows of one picture (`c·kh·kw` rows of `oh·ow`) into `out`.
    fn unfold(&self, picture: &[f32], out: &mut [f32]) {
        let columns = self.oh * self.ow;
        let mut rows = out.chunks_exact_mut(columns);
        for channel in picture.chunks_exact(self.h * self.w).take(self.c) {
            for dy in 0..self.kh {
                for dx in 0..self.kw {
                    let Some(row) = rows.next() else { return };
                    for (i, out_row) in row.chunks_exact_mut(self.ow).enumerate() {
                        let y = (i * self.sh + dy).checked_sub(self.top);
                        let source = y
                            .filter(|&y| y < self.h)
                            .map(|y| &channel[y * self.w..(y + 1) * self.w]);
                        for (j, value) in out_row.iter_mut().enumerate() {
                            let x = (j * self.sw + dx).checked_sub(self.left);
                            *value = match (source, x) {
                                (Some(source), Some(x)) if x < self.w => source[x],
                                _ => 0.0,
                            };
                        }
                    }
                }
            }
        }
    }
}

/// `x` `[N, C, H, W]`, `w` `[O, C, KH, KW]`, `bias` `[O]`: `[N, O, OH, OW]`, with `pads` as
/// top, left, bottom, right. Candle's own convolution on other devices.
pub fn convolution(
    x: &Tensor,
    w: &Tensor,
    bias: &Tensor,
    (sh, sw): (usize, usize),
    [top, left, bottom, right]: [usize; 4],
) -> candle_core::Result<Tensor> {
    let (n, c, h, wd) = x.dims4()?;
    let (o, wc, kh, kw) = w.dims4()?;
    let (ph, pw) = (h + top + bottom, wd + left + right);
    if wc != c || sh == 0 || sw == 0 || ph < kh || pw < kw || bias.elem_count() != o {
        candle_core::bail!(
            "convolution: weights {:?}, bias of {} on a {c}×{h}×{wd} input",
            w.dims(),
            bias.elem_count()
        );
    }
    let u = Unfolding {
        c,
        h,
        w: wd,
        kh,
        kw,
        sh,
        sw,
        top,
        left,
        oh: (ph - kh) / sh + 1,
        ow: (pw - kw) / sw + 1,
    };
    if !host::native(x.device()) {
        if sh != sw {
            candle_core::bail!("convolution: strides {sh}×{sw} off the CPU");
        }
        let y = x
            .pad_with_zeros(2, top, bottom)?
            .pad_with_zeros(3, left, right)?
            .conv2d(w, 0, sh, 1, 1)?;
        return y.broadcast_add(&bias.reshape((1, o, 1, 1))?);
    }
    let taps = c * kh * kw;
    let unfolded = with_f32(&[x], |views| {
        let input = views[0].0;
        let mut out = vec![0f32; n * taps * u.oh * u.ow];
        for (picture, rows) in input
            .chunks_exact(c * h * wd)
            .zip(out.chunks_exact_mut(taps * u.oh * u.ow))
        {
            u.unfold(picture, rows);
        }
        Ok(out)
    })?;
    let unfolded = Tensor::from_vec(unfolded, (n, taps, u.oh, u.ow), &Device::Cpu)?;
    let w = w.reshape((o, taps))?;
    super::pointwise::pointwise(&[&unfolded], &w, bias, Act::Linear, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detect::test_tensor as tensor;

    /// Candle's convolution of the zero-padded input, strided by keeping rows and columns.
    fn reference(
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        (sh, sw): (usize, usize),
        pads: [usize; 4],
    ) -> Tensor {
        let [top, left, bottom, right] = pads;
        let padded = x
            .pad_with_zeros(2, top, bottom)
            .and_then(|t| t.pad_with_zeros(3, left, right))
            .expect("padded");
        let full = host::candle_ops_only(|| padded.conv2d(w, 0, 1, 1, 1)).expect("conv");
        let (_, _, fh, fw) = full.dims4().expect("dims");
        let rows: Vec<u32> = (0..fh).step_by(sh).map(|i| i as u32).collect();
        let cols: Vec<u32> = (0..fw).step_by(sw).map(|i| i as u32).collect();
        let o = b.elem_count();
        full.index_select(&Tensor::new(rows, &Device::Cpu).expect("rows"), 2)
            .and_then(|t| t.index_select(&Tensor::new(cols, &Device::Cpu).expect("cols"), 3))
            .and_then(|t| t.broadcast_add(&b.reshape((1, o, 1, 1))?))
            .expect("reference")
    }

    /// Input dims, weight dims, strides, pads (top, left, bottom, right).
    type Case = (
        &'static [usize],
        &'static [usize],
        (usize, usize),
        [usize; 4],
    );

    #[test]
    fn it_agrees_with_candles_convolution_for_every_kernel_stride_and_padding() {
        let cases: [Case; 6] = [
            // The recogniser's neck: 1×3 over one row, padded left and right.
            (&[1, 24, 1, 21], &[10, 24, 1, 3], (1, 1), [0, 1, 0, 1]),
            (&[2, 5, 7, 9], &[3, 5, 3, 3], (1, 1), [1, 1, 1, 1]),
            (&[1, 3, 24, 84], &[16, 3, 3, 3], (2, 2), [1, 1, 1, 1]),
            (&[1, 4, 9, 10], &[6, 4, 3, 5], (2, 1), [0, 2, 1, 2]),
            (&[1, 4, 5, 6], &[2, 4, 2, 2], (1, 2), [0, 0, 0, 0]),
            (&[1, 17, 3, 33], &[9, 17, 1, 1], (1, 1), [0, 0, 0, 0]),
        ];
        for (x_dims, w_dims, strides, pads) in cases {
            let x = tensor(x_dims, 1);
            let w = tensor(w_dims, 2);
            let b = tensor(&[w_dims[0]], 3);
            let ours = convolution(&x, &w, &b, strides, pads).expect("ours");
            let theirs = reference(&x, &w, &b, strides, pads);
            assert_eq!(ours.dims(), theirs.dims(), "{x_dims:?} {w_dims:?}");
            let ours: Vec<f32> = ours.flatten_all().and_then(|t| t.to_vec1()).expect("ours");
            let theirs: Vec<f32> = theirs
                .flatten_all()
                .and_then(|t| t.to_vec1())
                .expect("theirs");
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() < 1e-4, "{x_dims:?} {w_dims:?}: {a} vs {b}");
            }
            // Other devices' path (candle's convolution), run here on the CPU.
            let elsewhere = host::candle_ops_only(|| convolution(&x, &w, &b, strides, pads));
            match elsewhere {
                Ok(t) => {
                    let t: Vec<f32> = t.flatten_all().and_then(|t| t.to_vec1()).expect("t");
                    assert!(t.iter().zip(&ours).all(|(a, b)| (a - b).abs() < 1e-4));
                }
                Err(e) => assert!(strides.0 != strides.1, "{e}"),
            }
        }
    }

    #[test]
    fn weights_of_the_wrong_shape_or_a_kernel_larger_than_the_picture_are_refused() {
        let x = tensor(&[1, 4, 3, 3], 1);
        let b = tensor(&[2], 3);
        assert!(convolution(&x, &tensor(&[2, 5, 3, 3], 2), &b, (1, 1), [1; 4]).is_err());
        assert!(convolution(&x, &tensor(&[2, 4, 5, 5], 2), &b, (1, 1), [0; 4]).is_err());
        assert!(convolution(&x, &tensor(&[3, 4, 1, 1], 2), &b, (1, 1), [0; 4]).is_err());
    }
}
