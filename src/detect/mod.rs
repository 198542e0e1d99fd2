//! Detection: YOLOX-nano as a native candle network, its weights read from the ONNX file
//! (without `protoc` or Python), CPU kernels where candle's generic ops are slow, letterbox and
//! grid decode, and the `Detector` that a command or the shared detector worker drives.

pub mod bundled;
mod depthwise;
mod depthwise_any;
pub mod detector;
pub mod evaluation;
mod fast_math;
mod graph_fusion;
mod head;
mod host;
mod matmul;
pub mod onnx;
pub mod onnx_graph;
pub mod plate;
mod pointwise;
mod pooling;
pub mod postprocess;
pub mod preprocess;
pub mod product;
pub mod search;
mod stem;
pub mod team;
pub mod tuning;
mod unfold;
pub mod yolox;

pub use fast_math::Act;
pub use host::candle_ops_only;

/// A CPU tensor of `dims` with values in [-0.5, 0.5) drawn from `seed` (tests of the kernels).
#[cfg(test)]
pub(crate) fn test_tensor(dims: &[usize], seed: usize) -> candle_core::Tensor {
    let len: usize = dims.iter().product();
    let values: Vec<f32> = (0..len)
        .map(|i| ((i * 7919 + seed * 104_729) % 1013) as f32 / 1013.0 - 0.5)
        .collect();
    candle_core::Tensor::from_vec(values, dims, &candle_core::Device::Cpu).expect("tensor")
}

/// Largest absolute difference between two tensors of the same shape (tests of the kernels).
#[cfg(test)]
pub(crate) fn max_abs_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.max_all())
        .and_then(|d| d.to_scalar::<f32>())
        .expect("tensors of one shape")
}
