//! A CPU kernel for the network's 3×3 depthwise convolutions (padding 1, stride 1 or 2) with
//! their bias and SiLU fused in: candle's generic grouped convolution runs one small
//! convolution per channel and dominated the forward pass. Rows are computed as three shifted
//! slices per kernel row (stride 2 first splits a row into its even and odd samples), which the
//! compiler vectorises; channels run in parallel.

use super::fast_math;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

struct Depthwise3x3 {
    stride: usize,
    act: bool,
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
        let mut output = vec![0f32; batch * channels * out_h * out_w];
        output
            .par_chunks_mut(out_h * out_w)
            .enumerate()
            .for_each(|(plane, out)| {
                let c = plane % channels;
                let src = &input[plane * height * width..(plane + 1) * height * width];
                let k = &weight[c * 9..c * 9 + 9];
                let mut scratch = Vec::new();
                for (oy, out_row) in out.chunks_mut(out_w).enumerate() {
                    for ky in 0..3 {
                        let y = (oy * stride + ky) as isize - 1;
                        if y < 0 || y >= height as isize {
                            continue;
                        }
                        let row = &src[y as usize * width..(y as usize + 1) * width];
                        let taps = [k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]];
                        if stride == 1 {
                            row_stride1(out_row, row, taps);
                        } else {
                            row_stride2(out_row, row, taps, &mut scratch);
                        }
                    }
                    if self.act {
                        fast_math::bias_silu(out_row, bias[c]);
                    } else {
                        out_row.iter_mut().for_each(|v| *v += bias[c]);
                    }
                }
            });
        Ok((
            CpuStorage::F32(output),
            Shape::from((batch, channels, out_h, out_w)),
        ))
    }
}

/// `out[x] += k0·row[x−1] + k1·row[x] + k2·row[x+1]`, zero beyond the row's ends.
fn row_stride1(out: &mut [f32], row: &[f32], [k0, k1, k2]: [f32; 3]) {
    let w = row.len();
    if w == 1 {
        out[0] += k1 * row[0];
        return;
    }
    out[0] += k1 * row[0] + k2 * row[1];
    fast_math::three_taps(
        &mut out[1..w - 1],
        &row[..w - 2],
        &row[1..w - 1],
        &row[2..],
        k0,
        k1,
        k2,
    );
    out[w - 1] += k0 * row[w - 2] + k1 * row[w - 1];
}

/// `out[x] += k0·row[2x−1] + k1·row[2x] + k2·row[2x+1]`, zero beyond the row's ends.
fn row_stride2(out: &mut [f32], row: &[f32], [k0, k1, k2]: [f32; 3], scratch: &mut Vec<f32>) {
    let out_w = out.len();
    // scratch = [even | shifted odd]: even[x] = row[2x]; shifted[0] = 0 and
    // shifted[x + 1] = row[2x + 1] (0 past the end), so row[2x − 1] = shifted[x].
    scratch.clear();
    scratch.resize(2 * out_w + 1, 0.0);
    let (even, shifted) = scratch.split_at_mut(out_w);
    for x in 0..out_w {
        even[x] = row[2 * x];
        if let Some(&odd) = row.get(2 * x + 1) {
            shifted[x + 1] = odd;
        }
    }
    fast_math::three_taps(out, &shifted[..out_w], even, &shifted[1..], k0, k1, k2);
}

/// 3×3 depthwise convolution with padding 1, plus `bias` (`[1, channels, 1, 1]`), then SiLU
/// when `act`: on the CPU by the kernel above, elsewhere by candle's grouped convolution.
pub fn depthwise3x3(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
    act: bool,
) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.contiguous()?.apply_op3_no_bwd(
            &weight.contiguous()?,
            &bias.flatten_all()?.contiguous()?,
            &Depthwise3x3 { stride, act },
        )
    } else {
        let channels = x.dim(1)?;
        let y = x
            .conv2d(weight, 1, stride, 1, channels)?
            .broadcast_add(bias)?;
        if act { y.silu() } else { Ok(y) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn matches_candles_grouped_convolution_with_bias_and_silu() {
        let device = Device::Cpu;
        for (h, w) in [(13, 11), (8, 8), (1, 1), (2, 3)] {
            let x = Tensor::rand(-1f32, 1f32, (2, 8, h, w), &device).unwrap();
            let k = Tensor::rand(-1f32, 1f32, (8, 1, 3, 3), &device).unwrap();
            let b = Tensor::rand(-1f32, 1f32, (1, 8, 1, 1), &device).unwrap();
            for stride in [1, 2] {
                for act in [false, true] {
                    let ours = depthwise3x3(&x, &k, &b, stride, act).unwrap();
                    let mut reference = x
                        .conv2d(&k, 1, stride, 1, 8)
                        .unwrap()
                        .broadcast_add(&b)
                        .unwrap();
                    if act {
                        reference = reference.silu().unwrap();
                    }
                    assert_eq!(ours.dims(), reference.dims());
                    let diff = crate::detect::max_abs_diff(&ours, &reference);
                    assert!(diff < 1e-5, "{h}×{w} stride {stride} act {act}: {diff}");
                }
            }
        }
    }
}
