//! The network's output rows from the head's three levels: `[batch, Σ h·w, 85]`, each row a
//! grid cell's box regression, objectness and class scores, as the ONNX graph gives them. On
//! the CPU written in place, blocks of cells at a time (a transpose through the first-level
//! cache), instead of sigmoids, concatenations and a transposed copy.

use super::fast_math;
use super::host::{self, Output, with_f32};
use super::team;
use candle_core::Tensor;

/// Values per output row: 4 box values, objectness, 80 class scores.
const ROW: usize = 85;
/// Cells transposed together.
const BLOCK: usize = 16;

/// The output rows from each level's box regression and objectness logit `[batch, 5, h, w]`
/// and class scores `[batch, 80, h, w]` (already through the sigmoid): box values as they are,
/// objectness through the sigmoid, levels one after the other.
pub fn head_rows(levels: &[(Tensor, Tensor)]) -> candle_core::Result<Tensor> {
    let Some((first, _)) = levels.first() else {
        candle_core::bail!("no head level");
    };
    if !host::native(first.device()) {
        return head_rows_with_candle_ops(levels);
    }
    let tensors: Vec<&Tensor> = levels.iter().flat_map(|(r, c)| [r, c]).collect();
    with_f32(&tensors, |views| {
        let batch = views[0].1[0];
        let mut sizes = Vec::with_capacity(levels.len());
        for pair in views.chunks(2) {
            let [(_, reg), (_, cls)] = pair else {
                candle_core::bail!("head levels come in pairs");
            };
            if reg.len() != 4
                || reg[..2] != [batch, 5]
                || cls[..2] != [batch, 80]
                || cls[2..] != reg[2..]
            {
                candle_core::bail!("head level shapes {reg:?} and {cls:?}");
            }
            sizes.push(reg[2] * reg[3]);
        }
        let rows: usize = sizes.iter().sum();
        let mut output = Output::new(batch * rows * ROW);
        let out = output.ptr();
        team::for_each(batch, |b| {
            // SAFETY: picture b's rows, this task's alone.
            let dst = unsafe { out.uninit(b * rows * ROW, rows * ROW) };
            let mut first_row = 0;
            for (pair, &hw) in views.chunks(2).zip(&sizes) {
                let reg_obj = &pair[0].0[b * 5 * hw..(b + 1) * 5 * hw];
                let cls = &pair[1].0[b * 80 * hw..(b + 1) * 80 * hw];
                let level = &mut dst[first_row * ROW..(first_row + hw) * ROW];
                for start in (0..hw).step_by(BLOCK) {
                    let cells = BLOCK.min(hw - start);
                    let block = &mut level[start * ROW..(start + cells) * ROW];
                    let channels = reg_obj.chunks_exact(hw).chain(cls.chunks_exact(hw));
                    for (j, channel) in channels.enumerate() {
                        let cells = block.chunks_exact_mut(ROW).zip(&channel[start..]);
                        if j == 4 {
                            // Objectness leaves through the sigmoid.
                            cells.for_each(|(row, &v)| {
                                row[j].write(fast_math::sigmoid(v));
                            });
                        } else {
                            cells.for_each(|(row, &v)| {
                                row[j].write(v);
                            });
                        }
                    }
                }
                first_row += hw;
            }
        });
        // SAFETY: every row of every picture was written in full (85 values).
        unsafe { output.into_tensor((batch, rows, ROW)) }
    })
}

/// The same with candle's ops (other devices).
fn head_rows_with_candle_ops(levels: &[(Tensor, Tensor)]) -> candle_core::Result<Tensor> {
    let outputs = levels
        .iter()
        .map(|(reg_obj, cls)| {
            let boxes = reg_obj.narrow(1, 0, 4)?;
            let obj = candle_nn::ops::sigmoid(&reg_obj.narrow(1, 4, 1)?)?;
            Tensor::cat(&[&boxes, &obj, cls], 1)?.flatten_from(2)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::cat(&outputs, 2)?.transpose(1, 2)?.contiguous()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn rows_match_candles_concatenation_and_transpose() {
        let device = Device::Cpu;
        let levels: Vec<(Tensor, Tensor)> = [(6, 5), (3, 3), (1, 2)]
            .into_iter()
            .map(|(h, w)| {
                (
                    Tensor::rand(-4f32, 4f32, (2, 5, h, w), &device).unwrap(),
                    Tensor::rand(0f32, 1f32, (2, 80, h, w), &device).unwrap(),
                )
            })
            .collect();
        let ours = head_rows(&levels).unwrap();
        let reference = head_rows_with_candle_ops(&levels).unwrap();
        assert_eq!(ours.dims(), [2, 30 + 9 + 2, 85]);
        assert!(crate::detect::max_abs_diff(&ours, &reference) < 1e-6);
    }
}
