//! ONNX's Add, Sub, Mul and Div of two tensors on the CPU, in one pass on the calling thread:
//! the text recogniser's squeeze-and-excitation scales (a picture times one value per
//! channel), residual sums and layer norms (tokens times one value per feature) are small,
//! and candle's broadcasting ops ran them on its own thread pool, behind a barrier, with a
//! helper thread spinning beside the reading. Shapes other than "the same", "one value per
//! block of the trailing dimensions" and "repeating over the leading dimensions", and other
//! devices, go to candle.

use super::host::{self, with_f32};
use candle_core::{DType, Device, Tensor};

/// Which element-wise operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// How the smaller operand (`dims` right-aligned to the larger's) spreads over the larger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spread {
    /// Value `i` of the smaller serves `inner` consecutive values of the larger.
    Blocks { inner: usize },
    /// The smaller, `period` values, repeats along the larger.
    Periodic { period: usize },
}

/// How `small` spreads over `large`, when it does in one of the two simple ways.
fn spread(large: &[usize], small: &[usize]) -> Option<Spread> {
    if small.len() > large.len() {
        return None;
    }
    let mut padded = vec![1; large.len() - small.len()];
    padded.extend_from_slice(small);
    let rank = large.len();
    // Blocks: the same leading dimensions, then only ones.
    if let Some(split) = (0..=rank).rev().find(|&s| padded[..s] == large[..s])
        && padded[split..].iter().all(|&d| d == 1)
    {
        return Some(Spread::Blocks {
            inner: large[split..].iter().product(),
        });
    }
    // Periodic: only ones, then the same trailing dimensions.
    let split = (0..=rank).find(|&s| padded[s..] == large[s..])?;
    padded[..split]
        .iter()
        .all(|&d| d == 1)
        .then(|| Spread::Periodic {
            period: large[split..].iter().product(),
        })
}

/// `a op b` with ONNX's (numpy's) broadcasting.
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let (ad, bd) = (a.dims(), b.dims());
    let a_large = ad.len() >= bd.len() && a.elem_count() >= b.elem_count();
    let (large, small) = if a_large { (ad, bd) } else { (bd, ad) };
    let plan = host::native(a.device())
        .then(|| spread(large, small))
        .flatten()
        .filter(|_| b.device().is_cpu() && a.dtype() == DType::F32 && b.dtype() == DType::F32);
    let Some(plan) = plan else {
        return match op {
            BinaryOp::Add => a.broadcast_add(b),
            BinaryOp::Sub => a.broadcast_sub(b),
            BinaryOp::Mul => a.broadcast_mul(b),
            BinaryOp::Div => a.broadcast_div(b),
        };
    };
    let dims = large.to_vec();
    let out = with_f32(&[a, b], |views| {
        let (x, y) = if a_large {
            (views[0].0, views[1].0)
        } else {
            (views[1].0, views[0].0)
        };
        // `f(large value, small value)`, the operands put back in their order.
        Ok(match (op, a_large) {
            (BinaryOp::Add, _) => apply(x, y, plan, |l, s| l + s),
            (BinaryOp::Mul, _) => apply(x, y, plan, |l, s| l * s),
            (BinaryOp::Sub, true) => apply(x, y, plan, |l, s| l - s),
            (BinaryOp::Sub, false) => apply(x, y, plan, |l, s| s - l),
            (BinaryOp::Div, true) => apply(x, y, plan, |l, s| l / s),
            (BinaryOp::Div, false) => apply(x, y, plan, |l, s| s / l),
        })
    })?;
    Tensor::from_vec(out, dims, &Device::Cpu)
}

/// `f(large[i], small value for i)` for every value of `large`.
#[inline(always)]
fn apply(large: &[f32], small: &[f32], plan: Spread, f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(large.len());
    match plan {
        Spread::Blocks { inner } => {
            for (block, &s) in large.chunks_exact(inner.max(1)).zip(small) {
                out.extend(block.iter().map(|&l| f(l, s)));
            }
        }
        Spread::Periodic { period } => {
            for block in large.chunks_exact(period.max(1)) {
                out.extend(block.iter().zip(small).map(|(&l, &s)| f(l, s)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_tensor as tensor;

    #[test]
    fn the_two_simple_spreads_are_recognised_and_others_are_not() {
        assert_eq!(
            spread(&[1, 240, 12, 42], &[1, 240, 1, 1]),
            Some(Spread::Blocks { inner: 504 })
        );
        assert_eq!(spread(&[2, 3], &[2, 3]), Some(Spread::Blocks { inner: 1 }));
        assert_eq!(spread(&[2, 3], &[]), Some(Spread::Blocks { inner: 6 }));
        assert_eq!(spread(&[2, 3], &[1]), Some(Spread::Blocks { inner: 6 }));
        assert_eq!(
            spread(&[1, 21, 120], &[120]),
            Some(Spread::Periodic { period: 120 })
        );
        assert_eq!(spread(&[4, 5, 6], &[4, 1, 6]), None);
        assert_eq!(spread(&[2, 3], &[3, 2]), None);
        assert_eq!(spread(&[3], &[2, 3]), None);
    }

    #[test]
    fn every_operation_agrees_with_candle_in_either_order() {
        let shapes: [(&[usize], &[usize]); 7] = [
            (&[1, 24, 6, 7], &[1, 24, 6, 7]),
            (&[1, 24, 6, 7], &[1, 24, 1, 1]),
            (&[1, 21, 120], &[120]),
            (&[1, 21, 120], &[1, 21, 1]),
            (&[2, 3, 4], &[1]),
            (&[2, 3, 4], &[]),
            // Not simple: candle's.
            (&[4, 5, 6], &[4, 1, 6]),
        ];
        for (x_dims, y_dims) in shapes {
            let x = tensor(x_dims, 1);
            // Away from zero, so that a division is well defined.
            let y = (tensor(y_dims, 2).abs().expect("abs") + 0.5).expect("shift");
            for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
                for (a, b) in [(&x, &y), (&y, &x)] {
                    let ours = binary(op, a, b).expect("ours");
                    let theirs = host::candle_ops_only(|| binary(op, a, b)).expect("theirs");
                    assert_eq!(ours.dims(), theirs.dims(), "{op:?} {x_dims:?} {y_dims:?}");
                    assert!(
                        crate::detect::max_abs_diff(&ours, &theirs) < 1e-5,
                        "{op:?} {x_dims:?} {y_dims:?}"
                    );
                }
            }
        }
    }
}
