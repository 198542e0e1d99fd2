//! Detection (in progress, issue 4): for now the reader of ONNX model files, which gives the
//! weights of a network (its initializers) and its node list without `protoc` or Python.
//! The YOLOX-nano network in candle-nn and its driver build on it.

mod depthwise;
pub mod detector;
mod fast_math;
mod kernels;
pub mod onnx;
pub mod postprocess;
pub mod preprocess;
pub mod yolox;
