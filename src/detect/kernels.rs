//! CPU kernels for the network's hot spots besides 1×1 and depthwise convolutions, each
//! replacing candle's generic ops on the CPU only (candle's ops run on other devices):
//! - the stem's 3×3 convolution in bands of rows: im2col of whole shifted rows, a matrix
//!   product, bias and SiLU while the band is in cache;
//! - Focus (space-to-depth) in one pass instead of four strided copies and a concatenation;
//! - SPP's "same" max pooling as two one-dimensional passes (rows, then columns);
//! - the head's output rows written in place, objectness and class scores through the
//!   vectorised sigmoid, instead of sigmoids, concatenations and a transpose.

use super::fast_math;
use super::host::{Output, with_f32};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

/// A 3×3 convolution, padding 1, stride 1, plus `bias` (`[out]`), then SiLU when `act`: on the
/// CPU in bands of output rows, each an im2col matrix built from whole shifted rows (candle's
/// tiled im2col gathers element by element and builds the whole picture's at once) multiplied
/// by the weights and finished while it is in cache.
pub fn conv3x3(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    act: bool,
) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        let out_channels = weight.dim(0)?;
        let y = x.conv2d(weight, 1, 1, 1, 1)?.broadcast_add(&bias.reshape((
            1,
            out_channels,
            1,
            1,
        ))?)?;
        return if act { y.silu() } else { Ok(y) };
    }
    with_f32(&[x, weight, bias], |views| {
        let [(data, dims), (weights, weight_dims), (biases, _)] = views else {
            candle_core::bail!("conv3x3 takes an input, weights and biases");
        };
        let &[batch, channels, height, width] = *dims else {
            candle_core::bail!("conv3x3 input must be [batch, channels, height, width]");
        };
        let out_channels = weight_dims[0];
        if *weight_dims != [out_channels, channels, 3, 3] || biases.len() != out_channels {
            candle_core::bail!("conv3x3 weight {weight_dims:?} does not fit the input {dims:?}");
        }
        let (k, hw) = (channels * 9, height * width);
        let band_rows = (49_152 / k.max(out_channels) / width.max(1)).clamp(1, height.max(1));
        let bands = height.div_ceil(band_rows);
        let mut output = Output::new(batch * out_channels * hw);
        let out = output.ptr();
        (0..batch * bands)
            .into_par_iter()
            .for_each_init(Vec::new, |columns, task| {
                let (b, y0) = (task / bands, (task % bands) * band_rows);
                let rows = band_rows.min(height - y0);
                let cols = rows * width;
                columns.clear();
                columns.resize(k * cols, 0f32);
                im2col_band(data, (b, channels, height, width), y0, rows, columns);
                let base = b * out_channels * hw + y0 * width;
                // SAFETY: the output band (this picture's rows y0..y0 + rows of every output
                // channel, stride hw) is this task's alone; the weights are [out, k]
                // row-major and the band's im2col matrix [k, cols] row-major.
                unsafe {
                    gemm::gemm(
                        out_channels,
                        cols,
                        k,
                        out.at(base),
                        1,
                        hw as isize,
                        false,
                        weights.as_ptr(),
                        1,
                        k as isize,
                        columns.as_ptr(),
                        1,
                        cols as isize,
                        1.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                for (o, &bias) in biases.iter().enumerate() {
                    // SAFETY: this band's row of channel `o`, just written, this task's alone.
                    let row = unsafe { out.slice(base + o * hw, cols) };
                    fast_math::finish(row, bias, act, None);
                }
            });
        // SAFETY: the bands cover every row of every picture and output channel.
        unsafe { output.into_tensor((batch, out_channels, height, width)) }
    })
}

/// The im2col rows (channel, ky, kx) of output rows `y0..y0 + rows` of picture `b`, zero where
/// the window leaves the picture; `columns` is zeroed, `channels × 9` rows of `rows × width`.
fn im2col_band(
    data: &[f32],
    (b, channels, height, width): (usize, usize, usize, usize),
    y0: usize,
    rows: usize,
    columns: &mut [f32],
) {
    let hw = height * width;
    for (r, row) in columns.chunks_mut(rows * width).enumerate() {
        let (c, ky, kx) = (r / 9, (r % 9) / 3, r % 3);
        let src = &data[(b * channels + c) * hw..(b * channels + c + 1) * hw];
        for (dy, dst) in row.chunks_mut(width).enumerate() {
            let sy = (y0 + dy + ky) as isize - 1;
            if sy < 0 || sy >= height as isize {
                continue;
            }
            let src_row = &src[sy as usize * width..(sy as usize + 1) * width];
            // dst[x] = src_row[x + kx − 1]
            match kx {
                0 if width > 1 => dst[1..].copy_from_slice(&src_row[..width - 1]),
                1 => dst.copy_from_slice(src_row),
                2 if width > 1 => dst[..width - 1].copy_from_slice(&src_row[1..]),
                _ => {}
            }
        }
    }
}

/// Space-to-depth: the four pixel phases side by side in channels (top-left, bottom-left,
/// top-right, bottom-right), as YOLOX's Focus does; one pass on the CPU.
pub fn focus(x: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    let (h, w) = (height / 2, width / 2);
    const PHASES: [(usize, usize); 4] = [(0, 0), (1, 0), (0, 1), (1, 1)];
    if !x.device().is_cpu() {
        let x = x.reshape((batch, channels, h, 2, w, 2))?;
        let phases = PHASES
            .iter()
            .map(|&(row, col)| {
                x.narrow(3, row, 1)?
                    .narrow(5, col, 1)?
                    .reshape((batch, channels, h, w))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        return Tensor::cat(&phases, 1);
    }
    with_f32(&[x], |views| {
        let data = views[0].0;
        let mut output = Output::new(batch * 4 * channels * h * w);
        let out = output.ptr();
        (0..batch * 4 * channels).into_par_iter().for_each(|plane| {
            let (b, phase, c) = (
                plane / (4 * channels),
                (plane / channels) % 4,
                plane % channels,
            );
            let (dy, dx) = PHASES[phase];
            let src = &data[(b * channels + c) * height * width..][..height * width];
            // SAFETY: output plane `plane` (h × w values) is this task's alone.
            let dst = unsafe { out.slice(plane * h * w, h * w) };
            for (y, dst_row) in dst.chunks_mut(w.max(1)).enumerate() {
                let src_row = &src[(2 * y + dy) * width..];
                for (x, v) in dst_row.iter_mut().enumerate() {
                    *v = src_row[2 * x + dx];
                }
            }
        });
        // SAFETY: every output plane was written in full.
        unsafe { output.into_tensor((batch, 4 * channels, h, w)) }
    })
}

/// The network's output rows `[batch, Σ h·w, 85]` from each level's box regression and
/// objectness `[batch, 5, h, w]` (raw) and class logits `[batch, 80, h, w]`: box values as
/// they are, objectness and class scores through the sigmoid, levels one after the other.
pub fn head_rows(levels: &[(Tensor, Tensor)]) -> candle_core::Result<Tensor> {
    let Some((first, _)) = levels.first() else {
        candle_core::bail!("no head level");
    };
    if !first.device().is_cpu() {
        let outputs = levels
            .iter()
            .map(|(reg_obj, cls)| {
                let boxes = reg_obj.narrow(1, 0, 4)?;
                let obj = candle_nn::ops::sigmoid(&reg_obj.narrow(1, 4, 1)?)?;
                let cls = candle_nn::ops::sigmoid(cls)?;
                Tensor::cat(&[&boxes, &obj, &cls], 1)?.flatten_from(2)
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        return Tensor::cat(&outputs, 2)?.transpose(1, 2)?.contiguous();
    }
    let tensors: Vec<&Tensor> = levels.iter().flat_map(|(r, c)| [r, c]).collect();
    with_f32(&tensors, |views| {
        let batch = views[0].1[0];
        let mut sizes = Vec::with_capacity(levels.len());
        for pair in views.chunks(2) {
            let [(_, reg_dims), (_, cls_dims)] = pair else {
                candle_core::bail!("head levels come in pairs");
            };
            let hw: usize = reg_dims[2..].iter().product();
            if reg_dims[..2] != [batch, 5]
                || cls_dims[..2] != [batch, 80]
                || cls_dims[2..] != reg_dims[2..]
            {
                candle_core::bail!("head level shapes {reg_dims:?} and {cls_dims:?}");
            }
            sizes.push(hw);
        }
        let rows: usize = sizes.iter().sum();
        let mut output = Output::new(batch * rows * 85);
        let out = output.ptr();
        (0..batch).into_par_iter().for_each(|b| {
            // SAFETY: picture b's rows, this task's alone; every value is written below.
            let dst = unsafe { out.slice(b * rows * 85, rows * 85) };
            let mut row0 = 0;
            for (pair, &hw) in views.chunks(2).zip(&sizes) {
                let reg_obj = &pair[0].0[b * 5 * hw..(b + 1) * 5 * hw];
                let cls = &pair[1].0[b * 80 * hw..(b + 1) * 80 * hw];
                let level = &mut dst[row0 * 85..(row0 + hw) * 85];
                for (j, channel) in reg_obj.chunks(hw).chain(cls.chunks(hw)).enumerate() {
                    for (row, &v) in level.chunks_mut(85).zip(channel) {
                        row[j] = if j < 4 { v } else { fast_math::sigmoid(v) };
                    }
                }
                row0 += hw;
            }
        });
        // SAFETY: every row of every picture was written in full (85 channels).
        unsafe { output.into_tensor((batch, rows, 85)) }
    })
}

/// Max pooling of size `k` (odd), stride 1, "same" size: each output is the maximum of the
/// `k × k` window around it, clipped to the picture (as padding with −∞ gives).
struct SameMaxPool {
    k: usize,
}

impl CustomOp1 for SameMaxPool {
    fn name(&self) -> &'static str {
        "same-max-pool"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("same-max-pool takes f32 tensors");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("same-max-pool takes contiguous tensors");
        };
        let data = &data[start..end];
        let &[_, _, height, width] = layout.shape().dims() else {
            candle_core::bail!("same-max-pool input must be [batch, channels, height, width]");
        };
        let r = self.k / 2;
        let plane = (height * width).max(1);
        let mut output = vec![0f32; data.len()];
        output
            .par_chunks_mut(plane)
            .zip(data.par_chunks(plane))
            .for_each(|(out, src)| {
                let mut rows = vec![f32::NEG_INFINITY; plane];
                for y in 0..height {
                    for x in 0..width {
                        let (lo, hi) = (x.saturating_sub(r), (x + r).min(width - 1));
                        rows[y * width + x] = src[y * width + lo..=y * width + hi]
                            .iter()
                            .copied()
                            .fold(f32::NEG_INFINITY, f32::max);
                    }
                }
                for y in 0..height {
                    let (lo, hi) = (y.saturating_sub(r), (y + r).min(height - 1));
                    for x in 0..width {
                        out[y * width + x] = (lo..=hi)
                            .map(|yy| rows[yy * width + x])
                            .fold(f32::NEG_INFINITY, f32::max);
                    }
                }
            });
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }
}

/// "Same" max pooling of odd size `k`, stride 1.
pub fn same_max_pool(x: &Tensor, k: usize) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.contiguous()?.apply_op1_no_bwd(&SameMaxPool { k })
    } else {
        // Edge replication pads like −∞ would for a maximum: the value is already inside.
        let p = k / 2;
        let padded = x.pad_with_same(2, p, p)?.pad_with_same(3, p, p)?;
        padded.max_pool2d_with_stride(k, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn separable_max_pooling_matches_candles_padded_pooling() {
        let device = Device::Cpu;
        let x = Tensor::rand(-1f32, 1f32, (2, 3, 13, 11), &device).unwrap();
        for k in [5, 9, 13] {
            let p = k / 2;
            let padded = x
                .pad_with_same(2, p, p)
                .unwrap()
                .pad_with_same(3, p, p)
                .unwrap();
            let reference = padded.max_pool2d_with_stride(k, 1).unwrap();
            let ours = same_max_pool(&x, k).unwrap();
            assert_eq!(ours.dims(), reference.dims());
            assert_eq!(
                crate::detect::max_abs_diff(&ours, &reference),
                0.0,
                "k = {k}"
            );
        }
    }

    #[test]
    fn im2col_convolution_matches_candles() {
        let device = Device::Cpu;
        let x = Tensor::rand(-1f32, 1f32, (2, 12, 9, 7), &device).unwrap();
        let w = Tensor::rand(-1f32, 1f32, (16, 12, 3, 3), &device).unwrap();
        let b = Tensor::rand(-1f32, 1f32, (1, 16, 1, 1), &device).unwrap();
        let reference = x
            .conv2d(&w, 1, 1, 1, 1)
            .unwrap()
            .broadcast_add(&b)
            .unwrap()
            .silu()
            .unwrap();
        let ours = conv3x3(&x, &w, &b, true).unwrap();
        assert_eq!(ours.dims(), reference.dims());
        assert!(crate::detect::max_abs_diff(&ours, &reference) < 1e-4);
    }
}
