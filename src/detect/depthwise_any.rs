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

impl Geometry {
    /// A `kh × kw` kernel at strides `sh × sw` over a padded plane of `ph × pw`; none when the
    /// kernel does not fit.
    fn new(
        (ph, pw): (usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
    ) -> Option<Self> {
        (ph >= kh && pw >= kw).then(|| Geometry {
            pw,
            kw,
            sh,
            sw,
            oh: (ph - kh) / sh + 1,
            ow: (pw - kw) / sw + 1,
        })
    }
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
    let Some(g) = Geometry::new((h + top + bottom, wd + left + right), (kh, kw), (sh, sw)) else {
        candle_core::bail!("depthwise: a {kh}×{kw} kernel on a {h}×{wd} plane");
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
    let simd = fast_math::with_best_simd(|simd| simd);
    let output = host::with_f32(&[x, w], |views| {
        let (input, weights) = (views[0].0, views[1].0);
        let mut output = vec![0f32; n * c * g.oh * g.ow];
        output
            .par_chunks_mut(g.oh * g.ow)
            .enumerate()
            .for_each_init(Vec::new, |padded, (plane, out)| {
                let channel = plane % c;
                let source = &input[plane * h * wd..(plane + 1) * h * wd];
                let kernel = &weights[channel * kh * kw..(channel + 1) * kh * kw];
                let plane = Plane {
                    source,
                    height: h,
                    width: wd,
                    kh,
                    top,
                    left,
                    bottom,
                };
                convolve_plane(out, &plane, kernel, g, padded, simd);
            });
        Ok(output)
    })?;
    Tensor::from_vec(output, (n, c, g.oh, g.ow), &Device::Cpu)
}

/// One input plane, the kernel's height and the padding above, left of and below it.
struct Plane<'a> {
    source: &'a [f32],
    height: usize,
    width: usize,
    kh: usize,
    top: usize,
    left: usize,
    bottom: usize,
}

/// One output plane (zeroed) from its input plane, with the instructions `simd` names: with
/// AVX-512 and a horizontal stride of 1 straight from the plane (masked loads stand for the
/// border of zeros); otherwise through a padded copy in `padded`.
fn convolve_plane(
    out: &mut [f32],
    plane: &Plane,
    kernel: &[f32],
    g: Geometry,
    padded: &mut Vec<f32>,
    simd: Simd,
) {
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx512 && g.sw == 1 && g.kw <= x86::MAX_WIDTH {
        // SAFETY: `Simd::Avx512` is only handed out where the processor has AVX-512F.
        unsafe { x86::direct(out, plane, kernel, g) };
        return;
    }
    let Plane {
        source,
        height,
        width,
        top,
        left,
        ..
    } = *plane;
    padded.clear();
    padded.resize((height + top + plane.bottom) * g.pw, 0.0);
    for (y, row) in source.chunks_exact(width).enumerate() {
        let at = (y + top) * g.pw + left;
        padded[at..at + width].copy_from_slice(row);
    }
    fast_math::with_best_simd(
        #[inline(always)]
        |_| plane_taps(out, padded, kernel, g, simd),
    );
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The AVX-512 kernel that reads the plane in place.

    use super::super::fast_math::lanes16;
    use super::{Geometry, Plane};
    use std::arch::x86_64::*;

    /// The widest kernel it takes.
    pub(super) const MAX_WIDTH: usize = 16;

    /// Output rows computed together: each input row loaded once serves all of them, and
    /// their sums are independent chains of multiply-adds (one chain per row and strip).
    const ROWS: usize = 4;

    /// The plane convolved at a horizontal stride of 1, in blocks of up to three strips of
    /// 16 output columns (each tap's load masks computed once a block) by [`ROWS`] rows.
    ///
    /// # Safety
    /// AVX-512F is present; `out` holds `g.oh × g.ow` values; `g.kw ≤ MAX_WIDTH`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn direct(out: &mut [f32], plane: &Plane, kernel: &[f32], g: Geometry) {
        assert!(
            out.len() == g.oh * g.ow
                && plane.source.len() == plane.height * plane.width
                && kernel.len() == plane.kh * g.kw
                && g.kw <= MAX_WIDTH
                && g.sw == 1,
            "depthwise plane sizes"
        );
        for x0 in (0..g.ow).step_by(48) {
            // SAFETY: the sizes were checked above.
            unsafe {
                match (g.ow - x0).div_ceil(16) {
                    1 => block::<1>(out, plane, kernel, g, x0),
                    2 => block::<2>(out, plane, kernel, g, x0),
                    _ => block::<3>(out, plane, kernel, g, x0),
                }
            }
        }
    }

    /// [`direct`]'s columns `x0 .. x0 + 16·V` (the last strip masked at the plane's edge).
    ///
    /// # Safety
    /// As [`direct`], and `x0 < g.ow`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block<const V: usize>(
        out: &mut [f32],
        plane: &Plane,
        kernel: &[f32],
        g: Geometry,
        x0: usize,
    ) {
        let Plane {
            source,
            height,
            width,
            kh,
            top,
            left,
            ..
        } = *plane;
        let (src, dst) = (source.as_ptr(), out.as_mut_ptr());
        let mut starts = [[0isize; V]; MAX_WIDTH];
        let mut masks = [[0 as __mmask16; V]; MAX_WIDTH];
        for kx in 0..g.kw {
            for s in 0..V {
                let start = (x0 + 16 * s + kx) as isize - left as isize;
                starts[kx][s] = start;
                masks[kx][s] = lanes16(-start, width as isize - start);
            }
        }
        let stores: [__mmask16; V] =
            std::array::from_fn(|s| lanes16(0, g.ow as isize - (x0 + 16 * s) as isize));
        for oy0 in (0..g.oh).step_by(ROWS) {
            let mut sums = [[_mm512_setzero_ps(); V]; ROWS];
            // The padded plane's rows under this block of output rows.
            for py in oy0 * g.sh..(oy0 + ROWS - 1) * g.sh + kh {
                let Some(iy) = py.checked_sub(top).filter(|&y| y < height) else {
                    continue;
                };
                let row = src.wrapping_add(iy * width);
                for kx in 0..g.kw {
                    // SAFETY: masked lanes are not read; the others lie inside row iy.
                    let v: [__m512; V] = std::array::from_fn(|s| unsafe {
                        _mm512_maskz_loadu_ps(masks[kx][s], row.wrapping_offset(starts[kx][s]))
                    });
                    for (r, sums) in sums.iter_mut().enumerate() {
                        let Some(ky) = py.checked_sub((oy0 + r) * g.sh).filter(|&k| k < kh) else {
                            continue;
                        };
                        let tap = _mm512_set1_ps(kernel[ky * g.kw + kx]);
                        for (sum, &v) in sums.iter_mut().zip(&v) {
                            *sum = _mm512_fmadd_ps(tap, v, *sum);
                        }
                    }
                }
            }
            for (r, sums) in sums.iter().enumerate() {
                let oy = oy0 + r;
                if oy >= g.oh {
                    break;
                }
                for (s, (&sum, &mask)) in sums.iter().zip(&stores).enumerate() {
                    // SAFETY: lanes of output row oy inside it (the mask stops at its end).
                    unsafe { _mm512_mask_storeu_ps(dst.add(oy * g.ow + x0 + 16 * s), mask, sum) };
                }
            }
        }
    }
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
    fn every_path_convolves_a_plane_alike() {
        let best = fast_math::with_best_simd(|simd| simd);
        let paths: Vec<Simd> = [Simd::Baseline, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|&s| s != Simd::Avx512 || best == Simd::Avx512)
            .collect();
        // Kernels 5×5, 3×3, 1×3, 3×1; strides (1, 1), (2, 1), (1, 2); symmetric and
        // lopsided padding; widths around one, two and three vectors and past a block of
        // three; heights around the block of rows.
        for (h, wd) in [
            (9, 11),
            (6, 17),
            (5, 33),
            (1, 1),
            (12, 42),
            (3, 50),
            (7, 97),
        ] {
            let source: Vec<f32> = (0..h * wd).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
            for ((kh, kw), (sh, sw), [top, left, bottom, right]) in [
                ((5, 5), (1, 1), [2, 2, 2, 2]),
                ((5, 5), (2, 1), [2, 2, 2, 2]),
                ((5, 5), (1, 2), [2, 1, 2, 3]),
                ((3, 3), (1, 1), [0, 0, 0, 0]),
                ((1, 3), (1, 1), [0, 1, 0, 1]),
                ((3, 1), (2, 1), [1, 0, 1, 0]),
            ] {
                let padded = (h + top + bottom, wd + left + right);
                let Some(g) = Geometry::new(padded, (kh, kw), (sh, sw)) else {
                    continue;
                };
                let kernel: Vec<f32> = (0..kh * kw).map(|i| (i as f32 * 0.37).sin()).collect();
                let plane = Plane {
                    source: &source,
                    height: h,
                    width: wd,
                    kh,
                    top,
                    left,
                    bottom,
                };
                let run = |simd| {
                    let mut out = vec![0f32; g.oh * g.ow];
                    convolve_plane(&mut out, &plane, &kernel, g, &mut Vec::new(), simd);
                    out
                };
                let baseline = run(Simd::Baseline);
                for &simd in &paths {
                    assert!(
                        close(&run(simd), &baseline),
                        "{simd:?} {h}×{wd} k {kh}×{kw} s {sh}×{sw}"
                    );
                }
            }
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
