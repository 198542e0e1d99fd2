//! Fuzzes the ONNX reader (the detector's weights are read with our own protobuf reader):
//! any bytes are a model or an error, never a panic or an allocation the input did not pay for.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dienbien_dispatch::detect::onnx::Model::parse(data);
});
