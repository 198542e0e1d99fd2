//! Detection: YOLOX-nano as a native candle network, its weights read from the ONNX file
//! (without `protoc` or Python), CPU kernels where candle's generic ops are slow, letterbox and
//! grid decode, and the `Detector` that a command or the shared detector worker drives.

mod depthwise;
pub mod detector;
mod fast_math;
mod kernels;
pub mod onnx;
pub mod postprocess;
pub mod preprocess;
pub mod yolox;
