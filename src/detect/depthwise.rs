//! A CPU kernel for the network's 3×3 depthwise convolutions (padding 1, stride 1 or 2) with
//! their bias and SiLU fused in: candle's generic grouped convolution runs one small
//! convolution per channel and dominated the forward pass. Each plane is copied once inside a
//! border of zeros (stride 2 also splits each row into its even and odd samples), so that an
//! output row is nine multiply-adds over contiguous slices, which the compiler vectorises for
//! the processor's widest instructions; channels run in parallel.

use super::fast_math::{self, Act, Simd};
use super::host::{self, Output};
use super::team;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use std::mem::MaybeUninit;

struct Depthwise3x3 {
    stride: usize,
    act: Act,
}

/// The contiguous f32 data of a tensor's storage.
fn contiguous<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("depthwise3x3 takes f32 tensors ({what})");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("depthwise3x3 takes contiguous tensors ({what})");
    };
    Ok(&data[start..end])
}

impl CustomOp3 for Depthwise3x3 {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(
        &self,
        input: &CpuStorage,
        input_layout: &Layout,
        weight: &CpuStorage,
        weight_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = contiguous(input, input_layout, "input")?;
        let weight = contiguous(weight, weight_layout, "weight")?;
        let bias = contiguous(bias, bias_layout, "bias")?;
        let &[batch, channels, height, width] = input_layout.shape().dims() else {
            candle_core::bail!("depthwise3x3 input must be [batch, channels, height, width]");
        };
        if weight_layout.shape().dims() != [channels, 1, 3, 3] || bias.len() != channels {
            candle_core::bail!("depthwise3x3 weight must be [channels, 1, 3, 3], bias [channels]");
        }
        if height == 0 || width == 0 {
            candle_core::bail!("depthwise3x3 input is empty");
        }
        let stride = self.stride;
        let out_h = (height + 2 - 3) / stride + 1;
        let out_w = (width + 2 - 3) / stride + 1;
        let mut output = Output::new(batch * channels * out_h * out_w);
        let out = output.ptr();
        let simd = fast_math::with_best_simd(|simd| simd);
        // Several planes a task: a small plane (13×13) is less work than taking a task from
        // the other thread's cache; eight tasks a thread keep the threads even.
        let planes = batch * channels;
        let per_task = planes.div_ceil(8 * team::current_threads()).max(1);
        team::for_each_init(planes.div_ceil(per_task), Vec::new, |scratch, task| {
            for plane in task * per_task..planes.min((task + 1) * per_task) {
                let c = plane % channels;
                let src = &input[plane * height * width..(plane + 1) * height * width];
                let mut k = [0f32; 9];
                k.copy_from_slice(&weight[c * 9..c * 9 + 9]);
                // SAFETY: output plane `plane` is this task's alone.
                let dst = unsafe { out.uninit(plane * out_h * out_w, out_h * out_w) };
                let filter = Filter {
                    k,
                    bias: bias[c],
                    act: self.act,
                    stride,
                };
                convolve_plane(dst, src, width, &filter, scratch, simd);
            }
        });
        // SAFETY: every output plane was written in full.
        let shape = Shape::from((batch, channels, out_h, out_w));
        Ok((CpuStorage::F32(unsafe { output.into_vec() }), shape))
    }
}

/// One channel's 3×3 filter, its bias and activation, and the stride.
struct Filter {
    k: [f32; 9],
    bias: f32,
    act: Act,
    stride: usize,
}

/// One plane (`src`, rows of `width`) convolved by `filter` into `dst`, all of it written, with
/// the instructions `simd` names: with AVX-512 straight from the plane (masked loads stand for
/// the border of zeros, even and odd samples are picked by permutes) with the bias and the
/// activation applied in registers; otherwise through a padded copy and a finishing pass.
fn convolve_plane(
    dst: &mut [MaybeUninit<f32>],
    src: &[f32],
    width: usize,
    filter: &Filter,
    scratch: &mut Vec<f32>,
    simd: Simd,
) {
    let height = src.len() / width;
    let (out_h, out_w) = (
        (height - 1) / filter.stride + 1,
        (width - 1) / filter.stride + 1,
    );
    assert!(
        width > 0 && src.len() == height * width && dst.len() == out_h * out_w,
        "depthwise plane sizes"
    );
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx512 {
        let plane = Plane { src, height, width };
        // SAFETY: `Simd::Avx512` is only handed out where the processor has AVX-512F; the
        // sizes were checked just above.
        unsafe {
            match (filter.stride, filter.act) {
                (1, Act::Silu) => x86::direct::<1>(dst, &plane, filter, Act::Silu),
                (1, Act::Sigmoid) => x86::direct::<1>(dst, &plane, filter, Act::Sigmoid),
                (1, Act::Linear) => x86::direct::<1>(dst, &plane, filter, Act::Linear),
                (_, Act::Silu) => x86::direct::<2>(dst, &plane, filter, Act::Silu),
                (_, Act::Sigmoid) => x86::direct::<2>(dst, &plane, filter, Act::Sigmoid),
                (_, Act::Linear) => x86::direct::<2>(dst, &plane, filter, Act::Linear),
            }
        }
        return;
    }
    fast_math::with_best_simd(
        #[inline(always)]
        |_| {
            if filter.stride == 1 {
                plane_stride1(dst, src, width, &filter.k, scratch, simd);
            } else {
                plane_stride2(dst, src, width, &filter.k, scratch, simd);
            }
        },
    );
    // SAFETY: the taps wrote every value of the plane.
    let dst = unsafe { host::assume_init(dst) };
    fast_math::finish(dst, filter.bias, filter.act, None);
}

/// A plane of the input: `height` rows of `width` values.
#[cfg(target_arch = "x86_64")]
struct Plane<'a> {
    src: &'a [f32],
    height: usize,
    width: usize,
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The AVX-512 kernel that reads the plane in place.

    use super::{Act, Filter, MaybeUninit, Plane, fast_math};
    use fast_math::lanes16;
    use std::arch::x86_64::*;

    /// The plane convolved with padding 1 and stride `S` (1 or 2), `act(sum + bias)` stored.
    /// Column strips of 16 outputs outside, rows inside: a strip's load masks (the border of
    /// zeros, the plane's right edge) are computed once; each of the window's rows has its
    /// own sum, so that the three short chains of multiply-adds overlap.
    ///
    /// # Safety
    /// AVX-512F is present; `dst` holds the output plane of `plane` at this stride.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn direct<const S: usize>(
        dst: &mut [MaybeUninit<f32>],
        plane: &Plane,
        filter: &Filter,
        act: Act,
    ) {
        let Plane { src, height, width } = *plane;
        let (out_h, out_w) = ((height - 1) / S + 1, (width - 1) / S + 1);
        let k = filter.k.map(|k| _mm512_set1_ps(k));
        let bias = _mm512_set1_ps(filter.bias);
        // Lane l of the even (odd) pick is lane 2l (2l + 1) of two vectors side by side.
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        let out = dst.as_mut_ptr().cast::<f32>();
        let src = src.as_ptr();
        for x0 in (0..out_w).step_by(16) {
            // The loads of a row: (first input column, mask of the lanes inside the row).
            // Stride 1: inputs x − 1, x, x + 1; stride 2: inputs 2x − 1 .. 2x + 15 and 2x + 15
            // .. 2x + 31 (even and odd picks give 2x − 1 and 2x), then the same from 2x + 1.
            let starts: [isize; 4] = if S == 1 {
                let x = x0 as isize;
                [x - 1, x, x + 1, 0]
            } else {
                let base = 2 * x0 as isize - 1;
                [base, base + 16, base + 2, base + 18]
            };
            let masks = starts.map(|start| lanes16(-start, width as isize - start));
            let store = lanes16(0, (out_w - x0) as isize);
            for y in 0..out_h {
                let mut sums = [bias, _mm512_setzero_ps(), _mm512_setzero_ps()];
                for (dy, sum) in sums.iter_mut().enumerate() {
                    let Some(iy) = (y * S + dy).checked_sub(1).filter(|&iy| iy < height) else {
                        continue;
                    };
                    let row = src.wrapping_add(iy * width);
                    // SAFETY: masked lanes are not read; the others lie inside input row iy.
                    let load = |i: usize| unsafe {
                        _mm512_maskz_loadu_ps(masks[i], row.wrapping_offset(starts[i]))
                    };
                    let taps = if S == 1 {
                        [load(0), load(1), load(2)]
                    } else {
                        let (a, b, c, d) = (load(0), load(1), load(2), load(3));
                        [
                            _mm512_permutex2var_ps(a, even, b),
                            _mm512_permutex2var_ps(a, odd, b),
                            _mm512_permutex2var_ps(c, even, d),
                        ]
                    };
                    for (dx, tap) in taps.into_iter().enumerate() {
                        *sum = _mm512_fmadd_ps(k[3 * dy + dx], tap, *sum);
                    }
                }
                let sum = _mm512_add_ps(_mm512_add_ps(sums[0], sums[1]), sums[2]);
                // SAFETY: lanes x0.. of output row y that lie inside it, this plane's alone.
                unsafe {
                    _mm512_mask_storeu_ps(
                        out.add(y * out_w + x0),
                        store,
                        fast_math::act16(act, sum),
                    )
                };
            }
        }
    }
}

/// Where a 3×3 window's nine taps lie in a prepared plane: output row `r` value `i` is
/// `Σ k[j]·src[r·row_stride + offsets[j] + i]`, for `rows` rows of `width` values.
struct Taps {
    rows: usize,
    width: usize,
    row_stride: usize,
    offsets: [usize; 9],
}

/// Computes every output row of `taps` into `out` (`rows × width`), writing all of it (or
/// nothing when the taps lie outside `src`: then the kernel's bounds are wrong and it panics).
#[inline(always)]
fn nine_taps(out: &mut [MaybeUninit<f32>], src: &[f32], taps: &Taps, k: &[f32; 9], simd: Simd) {
    let Taps {
        rows,
        width,
        row_stride,
        offsets,
    } = *taps;
    let furthest = offsets.iter().max().copied().unwrap_or(0);
    assert!(
        rows > 0 && (rows - 1) * row_stride + furthest + width <= src.len(),
        "depthwise taps outside the plane"
    );
    assert_eq!(out.len(), rows * width, "depthwise output size");
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx512 {
        // SAFETY: `Simd::Avx512` is only handed out where the processor has AVX-512F; the
        // bounds were checked just above.
        unsafe { nine_taps_avx512(out, src, taps, k) };
        return;
    }
    for (r, out_row) in out.chunks_exact_mut(width).take(rows).enumerate() {
        let t = offsets.map(|o| &src[r * row_stride + o..][..width]);
        for (i, o) in out_row.iter_mut().enumerate() {
            let mut acc = 0.0;
            for (k, t) in k.iter().zip(&t) {
                acc = if simd.has_fma() {
                    k.mul_add(t[i], acc)
                } else {
                    acc + k * t[i]
                };
            }
            o.write(acc);
        }
    }
}

/// The same, 16 lanes at a time with a masked last step: rows here are short (13 to 208
/// values), so a scalar remainder after the vector loop would cost as much as the loop.
///
/// # Safety
/// The processor has AVX-512F; `src` and `out` hold every row of `taps` (checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn nine_taps_avx512(out: &mut [MaybeUninit<f32>], src: &[f32], taps: &Taps, k: &[f32; 9]) {
    use std::arch::x86_64::*;
    let mut kv = [_mm512_setzero_ps(); 9];
    for (v, &k) in kv.iter_mut().zip(k) {
        *v = _mm512_set1_ps(k);
    }
    let (src, dst) = (src.as_ptr(), out.as_mut_ptr().cast::<f32>());
    for r in 0..taps.rows {
        let row = src.wrapping_add(r * taps.row_stride);
        let out_row = dst.wrapping_add(r * taps.width);
        let mut i = 0;
        while i < taps.width {
            let left = taps.width - i;
            let mask: __mmask16 = if left >= 16 {
                0xffff
            } else {
                (1u16 << left) - 1
            };
            // SAFETY: the mask keeps loads and stores to this row's values i..min(i + 16,
            // width), which the caller checked lie inside `src` and `out`.
            unsafe {
                let mut acc = _mm512_setzero_ps();
                for (k, &offset) in kv.iter().zip(&taps.offsets) {
                    let v = _mm512_maskz_loadu_ps(mask, row.add(offset + i));
                    acc = _mm512_fmadd_ps(*k, v, acc);
                }
                _mm512_mask_storeu_ps(out_row.add(i), mask, acc);
            }
            i += 16;
        }
    }
}

/// The plane surrounded by a border of zeros, `(height + 2) × (width + 2)`, into `padded`.
#[inline(always)]
fn pad(src: &[f32], width: usize, padded: &mut Vec<f32>) {
    let height = src.len() / width;
    padded.clear();
    padded.resize((height + 2) * (width + 2), 0.0);
    for (y, row) in src.chunks_exact(width).enumerate() {
        padded[(y + 1) * (width + 2) + 1..][..width].copy_from_slice(row);
    }
}

/// Stride 1: output row y from padded rows y, y + 1, y + 2 at offsets 0, 1, 2.
#[inline(always)]
fn plane_stride1(
    out: &mut [MaybeUninit<f32>],
    src: &[f32],
    width: usize,
    k: &[f32; 9],
    scratch: &mut Vec<f32>,
    simd: Simd,
) {
    pad(src, width, scratch);
    let pw = width + 2;
    let taps = Taps {
        rows: src.len() / width,
        width,
        row_stride: pw,
        offsets: [0, 1, 2, pw, pw + 1, pw + 2, 2 * pw, 2 * pw + 1, 2 * pw + 2],
    };
    nine_taps(out, scratch, &taps, k, simd);
}

/// Stride 2: each padded row split once into its even and odd samples, so that output x reads
/// even[x], odd[x], even[x + 1] of padded rows 2y, 2y + 1, 2y + 2: contiguous slices.
#[inline(always)]
fn plane_stride2(
    out: &mut [MaybeUninit<f32>],
    src: &[f32],
    width: usize,
    k: &[f32; 9],
    scratch: &mut Vec<f32>,
    simd: Simd,
) {
    let height = src.len() / width;
    let out_w = (width - 1) / 2 + 1;
    let ph = height + 2;
    // Per padded row: out_w + 1 even samples, then out_w + 1 odd ones (the last may be a pad).
    let split = 2 * (out_w + 1);
    scratch.clear();
    scratch.resize(ph * split, 0.0);
    for y in 0..height {
        let row = &src[y * width..(y + 1) * width];
        let (even, odd) = scratch[(y + 1) * split..(y + 2) * split].split_at_mut(out_w + 1);
        // padded[j] = row[j − 1]: even[x] = padded[2x] = row[2x − 1], odd[x] = row[2x].
        let pairs = row.chunks_exact(2);
        if let [last] = pairs.remainder() {
            odd[width / 2] = *last;
        }
        for ((pair, o), e) in pairs.zip(odd.iter_mut()).zip(&mut even[1..]) {
            *o = pair[0];
            *e = pair[1];
        }
    }
    // Output row y reads padded rows 2y + dy: even[x], odd[x], even[x + 1] of each.
    let (e, o) = (0, out_w + 1);
    let taps = Taps {
        rows: out.len() / out_w,
        width: out_w,
        row_stride: 2 * split,
        offsets: [
            e,
            o,
            e + 1,
            split + e,
            split + o,
            split + e + 1,
            2 * split + e,
            2 * split + o,
            2 * split + e + 1,
        ],
    };
    nine_taps(out, scratch, &taps, k, simd);
}

/// 3×3 depthwise convolution with padding 1, plus `bias` (`[channels]`), then `act`: on the
/// CPU by the kernel above, elsewhere by candle's grouped convolution.
pub fn depthwise3x3(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
    act: Act,
) -> candle_core::Result<Tensor> {
    if host::native(x.device()) {
        x.contiguous()?.apply_op3_no_bwd(
            &weight.contiguous()?,
            &bias.flatten_all()?.contiguous()?,
            &Depthwise3x3 { stride, act },
        )
    } else {
        with_candle_ops(x, weight, bias, stride, act)
    }
}

/// The same with candle's ops (other devices).
fn with_candle_ops(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
    act: Act,
) -> candle_core::Result<Tensor> {
    let channels = x.dim(1)?;
    let y = x
        .conv2d(weight, 1, stride, 1, channels)?
        .broadcast_add(&bias.reshape((1, channels, 1, 1))?)?;
    act.on_tensor(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn every_instruction_set_gives_the_same_taps() {
        let src: Vec<f32> = (0..40 * 23)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let k = [0.5, -1.0, 0.25, 2.0, 1.0, -0.5, 0.125, 0.75, -2.0];
        // 19 values a row (one vector and a remainder), rows 23 apart, the window's taps
        // one and two rows down.
        let taps = Taps {
            rows: 37,
            width: 19,
            row_stride: 23,
            offsets: [0, 1, 2, 23, 24, 25, 46, 47, 48],
        };
        let run = |simd| {
            let mut out = vec![MaybeUninit::uninit(); 37 * 19];
            nine_taps(&mut out, &src, &taps, &k, simd);
            // SAFETY: the taps write every value.
            unsafe { host::assume_init(&mut out) }.to_vec()
        };
        let baseline = run(Simd::Baseline);
        let mut want = vec![0f32; 37 * 19];
        for r in 0..37 {
            for i in 0..19 {
                want[r * 19 + i] = (0..9)
                    .map(|j| k[j] * src[r * 23 + taps.offsets[j] + i])
                    .sum();
            }
        }
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-5);
        assert!(close(&baseline, &want));
        assert!(close(&run(Simd::Avx2), &want));
        let best = fast_math::with_best_simd(run);
        assert!(close(&best, &want));
    }

    /// `act(Σ taps + bias)` by the definition, padding 1, in double precision.
    fn plain_plane(src: &[f32], h: usize, w: usize, f: &Filter) -> Vec<f32> {
        let (out_h, out_w) = ((h - 1) / f.stride + 1, (w - 1) / f.stride + 1);
        let mut out = Vec::new();
        for y in 0..out_h {
            for x in 0..out_w {
                let mut sum = f64::from(f.bias);
                for dy in 0..3 {
                    for dx in 0..3 {
                        let (iy, ix) = (y * f.stride + dy, x * f.stride + dx);
                        if (1..=h).contains(&iy) && (1..=w).contains(&ix) {
                            sum +=
                                f64::from(f.k[3 * dy + dx]) * f64::from(src[(iy - 1) * w + ix - 1]);
                        }
                    }
                }
                out.push(match f.act {
                    Act::Linear => sum as f32,
                    Act::Silu => (sum / (1.0 + (-sum).exp())) as f32,
                    Act::Sigmoid => (1.0 / (1.0 + (-sum).exp())) as f32,
                });
            }
        }
        out
    }

    #[test]
    fn every_path_convolves_a_plane_as_the_definition_says() {
        let best = fast_math::with_best_simd(|simd| simd);
        let paths: Vec<Simd> = [Simd::Baseline, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|&s| s != Simd::Avx512 || best == Simd::Avx512)
            .collect();
        eprintln!("depthwise paths run here: {paths:?}");
        let mut scratch = Vec::new();
        // Widths around one and two vectors, odd and even, down to a single value.
        for (h, w) in [
            (1, 1),
            (2, 3),
            (5, 15),
            (7, 16),
            (4, 17),
            (13, 13),
            (9, 33),
            (3, 40),
        ] {
            let src: Vec<f32> = (0..h * w)
                .map(|i| ((i * 7919) % 101) as f32 / 25.0 - 2.0)
                .collect();
            for (stride, act) in [(1, Act::Silu), (2, Act::Silu), (1, Act::Linear)]
                .into_iter()
                .chain([(2, Act::Sigmoid)])
            {
                let filter = Filter {
                    k: [0.5, -1.0, 0.25, 2.0, 1.0, -0.5, 0.125, 0.75, -2.0],
                    bias: 0.3,
                    act,
                    stride,
                };
                let want = plain_plane(&src, h, w, &filter);
                for &simd in &paths {
                    let mut out = vec![MaybeUninit::uninit(); want.len()];
                    convolve_plane(&mut out, &src, w, &filter, &mut scratch, simd);
                    // SAFETY: the plane is written in full.
                    let got = unsafe { host::assume_init(&mut out) };
                    for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                        assert!(
                            (g - e).abs() < 1e-5 * e.abs().max(1.0),
                            "{simd:?} {h}×{w} stride {stride} {act:?} at {i}: {g} vs {e}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn matches_candles_grouped_convolution_with_bias_and_silu() {
        let device = Device::Cpu;
        for (h, w) in [(13, 11), (8, 8), (1, 1), (2, 3)] {
            let x = Tensor::rand(-1f32, 1f32, (2, 8, h, w), &device).unwrap();
            let k = Tensor::rand(-1f32, 1f32, (8, 1, 3, 3), &device).unwrap();
            let b = Tensor::rand(-1f32, 1f32, 8, &device).unwrap();
            for stride in [1, 2] {
                for act in [Act::Linear, Act::Silu] {
                    let ours = depthwise3x3(&x, &k, &b, stride, act).unwrap();
                    // Candle's ops, as on other devices, on the CPU.
                    let reference = with_candle_ops(&x, &k, &b, stride, act).unwrap();
                    assert_eq!(ours.dims(), reference.dims());
                    let diff = crate::detect::max_abs_diff(&ours, &reference);
                    assert!(diff < 1e-5, "{h}×{w} stride {stride} {act:?}: {diff}");
                }
            }
        }
    }
}
