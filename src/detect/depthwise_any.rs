//! A depthwise convolution of any kernel size, stride and padding (the text recogniser's 3×3
//! and 5×5 kernels with strides 1×1, 2×1 and 1×2): candle's grouped convolution runs one small
//! convolution per channel, hundreds of them. Each channel's plane is copied once inside its
//! border of zeros; an output row is then kernel-width multiply-adds over a row of the padded
//! plane (contiguous when the horizontal stride is 1, which the compiler vectorises); channels
//! run in parallel.

use candle_core::{Device, Tensor};
use rayon::prelude::*;

/// `x` `[N, C, H, W]`, `w` `[C, 1, KH, KW]`: `[N, C, OH, OW]`, with `pads` as top, left,
/// bottom, right.
pub fn depthwise(
    x: &Tensor,
    w: &Tensor,
    (sh, sw): (usize, usize),
    [top, left, bottom, right]: [usize; 4],
) -> candle_core::Result<Tensor> {
    let (n, c, h, wd) = x.dims4()?;
    let (wc, one, kh, kw) = w.dims4()?;
    if wc != c || one != 1 || sh == 0 || sw == 0 {
        candle_core::bail!("depthwise: weights {:?} for {c} channels", w.dims());
    }
    let (ph, pw) = (h + top + bottom, wd + left + right);
    if ph < kh || pw < kw {
        candle_core::bail!("depthwise: a {kh}×{kw} kernel on a {h}×{wd} plane");
    }
    let (oh, ow) = ((ph - kh) / sh + 1, (pw - kw) / sw + 1);
    let input = x.flatten_all()?.to_vec1::<f32>()?;
    let weights = w.flatten_all()?.to_vec1::<f32>()?;
    let mut output = vec![0f32; n * c * oh * ow];
    output.par_chunks_mut(oh * ow).enumerate().for_each_init(
        || vec![0f32; ph * pw],
        |padded, (plane, out)| {
            let channel = plane % c;
            let source = &input[plane * h * wd..(plane + 1) * h * wd];
            for (y, row) in source.chunks_exact(wd).enumerate() {
                let at = (y + top) * pw + left;
                padded[at..at + wd].copy_from_slice(row);
            }
            let kernel = &weights[channel * kh * kw..(channel + 1) * kh * kw];
            for (oy, out_row) in out.chunks_exact_mut(ow).enumerate() {
                for (ky, taps) in kernel.chunks_exact(kw).enumerate() {
                    let row = &padded[(oy * sh + ky) * pw..(oy * sh + ky + 1) * pw];
                    for (kx, &tap) in taps.iter().enumerate() {
                        if sw == 1 {
                            for (o, &v) in out_row.iter_mut().zip(&row[kx..kx + ow]) {
                                *o += tap * v;
                            }
                        } else {
                            for (ox, o) in out_row.iter_mut().enumerate() {
                                *o += tap * row[ox * sw + kx];
                            }
                        }
                    }
                }
            }
        },
    );
    Tensor::from_vec(output, (n, c, oh, ow), &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// candle's grouped convolution (one stride, one padding) as the reference.
    fn reference(x: &Tensor, w: &Tensor, stride: usize, pad: usize) -> Vec<f32> {
        let c = x.dim(1).unwrap();
        x.conv2d(w, pad, stride, 1, c)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
    }

    #[test]
    fn it_agrees_with_candles_grouped_convolution() {
        let x = Tensor::randn(0f32, 1., (2, 3, 9, 11), &Device::Cpu).unwrap();
        for (k, stride, pad) in [(3, 1, 1), (3, 2, 1), (5, 1, 2), (5, 2, 2), (3, 1, 0)] {
            let w = Tensor::randn(0f32, 1., (3, 1, k, k), &Device::Cpu).unwrap();
            let ours = depthwise(&x, &w, (stride, stride), [pad; 4]).unwrap();
            let ours: Vec<f32> = ours.flatten_all().unwrap().to_vec1().unwrap();
            assert!(
                close(&ours, &reference(&x, &w, stride, pad)),
                "k {k} s {stride}"
            );
        }
    }

    #[test]
    fn a_stride_per_axis_keeps_the_rows_or_columns_of_the_full_result() {
        let x = Tensor::randn(0f32, 1., (1, 2, 8, 10), &Device::Cpu).unwrap();
        let w = Tensor::randn(0f32, 1., (2, 1, 5, 5), &Device::Cpu).unwrap();
        let full = depthwise(&x, &w, (1, 1), [2; 4]).unwrap();
        let rows = depthwise(&x, &w, (2, 1), [2; 4]).unwrap();
        let columns = depthwise(&x, &w, (1, 2), [2; 4]).unwrap();
        assert_eq!(rows.dims(), &[1, 2, 4, 10]);
        assert_eq!(columns.dims(), &[1, 2, 8, 5]);
        // The values at `index` along `axis`.
        let at = |t: &Tensor, axis: usize, index: usize| -> Vec<f32> {
            t.narrow(axis, index, 1)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1())
                .unwrap()
        };
        for oy in 0..4 {
            assert!(close(&at(&rows, 2, oy), &at(&full, 2, 2 * oy)));
        }
        for ox in 0..5 {
            assert!(close(&at(&columns, 3, ox), &at(&full, 3, 2 * ox)));
        }
    }

    #[test]
    fn asymmetric_padding_and_wrong_weights() {
        let x = Tensor::randn(0f32, 1., (1, 1, 4, 4), &Device::Cpu).unwrap();
        let w = Tensor::ones((1, 1, 1, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        let y = depthwise(&x, &w, (1, 1), [0, 1, 0, 1]).unwrap();
        assert_eq!(y.dims(), &[1, 1, 4, 4]);
        let wrong = Tensor::ones((2, 1, 3, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(depthwise(&x, &wrong, (1, 1), [1; 4]).is_err());
    }
}
