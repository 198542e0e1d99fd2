//! 1×1 convolutions on the CPU as matrix products (our own kernels, [`super::product`]) over
//! one or several inputs taken side by side in channels (the concatenation is never copied),
//! in bands of columns small enough to stay in cache, each block of the output finished (bias,
//! activation, a residual added) by the kernel as soon as its sum is complete. Candle's matmul would allocate a zeroed output, ask the system for the number
//! of cores on every call and leave bias and activation to passes over the whole tensor.
//! Other devices run candle's ops.

use super::fast_math::Act;
use super::host::{self, Output, with_f32};
use super::product::{Finish, Kernel, RowsOfB, Shape, multiply_raw};
use super::team;
use candle_core::Tensor;

/// The columns (pixels) of one band: the band's output and input together at most about
/// 768 KiB (within the second-level cache; smaller bands measured no faster), at least 64
/// columns, and enough bands for every thread to have two.
fn band_width(out_channels: usize, in_channels: usize, columns: usize) -> usize {
    let by_cache = (98_304 / out_channels.max(in_channels).max(1)).max(64);
    let by_threads = columns.div_ceil(2 * team::current_threads()).max(16);
    by_cache
        .min(by_threads)
        .next_multiple_of(16)
        .min(columns)
        .max(1)
}

/// One band's matrix product: row `o < out` of the output (`cols` values at `dst + o·dst_stride`)
/// gets `Σ_c weights[o·weight_stride + c] · input[start of row c + j]` over `k` channels, added
/// to what it holds when `accumulate`, then `finish` (laid out as the output) when given, with
/// the product kernel chosen for this processor.
///
/// # Safety
/// `dst` addresses those rows inside one allocation that no other task touches meanwhile, and,
/// when `accumulate`, they have been written.
pub(super) unsafe fn band_product(
    dst: *mut f32,
    dst_stride: usize,
    accumulate: bool,
    (weights, weight_stride): (&[f32], usize),
    (input, input_rows): (&[f32], RowsOfB),
    (out, cols, k): (usize, usize, usize),
    finish: Option<Finish>,
) {
    let shape = Shape {
        m: out,
        n: cols,
        k,
        lda: weight_stride,
        b_rows: input_rows,
        ldc: dst_stride,
    };
    // SAFETY: the caller's promise; the operands are checked against the shape inside.
    unsafe {
        multiply_raw(
            Kernel::current(),
            dst,
            accumulate,
            weights,
            input,
            shape,
            finish,
        )
    }
}

/// `weight · concat(inputs) + bias` over channels, then `act`, then `+ residual`.
/// `inputs`: `[batch, c_i, h, w]` with the same batch and size; `weight`: `[out, Σc_i]`;
/// `bias`: `[out]`; `residual`: `[batch, out, h, w]`.
pub fn pointwise(
    inputs: &[&Tensor],
    weight: &Tensor,
    bias: &Tensor,
    act: Act,
    residual: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let Some(first) = inputs.first() else {
        candle_core::bail!("pointwise convolution without input");
    };
    if !host::native(first.device()) {
        return on_device(inputs, weight, bias, act, residual);
    }
    let mut all = inputs.to_vec();
    all.extend([weight, bias]);
    all.extend(residual);
    with_f32(&all, |views| {
        let count = inputs.len();
        let (weights, weight_dims) = views[count];
        let biases = views[count + 1].0;
        let residual = residual.map(|_| views[count + 2]);
        let &[batch, _, height, width] = views[0].1 else {
            candle_core::bail!("pointwise input must be [batch, channels, height, width]");
        };
        let &[out_channels, in_channels] = weight_dims else {
            candle_core::bail!("pointwise weight must be [out, in]");
        };
        let channels: usize = views[..count].iter().map(|(_, dims)| dims[1]).sum();
        let same_size = views[..count]
            .iter()
            .all(|(_, dims)| dims.len() == 4 && dims[0] == batch && dims[2..] == [height, width]);
        if !same_size || channels != in_channels || biases.len() != out_channels {
            candle_core::bail!(
                "pointwise shapes disagree: inputs {:?}, weight {weight_dims:?}, bias {}",
                views[..count].iter().map(|v| v.1).collect::<Vec<_>>(),
                biases.len()
            );
        }
        if let Some((_, dims)) = residual
            && dims != [batch, out_channels, height, width]
        {
            candle_core::bail!("pointwise residual {dims:?} does not match the output");
        }
        let hw = height * width;
        let band = band_width(out_channels, in_channels, hw);
        let bands = hw.div_ceil(band);
        let mut output = Output::new(batch * out_channels * hw);
        let out = output.ptr();
        team::for_each(batch * bands, |task| {
            let (b, start) = (task / bands, (task % bands) * band);
            let cols = band.min(hw - start);
            let base = b * out_channels * hw + start;
            let mut offset = 0;
            for (index, (data, dims)) in views[..count].iter().enumerate() {
                let c = dims[1];
                // The last input's product finishes the band.
                let finish = (index + 1 == count).then(|| Finish {
                    bias: biases,
                    act,
                    residual: residual.map(|(r, _)| &r[base..]),
                });
                // SAFETY: the band's columns of `out_channels` rows (stride hw) of this
                // picture's output belong to this task alone, and were written by the product
                // of the previous input when accumulating.
                unsafe {
                    band_product(
                        out.at(base),
                        hw,
                        index > 0,
                        (&weights[offset..], in_channels),
                        (&data[b * c * hw + start..], RowsOfB::Stride(hw)),
                        (out_channels, cols, c),
                        finish,
                    );
                }
                offset += c;
            }
        });
        // SAFETY: the tasks cover every band of every picture and every output row.
        unsafe { output.into_tensor((batch, out_channels, height, width)) }
    })
}

/// The same with candle's ops (GPU).
fn on_device(
    inputs: &[&Tensor],
    weight: &Tensor,
    bias: &Tensor,
    act: Act,
    residual: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let x = Tensor::cat(inputs, 1)?;
    let (batch, channels, height, width) = x.dims4()?;
    let out_channels = weight.dim(0)?;
    let y = weight
        .broadcast_left(batch)?
        .matmul(&x.reshape((batch, channels, height * width))?)?
        .reshape((batch, out_channels, height, width))?
        .broadcast_add(&bias.reshape((1, out_channels, 1, 1))?)?;
    let y = act.on_tensor(y)?;
    match residual {
        Some(residual) => y + residual,
        None => Ok(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn reference(
        inputs: &[&Tensor],
        w: &Tensor,
        b: &Tensor,
        act: Act,
        r: Option<&Tensor>,
    ) -> Tensor {
        let x = Tensor::cat(inputs, 1).unwrap();
        let o = w.dim(0).unwrap();
        let y = x
            .conv2d(
                &w.reshape((o, w.dim(1).unwrap(), 1, 1)).unwrap(),
                0,
                1,
                1,
                1,
            )
            .unwrap()
            .broadcast_add(&b.reshape((1, o, 1, 1)).unwrap())
            .unwrap();
        let y = act.on_tensor(y).unwrap();
        match r {
            Some(r) => (y + r).unwrap(),
            None => y,
        }
    }

    #[test]
    fn matches_candles_convolution_over_split_inputs_with_bias_silu_and_residual() {
        let device = Device::Cpu;
        for (batch, h, w) in [(1, 13, 13), (2, 9, 7), (1, 40, 40), (1, 1, 1)] {
            let a = Tensor::rand(-1f32, 1f32, (batch, 12, h, w), &device).unwrap();
            let c = Tensor::rand(-1f32, 1f32, (batch, 5, h, w), &device).unwrap();
            let weight = Tensor::rand(-1f32, 1f32, (24, 17), &device).unwrap();
            let bias = Tensor::rand(-1f32, 1f32, 24, &device).unwrap();
            let residual = Tensor::rand(-1f32, 1f32, (batch, 24, h, w), &device).unwrap();
            for act in [Act::Linear, Act::Silu, Act::Sigmoid] {
                for r in [None, Some(&residual)] {
                    let ours = pointwise(&[&a, &c], &weight, &bias, act, r).unwrap();
                    let want = reference(&[&a, &c], &weight, &bias, act, r);
                    assert_eq!(ours.dims(), want.dims());
                    let diff = crate::detect::max_abs_diff(&ours, &want);
                    assert!(diff < 1e-4, "{batch}×{h}×{w} {act:?}: {diff}");
                }
            }
            let one = pointwise(
                &[&a],
                &weight.narrow(1, 0, 12).unwrap(),
                &bias,
                Act::Silu,
                None,
            );
            let want = reference(
                &[&a],
                &weight.narrow(1, 0, 12).unwrap(),
                &bias,
                Act::Silu,
                None,
            );
            assert!(crate::detect::max_abs_diff(&one.unwrap(), &want) < 1e-4);
        }
    }

    #[test]
    fn refuses_inputs_that_do_not_fit_the_weights() {
        let device = Device::Cpu;
        let a = Tensor::zeros((1, 12, 4, 4), candle_core::DType::F32, &device).unwrap();
        let weight = Tensor::zeros((8, 13), candle_core::DType::F32, &device).unwrap();
        let bias = Tensor::zeros(8, candle_core::DType::F32, &device).unwrap();
        let err = pointwise(&[&a], &weight, &bias, Act::Silu, None).unwrap_err();
        assert!(err.to_string().contains("shapes disagree"), "{err}");
    }
}
