//! CPU kernels for the network's hot spots besides depthwise convolutions, each replacing
//! candle's generic op on the CPU only (candle's ops run on other devices):
//! - bias and SiLU after a convolution, fused into one in-place pass with the vectorised SiLU
//!   of [`super::fast_math`] (candle's broadcast add and SiLU each walk the whole tensor and
//!   call the scalar `expf`);
//! - the stem's 3×3 convolution as one matrix product over an im2col matrix of whole rows;
//! - SPP's "same" max pooling as two one-dimensional passes (rows, then columns).

use super::fast_math;
use candle_core::{CpuStorage, CustomOp1, InplaceOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

struct BiasThenSilu {
    act: bool,
}

impl InplaceOp2 for BiasThenSilu {
    fn name(&self) -> &'static str {
        "bias-silu"
    }

    fn cpu_fwd(
        &self,
        values: &mut CpuStorage,
        values_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(values), CpuStorage::F32(bias)) = (values, bias) else {
            candle_core::bail!("bias-silu takes f32 tensors");
        };
        let (Some((v0, v1)), Some((b0, b1))) = (
            values_layout.contiguous_offsets(),
            bias_layout.contiguous_offsets(),
        ) else {
            candle_core::bail!("bias-silu takes contiguous tensors");
        };
        let (values, bias) = (&mut values[v0..v1], &bias[b0..b1]);
        let &[_, channels, height, width] = values_layout.shape().dims() else {
            candle_core::bail!("bias-silu input must be [batch, channels, height, width]");
        };
        if bias.len() != channels {
            candle_core::bail!("bias-silu bias must have one value per channel");
        }
        values
            .par_chunks_mut((height * width).max(1))
            .enumerate()
            .for_each(|(index, plane)| {
                let b = bias[index % channels];
                if self.act {
                    fast_math::bias_silu(plane, b);
                } else {
                    plane.iter_mut().for_each(|v| *v += b);
                }
            });
        Ok(())
    }
}

/// `x + bias` (bias `[1, channels, 1, 1]`), then SiLU when `act`.
///
/// On the CPU this works in place: `x` must be a fresh result (a product just computed) whose
/// storage no other tensor shares.
pub fn bias_then(x: Tensor, bias: &Tensor, act: bool) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        let y = x.contiguous()?;
        y.inplace_op2(&bias.flatten_all()?.contiguous()?, &BiasThenSilu { act })?;
        Ok(y)
    } else {
        let y = x.broadcast_add(bias)?;
        if act { y.silu() } else { Ok(y) }
    }
}

/// A 3×3 convolution, padding 1, stride 1, plus `bias`, then SiLU when `act`: on the CPU a
/// 1×1 convolution over an im2col matrix built from whole shifted rows (candle's tiled im2col
/// gathers element by element).
pub fn conv3x3(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    act: bool,
) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        let y = x.conv2d(weight, 1, 1, 1, 1)?.broadcast_add(bias)?;
        return if act { y.silu() } else { Ok(y) };
    }
    let (batch, channels, height, width) = x.dims4()?;
    let (out_channels, _, _, _) = weight.dims4()?;
    let data: Vec<f32> = x.contiguous()?.flatten_all()?.to_vec1()?;
    let k = channels * 9;
    let hw = height * width;
    let mut columns = vec![0f32; batch * k * hw];
    columns
        .par_chunks_mut(hw)
        .enumerate()
        .for_each(|(row_index, row)| {
            let (b, r) = (row_index / k, row_index % k);
            let (c, ky, kx) = (r / 9, (r % 9) / 3, r % 3);
            let src = &data[(b * channels + c) * hw..(b * channels + c + 1) * hw];
            for y in 0..height {
                let sy = y as isize + ky as isize - 1;
                if sy < 0 || sy >= height as isize {
                    continue;
                }
                let src_row = &src[sy as usize * width..(sy as usize + 1) * width];
                let dst = &mut row[y * width..(y + 1) * width];
                // dst[x] = src_row[x + kx − 1]
                match kx {
                    0 => dst[1..].copy_from_slice(&src_row[..width - 1]),
                    1 => dst.copy_from_slice(src_row),
                    _ => dst[..width - 1].copy_from_slice(&src_row[1..]),
                }
            }
        });
    // A matrix product blocked for the cache: the im2col matrix (K = channels × 9 rows of a
    // whole picture) is far larger than the caches, which the product's packing handles.
    let columns = Tensor::from_vec(columns, (batch, k, hw), x.device())?;
    let y = weight
        .reshape((out_channels, k))?
        .broadcast_left(batch)?
        .matmul(&columns)?
        .reshape((batch, out_channels, height, width))?;
    bias_then(y, bias, act)
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
    fn fused_bias_and_silu_match_candles_ops() {
        let device = Device::Cpu;
        let x = Tensor::rand(-6f32, 6f32, (2, 5, 7, 3), &device).unwrap();
        let b = Tensor::rand(-1f32, 1f32, (1, 5, 1, 1), &device).unwrap();
        let sum = x.broadcast_add(&b).unwrap();
        assert!(
            crate::detect::max_abs_diff(&bias_then(x.copy().unwrap(), &b, false).unwrap(), &sum)
                < 1e-6
        );
        assert!(
            crate::detect::max_abs_diff(
                &bias_then(x.copy().unwrap(), &b, true).unwrap(),
                &sum.silu().unwrap()
            ) < 1e-5
        );
    }

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
