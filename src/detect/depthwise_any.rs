//! A depthwise convolution of any kernel size, stride and padding (the text recogniser's 3×3
//! and 5×5 kernels with strides 1×1, 2×1 and 1×2): candle's grouped convolution runs one small
//! convolution per channel, hundreds of them. Each channel's plane is copied once inside its
//! border of zeros; an output row is then kernel-width multiply-adds over a row of the padded
//! plane (contiguous when the horizontal stride is 1, which the compiler vectorises); channels
//! run in parallel.

use super::fast_math::{self, Simd};
use super::host;
use candle_core::{Device, Tensor};
use rayon::prelude::*;

/// A plane's geometry: the padded input (`ph`×`pw`), the kernel, the strides and the output.
#[derive(Clone, Copy)]
struct Geometry {
    pw: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    oh: usize,
    ow: usize,
}

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
    let g = Geometry {
        pw,
        kw,
        sh,
        sw,
        oh: (ph - kh) / sh + 1,
        ow: (pw - kw) / sw + 1,
    };
    if !host::native(x.device()) {
        let x = x
            .pad_with_zeros(2, top, bottom)?
            .pad_with_zeros(3, left, right)?;
        if sh == sw {
            return x.conv2d(w, 0, sh, 1, c);
        }
        // One stride for both axes, then every other row or column kept.
        let full = x.conv2d(w, 0, 1, 1, c)?;
        let rows: Vec<u32> = (0..g.oh).map(|i| (i * sh) as u32).collect();
        let cols: Vec<u32> = (0..g.ow).map(|i| (i * sw) as u32).collect();
        let index = |v: Vec<u32>| Tensor::new(v, x.device());
        return full
            .index_select(&index(rows)?, 2)?
            .index_select(&index(cols)?, 3);
    }
    let output = host::with_f32(&[x, w], |views| {
        let (input, weights) = (views[0].0, views[1].0);
        let mut output = vec![0f32; n * c * g.oh * g.ow];
        output
            .par_chunks_mut(g.oh * g.ow)
            .enumerate()
            .for_each_init(
                || vec![0f32; ph * pw],
                |padded, (plane, out)| {
                    let channel = plane % c;
                    let source = &input[plane * h * wd..(plane + 1) * h * wd];
                    for (y, row) in source.chunks_exact(wd).enumerate() {
                        let at = (y + top) * pw + left;
                        padded[at..at + wd].copy_from_slice(row);
                    }
                    let kernel = &weights[channel * kh * kw..(channel + 1) * kh * kw];
                    fast_math::with_best_simd(
                        #[inline(always)]
                        |simd| plane_taps(out, padded, kernel, g, simd),
                    );
                },
            );
        Ok(output)
    })?;
    Tensor::from_vec(output, (n, c, g.oh, g.ow), &Device::Cpu)
}

/// One output plane (zeroed) from its padded input plane: each output row is the sum over
/// the kernel's taps of a tap times a row of the padded plane (contiguous when the
/// horizontal stride is 1), with fused multiply-adds where the processor has them.
#[inline(always)]
fn plane_taps(out: &mut [f32], padded: &[f32], kernel: &[f32], g: Geometry, simd: Simd) {
    let fma = simd.has_fma();
    for (oy, out_row) in out.chunks_exact_mut(g.ow).enumerate() {
        for (ky, taps) in kernel.chunks_exact(g.kw).enumerate() {
            let row = &padded[(oy * g.sh + ky) * g.pw..(oy * g.sh + ky + 1) * g.pw];
            for (kx, &tap) in taps.iter().enumerate() {
                if g.sw == 1 {
                    let source = &row[kx..kx + g.ow];
                    if fma {
                        for (o, &v) in out_row.iter_mut().zip(source) {
                            *o = tap.mul_add(v, *o);
                        }
                    } else {
                        for (o, &v) in out_row.iter_mut().zip(source) {
                            *o += tap * v;
                        }
                    }
                } else {
                    for (ox, o) in out_row.iter_mut().enumerate() {
                        *o += tap * row[ox * g.sw + kx];
                    }
                }
            }
        }
    }
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
    fn every_instruction_set_and_candles_ops_give_the_same_planes() {
        // A 5×5 kernel with a stride per axis: each vector path run directly, the best one
        // through the dispatch, and candle's ops (other devices) through `depthwise`.
        let g = Geometry {
            pw: 23,
            kw: 5,
            sh: 2,
            sw: 1,
            oh: 6,
            ow: 19,
        };
        let padded: Vec<f32> = (0..15 * 23).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
        let kernel: Vec<f32> = (0..25).map(|i| (i as f32 * 0.37).sin()).collect();
        let run = |simd| {
            let mut out = vec![0f32; 6 * 19];
            plane_taps(&mut out, &padded, &kernel, g, simd);
            out
        };
        let baseline = run(Simd::Baseline);
        for simd in [Simd::Avx2, Simd::Avx512] {
            assert!(close(&run(simd), &baseline), "{simd:?}");
        }
        assert!(close(&fast_math::with_best_simd(run), &baseline));
        let x = Tensor::randn(0f32, 1., (1, 3, 9, 11), &Device::Cpu).unwrap();
        let w = Tensor::randn(0f32, 1., (3, 1, 5, 5), &Device::Cpu).unwrap();
        for strides in [(1, 1), (2, 1), (1, 2)] {
            let ours = depthwise(&x, &w, strides, [2, 1, 2, 3]).unwrap();
            let candle = crate::detect::host::candle_ops_only(|| {
                depthwise(&x, &w, strides, [2, 1, 2, 3]).unwrap()
            });
            assert_eq!(ours.dims(), candle.dims());
            assert!(
                crate::detect::max_abs_diff(&ours, &candle) < 1e-4,
                "{strides:?}"
            );
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
