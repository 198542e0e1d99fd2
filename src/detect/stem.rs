//! The network's stem on the CPU: Focus (space-to-depth) in one pass instead of four strided
//! copies and a concatenation, and the 3×3 convolution after it as one matrix product per
//! output row that reads the shifted rows of the zero-padded input in place (no im2col copy),
//! finished (bias, SiLU) by the product kernel (candle's im2col gathers element by element,
//! for the whole picture at once).
//! Other devices run candle's ops.

use super::fast_math::{self, Act};
use super::host::{self, Output, with_f32};
use super::pointwise::band_product;
use super::product::{Finish, RowsOfB};
use super::team;
use candle_core::Tensor;
use std::mem::MaybeUninit;

/// Focus's phase order: (row, column) offsets of the four phases in channel order.
const PHASES: [(usize, usize); 4] = [(0, 0), (1, 0), (0, 1), (1, 1)];

/// Space-to-depth: the four pixel phases side by side in channels (top-left, bottom-left,
/// top-right, bottom-right), as YOLOX's Focus does.
pub fn focus(x: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    if !host::native(x.device()) {
        return focus_with_candle_ops(x);
    }
    let (h, w) = (height / 2, width / 2);
    with_f32(&[x], |views| {
        let data = views[0].0;
        let mut output = Output::new(batch * 4 * channels * h * w);
        let out = output.ptr();
        // One task per picture, channel and row phase: it writes both column phases.
        team::for_each(batch * channels * 2, |task| {
            let (b, c, dy) = (task / (2 * channels), (task / 2) % channels, task % 2);
            let src = &data[(b * channels + c) * height * width..][..height * width];
            let plane = |dx: usize| {
                let phase = PHASES.iter().position(|&p| p == (dy, dx)).unwrap_or(0);
                (b * 4 + phase) * channels + c
            };
            // SAFETY: output planes (dy, 0) and (dy, 1) of this picture and channel are this
            // task's alone.
            let (left, right) = unsafe {
                (
                    out.uninit(plane(0) * h * w, h * w),
                    out.uninit(plane(1) * h * w, h * w),
                )
            };
            fast_math::with_best_simd(
                #[inline(always)]
                |_| {
                    for y in 0..h {
                        let row = &src[(2 * y + dy) * width..][..2 * w];
                        let (l, r) = (&mut left[y * w..][..w], &mut right[y * w..][..w]);
                        for ((pair, l), r) in row.chunks_exact(2).zip(l).zip(r) {
                            l.write(pair[0]);
                            r.write(pair[1]);
                        }
                    }
                },
            );
        });
        // SAFETY: every output plane was written in full.
        unsafe { output.into_tensor((batch, 4 * channels, h, w)) }
    })
}

/// The same with candle's ops (other devices).
fn focus_with_candle_ops(x: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, channels, height, width) = x.dims4()?;
    let (h, w) = (height / 2, width / 2);
    let x = x.reshape((batch, channels, h, 2, w, 2))?;
    let phases = PHASES
        .iter()
        .map(|&(row, col)| {
            x.narrow(3, row, 1)?
                .narrow(5, col, 1)?
                .reshape((batch, channels, h, w))
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::cat(&phases, 1)
}

/// A 3×3 convolution, padding 1, stride 1, plus `bias` (`[out]`), then `act`: on the CPU, the
/// input copied once into a zero border, then for each output row the product of the weights
/// with the nine shifted rows of every channel, read in place.
pub fn conv3x3(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    act: Act,
) -> candle_core::Result<Tensor> {
    if !host::native(x.device()) {
        return conv3x3_with_candle_ops(x, weight, bias, act);
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
        // The input with a border of zeros: row `p = (c, ky, kx)` of the product's `B` for
        // output row y is the padded plane c from (y + ky, kx), `width` values, in place.
        let (padded_width, padded_plane) = (width + 2, (height + 2) * (width + 2));
        // Written whole by the tasks, border included (zeroing it all first was a serial
        // pass over 2 MiB at 416×416).
        let mut padded = Output::new(batch * channels * padded_plane);
        let planes = padded.ptr();
        team::for_each(batch * channels, |index| {
            // SAFETY: padded plane `index` is this task's alone, inside `padded`.
            let plane = unsafe { planes.uninit(index * padded_plane, padded_plane) };
            let source = &data[index * hw..(index + 1) * hw];
            let zero = MaybeUninit::new(0f32);
            plane[..padded_width].fill(zero);
            plane[(height + 1) * padded_width..].fill(zero);
            for (y, row) in source.chunks(width).enumerate() {
                let at = (y + 1) * padded_width + 1;
                plane[at - 1] = zero;
                plane[at + width] = zero;
                for (to, &from) in plane[at..at + width].iter_mut().zip(row) {
                    *to = MaybeUninit::new(from);
                }
            }
        });
        // SAFETY: every padded plane was written whole: its first and last rows, and each
        // row between of a zero, the source row and a zero.
        let padded = unsafe { padded.into_vec() };
        let offsets: Vec<usize> = (0..k)
            .map(|p| {
                let (c, ky, kx) = (p / 9, (p % 9) / 3, p % 3);
                c * padded_plane + ky * padded_width + kx
            })
            .collect();
        // Enough tasks for every thread to have four.
        let band_rows = height
            .div_ceil(4 * team::current_threads())
            .clamp(1, height.max(1));
        let bands = height.div_ceil(band_rows);
        let mut output = Output::new(batch * out_channels * hw);
        let out = output.ptr();
        team::for_each(batch * bands, |task| {
            let (b, y0) = (task / bands, (task % bands) * band_rows);
            let picture = &padded[b * channels * padded_plane..][..channels * padded_plane];
            for y in y0..(y0 + band_rows).min(height) {
                let base = b * out_channels * hw + y * width;
                // SAFETY: output row y of every output channel of this picture (stride hw)
                // is this task's alone; the product writes and finishes it.
                unsafe {
                    band_product(
                        out.at(base),
                        hw,
                        false,
                        (weights, k),
                        (&picture[y * padded_width..], RowsOfB::Offsets(&offsets)),
                        (out_channels, width, k),
                        Some(Finish {
                            bias: biases,
                            act,
                            residual: None,
                        }),
                    );
                }
            }
        });
        unsafe { output.into_tensor((batch, out_channels, height, width)) }
    })
}

/// The same with candle's ops (other devices).
fn conv3x3_with_candle_ops(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    act: Act,
) -> candle_core::Result<Tensor> {
    let out_channels = weight.dim(0)?;
    let y =
        x.conv2d(weight, 1, 1, 1, 1)?
            .broadcast_add(&bias.reshape((1, out_channels, 1, 1))?)?;
    act.on_tensor(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn focus_matches_candles_strided_copies() {
        let x = Tensor::rand(0f32, 255f32, (2, 3, 10, 14), &Device::Cpu).unwrap();
        let ours = focus(&x).unwrap();
        let reference = focus_with_candle_ops(&x).unwrap();
        assert_eq!(ours.dims(), [2, 12, 5, 7]);
        assert_eq!(crate::detect::max_abs_diff(&ours, &reference), 0.0);
        // Channel 3 (bottom-left phase, blue) at (1, 2) is input row 3, column 4.
        let want = x
            .get(0)
            .unwrap()
            .get(0)
            .unwrap()
            .get(3)
            .unwrap()
            .get(4)
            .unwrap();
        let got = ours
            .get(0)
            .unwrap()
            .get(3)
            .unwrap()
            .get(1)
            .unwrap()
            .get(2)
            .unwrap();
        assert_eq!(
            want.to_scalar::<f32>().unwrap(),
            got.to_scalar::<f32>().unwrap()
        );
    }

    #[test]
    fn convolution_over_the_padded_input_matches_candles() {
        let device = Device::Cpu;
        for (h, w) in [(9, 7), (40, 33), (1, 1)] {
            let x = Tensor::rand(-1f32, 1f32, (2, 12, h, w), &device).unwrap();
            let weight = Tensor::rand(-1f32, 1f32, (16, 12, 3, 3), &device).unwrap();
            let bias = Tensor::rand(-1f32, 1f32, 16, &device).unwrap();
            for act in [Act::Linear, Act::Silu] {
                let ours = conv3x3(&x, &weight, &bias, act).unwrap();
                let reference = conv3x3_with_candle_ops(&x, &weight, &bias, act).unwrap();
                assert_eq!(ours.dims(), reference.dims());
                let diff = crate::detect::max_abs_diff(&ours, &reference);
                assert!(diff < 1e-4, "{h}×{w} {act:?}: {diff}");
            }
        }
    }
}
