//! A CPU kernel for the network's 3×3 depthwise convolutions (padding 1, stride 1 or 2):
//! candle's generic grouped convolution runs one small convolution per channel and dominates
//! the forward pass; this direct loop, parallel over channels, replaces it.

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

struct Depthwise3x3 {
    stride: usize,
}

impl CustomOp2 for Depthwise3x3 {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(
        &self,
        input: &CpuStorage,
        input_layout: &Layout,
        weight: &CpuStorage,
        weight_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(input), CpuStorage::F32(weight)) = (input, weight) else {
            candle_core::bail!("depthwise3x3 takes f32 tensors");
        };
        let (Some((i0, i1)), Some((w0, w1))) = (
            input_layout.contiguous_offsets(),
            weight_layout.contiguous_offsets(),
        ) else {
            candle_core::bail!("depthwise3x3 takes contiguous tensors");
        };
        let (input, weight) = (&input[i0..i1], &weight[w0..w1]);
        let &[batch, channels, height, width] = input_layout.shape().dims() else {
            candle_core::bail!("depthwise3x3 input must be [batch, channels, height, width]");
        };
        if weight_layout.shape().dims() != [channels, 1, 3, 3] {
            candle_core::bail!("depthwise3x3 weight must be [channels, 1, 3, 3]");
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
                for oy in 0..out_h {
                    for ox in 0..out_w {
                        let mut sum = 0f32;
                        for ky in 0..3 {
                            let y = (oy * stride + ky) as isize - 1;
                            if y < 0 || y >= height as isize {
                                continue;
                            }
                            let row = &src[y as usize * width..(y as usize + 1) * width];
                            for kx in 0..3 {
                                let x = (ox * stride + kx) as isize - 1;
                                if x >= 0 && x < width as isize {
                                    sum += row[x as usize] * k[ky * 3 + kx];
                                }
                            }
                        }
                        out[oy * out_w + ox] = sum;
                    }
                }
            });
        Ok((
            CpuStorage::F32(output),
            Shape::from((batch, channels, out_h, out_w)),
        ))
    }
}

/// 3×3 depthwise convolution with padding 1: on the CPU by the kernel above, elsewhere by
/// candle's grouped convolution.
pub fn depthwise3x3(x: &Tensor, weight: &Tensor, stride: usize) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.contiguous()?
            .apply_op2_no_bwd(&weight.contiguous()?, &Depthwise3x3 { stride })
    } else {
        let channels = x.dim(1)?;
        x.conv2d(weight, 1, stride, 1, channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn matches_candles_grouped_convolution() {
        let device = Device::Cpu;
        let x = Tensor::rand(-1f32, 1f32, (1, 8, 13, 11), &device).unwrap();
        let w = Tensor::rand(-1f32, 1f32, (8, 1, 3, 3), &device).unwrap();
        for stride in [1, 2] {
            let ours = depthwise3x3(&x, &w, stride).unwrap();
            let reference = x.conv2d(&w, 1, stride, 1, 8).unwrap();
            assert_eq!(ours.dims(), reference.dims());
            let diff = (ours - reference)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(diff < 1e-5, "stride {stride}: {diff}");
        }
    }
}
