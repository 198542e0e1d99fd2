//! The ONNX reader on the real YOLOX-nano file of `resources/models/`: the graph and weights
//! it finds are those that the `onnx` Python package reports for the same file (figures
//! below were read with it), and a damaged file is refused with the byte where it broke.

use dienbien_dispatch::detect::onnx::Model;
use std::path::{Path, PathBuf};

fn yolox_nano() -> PathBuf {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/models/yolox-nano/yolox_nano.onnx");
    assert!(
        path.exists(),
        "model {} is missing from the repository",
        path.display()
    );
    path
}

#[test]
fn reads_the_yolox_nano_graph_and_weights() {
    let model = Model::load(&yolox_nano()).unwrap();
    assert_eq!((model.ir_version, model.opset), (7, 11));
    assert_eq!(model.nodes.len(), 369);
    assert_eq!(model.initializers.len(), 236);
    assert_eq!(
        model.float_parameter_count(),
        904_481 - 14,
        "904,481 elements incl. 14 int64"
    );
    let count = |op: &str| model.nodes.iter().filter(|n| n.op_type == op).count();
    assert_eq!(
        [
            count("Conv"),
            count("Sigmoid"),
            count("Mul"),
            count("Concat"),
            count("MaxPool")
        ],
        [113, 110, 104, 18, 3]
    );
    // Convolutions in graph order: the Focus stem (12 → 16 channels), then a depthwise 3×3
    // with stride 2; the last one is the stride-32 objectness head.
    let convs: Vec<_> = model.nodes.iter().filter(|n| n.op_type == "Conv").collect();
    let weight = |i: usize| model.initializer(&convs[i].inputs[1]).unwrap();
    assert_eq!(weight(0).dims, [16, 12, 3, 3]);
    assert_eq!(convs[0].ints("group"), Some(&[1][..]));
    assert_eq!(convs[1].ints("group"), Some(&[16][..]));
    assert_eq!(convs[1].ints("strides"), Some(&[2, 2][..]));
    assert_eq!(weight(1).dims, [16, 1, 3, 3]);
    assert_eq!(convs[112].inputs[1], "head.obj_preds.2.weight");
    assert_eq!(weight(112).dims, [1, 64, 1, 1]);
    // Values: sums as numpy computes them on the same tensors.
    let sum = |values: Vec<f32>| values.iter().map(|&v| f64::from(v)).sum::<f64>();
    let bias = model
        .initializer("head.cls_preds.0.bias")
        .unwrap()
        .to_f32()
        .unwrap();
    assert!((f64::from(bias[0]) - -1.097_429_87).abs() < 1e-7);
    assert!((sum(bias) - -359.899_941).abs() < 1e-4);
    assert!((sum(weight(0).to_f32().unwrap()) - -0.015_904).abs() < 1e-5);
    // Integer tensors: the Focus slices' steps and the head's reshape.
    assert_eq!(model.initializer("648").unwrap().to_i64().unwrap(), [3]);
    assert_eq!(
        model.initializer("1157").unwrap().to_i64().unwrap(),
        [1, 85, -1]
    );
    // SPP max-pools: kernels 5, 9, 13 with "same" padding.
    let pools: Vec<_> = model
        .nodes
        .iter()
        .filter(|n| n.op_type == "MaxPool")
        .collect();
    assert_eq!(pools[2].ints("kernel_shape"), Some(&[13, 13][..]));
    assert_eq!(pools[2].ints("pads"), Some(&[6, 6, 6, 6][..]));
}

#[test]
fn a_damaged_model_is_refused_with_the_place() {
    let bytes = std::fs::read(yolox_nano()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.onnx");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = Model::load(&path).unwrap_err().to_string();
    assert!(err.contains("is not a valid ONNX file"), "{err}");
    assert!(err.contains("at byte"), "{err}");
    let missing = Model::load(&dir.path().join("none.onnx"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("cannot read model"), "{missing}");
}
