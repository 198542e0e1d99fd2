//! SPP's max pooling and the PAFPN's nearest upsampling on the CPU. Max pooling of size 5, 9
//! and 13 ("same", stride 1) is computed as size 5 applied once, twice and three times, which
//! gives exactly the same maxima (the windows compose, clipped to the picture alike); each
//! pass is separable, rows then columns, as shifted whole-slice maxima that the compiler
//! vectorises. Other devices run candle's ops.

use super::fast_math;
use super::host::{self, Output, with_f32};
use super::team;
use candle_core::Tensor;
use std::mem::MaybeUninit;

/// `values[i] = max(values[i], other[i])` over the shorter.
#[inline(always)]
fn max_into(values: &mut [f32], other: &[f32]) {
    for (v, o) in values.iter_mut().zip(other) {
        *v = v.max(*o);
    }
}

/// One plane's "same" max pooling of radius `r`, stride 1: rows into `rows`, then columns
/// into `out` (all of it written).
#[inline(always)]
fn pool_plane(
    src: &[f32],
    out: &mut [MaybeUninit<f32>],
    width: usize,
    r: usize,
    rows: &mut Vec<f32>,
) {
    let height = src.len() / width;
    rows.clear();
    rows.extend_from_slice(src);
    for d in 1..=r.min(width - 1) {
        for (dst, row) in rows.chunks_exact_mut(width).zip(src.chunks_exact(width)) {
            max_into(&mut dst[..width - d], &row[d..]);
            max_into(&mut dst[d..], &row[..width - d]);
        }
    }
    for (o, &v) in out.iter_mut().zip(rows.iter()) {
        o.write(v);
    }
    // SAFETY: written just above (`out` is as long as the plane).
    let out = unsafe { host::assume_init(out) };
    for d in 1..=r.min(height - 1) {
        let n = (height - d) * width;
        max_into(&mut out[..n], &rows[d * width..]);
        max_into(&mut out[d * width..], &rows[..n]);
    }
}

/// "Same" max pooling of odd size `k`, stride 1 (edges clipped, as padding with −∞ gives).
pub fn same_max_pool(x: &Tensor, k: usize) -> candle_core::Result<Tensor> {
    if !host::native(x.device()) {
        return max_pool_with_candle_ops(x, k);
    }
    let (batch, channels, height, width) = x.dims4()?;
    if height == 0 || width == 0 {
        return Ok(x.clone());
    }
    with_f32(&[x], |views| {
        let data = views[0].0;
        let plane = height * width;
        let mut output = Output::new(data.len());
        let out = output.ptr();
        team::for_each_init(batch * channels, Vec::new, |rows, index| {
            let src = &data[index * plane..(index + 1) * plane];
            // SAFETY: output plane `index` is this task's alone.
            let dst = unsafe { out.uninit(index * plane, plane) };
            fast_math::with_best_simd(
                #[inline(always)]
                |_| pool_plane(src, dst, width, k / 2, rows),
            );
        });
        // SAFETY: every plane was written in full.
        unsafe { output.into_tensor((batch, channels, height, width)) }
    })
}

/// The same with candle's ops (other devices): edge replication pads like −∞ would for a
/// maximum, the value being already inside the window.
fn max_pool_with_candle_ops(x: &Tensor, k: usize) -> candle_core::Result<Tensor> {
    let p = k / 2;
    let padded = x.pad_with_same(2, p, p)?.pad_with_same(3, p, p)?;
    padded.max_pool2d_with_stride(k, 1)
}

/// SPP's three poolings of `x`: sizes 5, 9 and 13.
pub fn spp_pools(x: &Tensor) -> candle_core::Result<[Tensor; 3]> {
    let p5 = same_max_pool(x, 5)?;
    let p9 = same_max_pool(&p5, 5)?;
    let p13 = same_max_pool(&p9, 5)?;
    Ok([p5, p9, p13])
}

/// Nearest-neighbour upsampling by 2 in both directions.
pub fn upsample2(x: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    if !host::native(x.device()) {
        return x.upsample_nearest2d(2 * height, 2 * width);
    }
    with_f32(&[x], |views| {
        let data = views[0].0;
        let (plane, out_plane) = (height * width, 4 * height * width);
        let mut output = Output::new(batch * channels * out_plane);
        let out = output.ptr();
        team::for_each(batch * channels, |index| {
            let src = &data[index * plane..(index + 1) * plane];
            // SAFETY: output plane `index` is this task's alone, written in full below.
            let dst = unsafe { out.slice(index * out_plane, out_plane) };
            fast_math::with_best_simd(
                #[inline(always)]
                |_| {
                    for (row, pair) in src.chunks_exact(width).zip(dst.chunks_exact_mut(4 * width))
                    {
                        let (top, bottom) = pair.split_at_mut(2 * width);
                        for (two, &v) in top.chunks_exact_mut(2).zip(row) {
                            two[0] = v;
                            two[1] = v;
                        }
                        bottom.copy_from_slice(top);
                    }
                },
            );
        });
        // SAFETY: every output plane was written in full.
        unsafe { output.into_tensor((batch, channels, 2 * height, 2 * width)) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn separable_and_cascaded_pooling_match_candles_padded_pooling() {
        let x = Tensor::rand(-1f32, 1f32, (2, 3, 13, 11), &Device::Cpu).unwrap();
        let cascade = spp_pools(&x).unwrap();
        for (k, cascaded) in [5, 9, 13].into_iter().zip(&cascade) {
            let reference = max_pool_with_candle_ops(&x, k).unwrap();
            let direct = same_max_pool(&x, k).unwrap();
            assert_eq!(direct.dims(), reference.dims());
            assert_eq!(
                crate::detect::max_abs_diff(&direct, &reference),
                0.0,
                "k = {k}"
            );
            assert_eq!(
                crate::detect::max_abs_diff(cascaded, &reference),
                0.0,
                "k = {k}"
            );
        }
        let one = Tensor::rand(-1f32, 1f32, (1, 2, 1, 1), &Device::Cpu).unwrap();
        let pooled = same_max_pool(&one, 13).unwrap();
        assert_eq!(crate::detect::max_abs_diff(&pooled, &one), 0.0);
    }

    #[test]
    fn upsampling_matches_candles() {
        let x = Tensor::rand(-1f32, 1f32, (2, 3, 5, 7), &Device::Cpu).unwrap();
        let ours = upsample2(&x).unwrap();
        let reference = x.upsample_nearest2d(10, 14).unwrap();
        assert_eq!(ours.dims(), reference.dims());
        assert_eq!(crate::detect::max_abs_diff(&ours, &reference), 0.0);
    }
}
