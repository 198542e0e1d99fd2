//! ONNX MatMul on the CPU with the convolutions' matrix product ([`super::product`]): the text
//! recogniser's attention multiplies a few dozen tokens by 120–360 features, where candle's
//! `gemm` call cost more in set-up (threads asked for, a zeroed output) than in arithmetic.
//! Batches of equal leading dimensions, or a two-dimensional right-hand side shared by every
//! batch; other shapes, and other devices, go to candle's broadcasting matmul.

use super::host::{self, with_f32};
use super::product::{Kernel, RowsOfB, Shape, multiply};
use candle_core::{Device, Tensor};

/// `a` `[.., M, K]` times `b` `[.., K, N]` (or `[K, N]`): `[.., M, N]`.
pub fn matmul(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let (ad, bd) = (a.dims(), b.dims());
    // Both ranks checked before the dimensions are sliced: ONNX allows one-dimensional operands.
    let plain = host::native(a.device())
        && ad.len() >= 2
        && bd.len() >= 2
        && (bd.len() == 2 || bd[..bd.len() - 2] == ad[..ad.len() - 2])
        && ad[ad.len() - 1] == bd[bd.len() - 2];
    if !plain {
        return a.contiguous()?.broadcast_matmul(&b.contiguous()?);
    }
    let (m, k, n) = (ad[ad.len() - 2], ad[ad.len() - 1], bd[bd.len() - 1]);
    let batches: usize = ad[..ad.len() - 2].iter().product();
    let shared = b.rank() == 2;
    let mut dims = ad[..ad.len() - 2].to_vec();
    dims.extend([m, n]);
    let out = with_f32(&[a, b], |views| {
        let (a, b) = (views[0].0, views[1].0);
        let mut out = vec![0f32; batches * m * n];
        if m == 0 || n == 0 {
            return Ok(out);
        }
        let shape = Shape {
            m,
            n,
            k,
            lda: k,
            b_rows: RowsOfB::Stride(n),
            ldc: n,
        };
        for (batch, c) in out.chunks_exact_mut(m * n).enumerate() {
            let b = if shared { b } else { &b[batch * k * n..] };
            multiply(
                Kernel::current(),
                c,
                false,
                &a[batch * m * k..],
                b,
                shape,
                None,
            );
        }
        Ok(out)
    })?;
    Tensor::from_vec(out, dims, &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detect::test_tensor as tensor;

    #[test]
    fn it_agrees_with_candles_matmul_on_every_shape_it_takes_and_passes_the_others_on() {
        let cases: [(&[usize], &[usize]); 6] = [
            // The recogniser's attention: tokens × features, heads × tokens × tokens.
            (&[1, 21, 120], &[120, 360]),
            (&[1, 8, 21, 15], &[1, 8, 15, 21]),
            (&[1, 8, 21, 21], &[1, 8, 21, 15]),
            (&[3, 5], &[5, 7]),
            (&[2, 1, 17], &[2, 17, 50]),
            // Broadcast batch dimensions: candle's.
            (&[2, 3, 4, 5], &[1, 3, 5, 6]),
        ];
        for (a_dims, b_dims) in cases {
            let (a, b) = (tensor(a_dims, 1), tensor(b_dims, 2));
            let ours = matmul(&a, &b).expect("ours");
            let theirs = host::candle_ops_only(|| a.broadcast_matmul(&b)).expect("theirs");
            assert_eq!(ours.dims(), theirs.dims(), "{a_dims:?} {b_dims:?}");
            assert!(
                crate::detect::max_abs_diff(&ours, &theirs) < 1e-4,
                "{a_dims:?} {b_dims:?}"
            );
        }
        // A transposed (strided) operand is read through a contiguous copy.
        let k = tensor(&[1, 8, 21, 15], 3);
        let kt = k.transpose(2, 3).expect("transposed");
        let q = tensor(&[1, 8, 21, 15], 4);
        let ours = matmul(&q, &kt).expect("ours");
        let theirs = q
            .broadcast_matmul(&kt.contiguous().expect("copy"))
            .expect("theirs");
        assert!(crate::detect::max_abs_diff(&ours, &theirs) < 1e-4);
        // Inner dimensions that disagree are candle's error.
        assert!(matmul(&tensor(&[2, 3], 1), &tensor(&[4, 5], 2)).is_err());
    }
}
