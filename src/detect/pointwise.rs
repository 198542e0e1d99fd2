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

/// How a picture's output is cut into tasks: `groups` groups of output rows (`rows` each, the
/// last fewer), times `bands` bands of columns (pixels) whose widths differ by 16 at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Split {
    rows: usize,
    groups: usize,
    bands: usize,
}

impl Split {
    /// The columns of band `index` of `columns`: whole vectors of 16 shared out evenly.
    fn band(self, index: usize, columns: usize) -> std::ops::Range<usize> {
        let vectors = columns.div_ceil(16);
        let edge = |i: usize| (i * vectors / self.bands * 16).min(columns);
        edge(index)..edge(index + 1)
    }
}

/// The tasks of one 1×1 convolution on `threads` threads. Columns: a band's output and input
/// together at most about 768 KiB (within the second-level cache; smaller bands measured no
/// faster), at least 64 columns, and enough bands for every thread to have two; the bands as
/// even as whole vectors allow, since a thread whose last band is the short one waits for the
/// other. A small picture (stride 16 and 32: fewer columns than two kernel strips per task) is
/// cut by output rows instead, in multiples of the kernel's 8, so that the threads get equal
/// work: bands of such a picture were uneven and narrower than the kernel.
fn split(out_channels: usize, in_channels: usize, columns: usize, threads: usize) -> Split {
    let tasks = 2 * threads;
    let by_cache = (98_304 / out_channels.max(in_channels).max(1)).max(64);
    if threads > 1 && columns <= by_cache && columns < tasks * 2 * 48 {
        let rows = out_channels.div_ceil(tasks).next_multiple_of(8);
        if rows < out_channels {
            return Split {
                rows,
                groups: out_channels.div_ceil(rows),
                bands: 1,
            };
        }
    }
    let by_threads = columns.div_ceil(tasks).max(16);
    let widest = by_cache.min(by_threads).max(1);
    // A multiple of the threads when there are several, so that each gets as many.
    let bands = columns
        .div_ceil(widest)
        .next_multiple_of(threads.max(1))
        .min(columns.div_ceil(16))
        .max(1);
    Split {
        rows: out_channels,
        groups: 1,
        bands,
    }
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
        let split = split(out_channels, in_channels, hw, team::current_threads());
        let Split {
            rows,
            groups,
            bands,
        } = split;
        let per_picture = groups * bands;
        let mut output = Output::new(batch * out_channels * hw);
        let out = output.ptr();
        team::for_each(batch * per_picture, |task| {
            let b = task / per_picture;
            let (group, band_index) = (task % per_picture / bands, task % bands);
            let columns = split.band(band_index, hw);
            let (row, start) = (group * rows, columns.start);
            let (m, cols) = (rows.min(out_channels - row), columns.len());
            if cols == 0 {
                return;
            }
            let base = (b * out_channels + row) * hw + start;
            let mut offset = 0;
            for (index, (data, dims)) in views[..count].iter().enumerate() {
                let c = dims[1];
                // The last input's product finishes the band.
                let finish = (index + 1 == count).then(|| Finish {
                    bias: &biases[row..],
                    act,
                    residual: residual.map(|(r, _)| &r[base..]),
                });
                // SAFETY: the band's columns of the group's rows (stride hw) of this
                // picture's output belong to this task alone, and were written by the product
                // of the previous input when accumulating.
                unsafe {
                    band_product(
                        out.at(base),
                        hw,
                        index > 0,
                        (&weights[row * in_channels + offset..], in_channels),
                        (&data[b * c * hw + start..], RowsOfB::Stride(hw)),
                        (m, cols, c),
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
        // On rayon's pool, and on a team of three (small pictures cut by rows then).
        matches_candle_over_split_inputs();
        team::Team::new(3)
            .expect("team")
            .run(matches_candle_over_split_inputs);
    }

    #[test]
    fn a_split_covers_the_output_in_equal_tasks() {
        for (out, inp, columns, threads) in [
            (64, 64, 169, 2),
            (256, 128, 169, 2),
            (64, 32, 676, 3),
            (24, 17, 169, 3),
            (8, 8, 100, 4),
            (64, 64, 2704, 2),
            (32, 64, 10_816, 2),
            (16, 108, 43_264, 2),
            (64, 64, 169, 1),
            (17, 5, 7, 2),
            (8, 8, 1, 3),
        ] {
            let s = split(out, inp, columns, threads);
            assert!(
                s.rows * s.groups >= out && s.rows * (s.groups - 1) < out,
                "{s:?}"
            );
            if s.groups > 1 {
                assert_eq!(s.rows % 8, 0, "whole kernel blocks: {s:?}");
                assert_eq!(s.bands, 1, "rows or columns, not both: {s:?}");
            }
            // The bands tile the columns, in whole vectors but the last, evenly.
            let bands: Vec<_> = (0..s.bands).map(|i| s.band(i, columns)).collect();
            assert_eq!(bands[0].start, 0);
            assert_eq!(bands[s.bands - 1].end, columns, "{s:?}");
            for pair in bands.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(pair[0].end % 16, 0);
            }
            let widths = bands.iter().map(|b| b.len());
            let (min, max) = (widths.clone().min(), widths.max());
            assert!(
                max.zip(min).is_some_and(|(max, min)| max - min <= 16),
                "{out}×{columns} on {threads}: {bands:?}"
            );
            let tasks = s.groups * s.bands;
            assert!(
                threads == 1 || tasks >= threads || columns <= 16 * threads,
                "{out}×{columns} on {threads}: {s:?}"
            );
        }
        // Small pictures by rows, large ones by columns, as many bands for each thread.
        assert_eq!(split(64, 64, 169, 2).groups, 4);
        assert_eq!(
            split(64, 64, 2704, 2),
            Split {
                rows: 64,
                groups: 1,
                bands: 4
            }
        );
        assert_eq!(split(32, 64, 10_816, 2).bands % 2, 0);
    }

    fn matches_candle_over_split_inputs() {
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
