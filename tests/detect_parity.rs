//! Parity of the candle YOLOX-nano with onnxruntime: on the street photo and on frames of the
//! sample clips, every box of the onnxruntime reference (tests/fixtures/detect/, made by
//! tests/support/onnxruntime_reference.py) is found with the same class, IoU ≥ 0.98 and a score
//! within ±0.01, and no other box is found, with the CPU kernels (each matrix-product kernel the
//! processor runs) and with candle's own ops (the path a GPU takes); a batch gives each picture
//! the rows it gets alone. The weights tuned to Vietnamese traffic match onnxruntime as well.

mod support;

use dienbien_dispatch::detect::onnx::Model;
use dienbien_dispatch::detect::postprocess::{self, Detection};
use dienbien_dispatch::detect::preprocess::letterbox;
use dienbien_dispatch::detect::product::Kernel;
use dienbien_dispatch::detect::yolox::{INPUT_SIZE, YoloxNano, input_tensor};
use std::path::Path;
use support::media;

struct Reference {
    input_checksum: f64,
    detections: Vec<Detection>,
}

fn reference(name: &str) -> Reference {
    reference_in("tests/fixtures/detect", name)
}

fn reference_in(folder: &str, name: &str) -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(folder)
        .join(format!("{name}.json"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Reference {
        input_checksum: json["input_checksum"].as_f64().unwrap(),
        detections: json["detections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| Detection {
                class: d["class"].as_u64().unwrap() as usize,
                score: d["score"].as_f64().unwrap() as f32,
                bbox: {
                    let b: Vec<f32> = d["box"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap() as f32)
                        .collect();
                    [b[0], b[1], b[2], b[3]]
                },
            })
            .collect(),
    }
}

fn network() -> YoloxNano {
    network_of("resources/models/yolox-nano/yolox_nano.onnx")
}

fn network_of(file: &str) -> YoloxNano {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let model = Model::load(&path).expect("the YOLOX-nano model of resources/models");
    YoloxNano::from_model(&model, &candle_core::Device::Cpu).unwrap()
}

#[test]
fn the_weights_tuned_to_vietnam_match_onnxruntime_too() {
    // The tuned file is the same graph with other prediction layers: onnxruntime runs it, and
    // our network gives its boxes (tests/fixtures/detect/vietnam/).
    let net = network_of("resources/models/yolox-nano-vn/yolox_nano_vn.onnx");
    for (name, clip, index) in [
        (
            "street-car-motorbike-plate",
            "street-car-motorbike-plate.jpg",
            0,
        ),
        ("vtest-h264-high-frame100", "vtest-h264-high.mp4", 100),
        ("car-detection-frame200", "car-detection.mp4", 200),
    ] {
        let expected = reference_in("tests/fixtures/detect/vietnam", name);
        let (rgb, w, h) = clip_frame_rgb(clip, index);
        let (_, found) = detect(&net, &rgb, w, h);
        assert_matches(&format!("{name}, tuned"), &found, &expected.detections);
    }
}

fn detect(net: &YoloxNano, rgb: &[u8], width: usize, height: usize) -> (f64, Vec<Detection>) {
    let boxed = letterbox(rgb, width, height);
    let checksum = boxed.bgr_planar.iter().map(|&v| f64::from(v)).sum();
    let input = input_tensor(boxed.bgr_planar, 1, (INPUT_SIZE, INPUT_SIZE), net.device()).unwrap();
    let rows: Vec<f32> = net
        .forward(&input)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    (
        checksum,
        postprocess::decode(&rows, (INPUT_SIZE, INPUT_SIZE), boxed.scale, 0.25, 0.45),
    )
}

fn clip_frame_rgb(clip: &str, index: usize) -> (Vec<u8>, usize, usize) {
    let frames = support::decode_file(&media(clip));
    let frame = &frames[index];
    let mut rgb = Vec::with_capacity((frame.width * frame.height * 3) as usize);
    for y in 0..frame.height {
        for x in 0..frame.width {
            rgb.extend(frame.rgb_at(x, y).unwrap());
        }
    }
    (rgb, frame.width as usize, frame.height as usize)
}

fn assert_matches(name: &str, found: &[Detection], expected: &[Detection]) {
    assert_eq!(
        found.len(),
        expected.len(),
        "{name}: {found:?}\nvs {expected:?}"
    );
    for want in expected {
        let best = found
            .iter()
            .filter(|d| d.class == want.class)
            .map(|d| (postprocess::iou(&d.bbox, &want.bbox), d.score))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((0.0, 0.0));
        assert!(best.0 >= 0.98, "{name}: {want:?} best IoU {}", best.0);
        assert!(
            (best.1 - want.score).abs() <= 0.01,
            "{name}: {want:?} score {}",
            best.1
        );
    }
}

#[test]
fn clip_frames_match_onnxruntime() {
    let net = network();
    for (name, clip, index) in [
        ("vtest-h264-high-frame100", "vtest-h264-high.mp4", 100),
        ("car-detection-frame200", "car-detection.mp4", 200),
    ] {
        let expected = reference(name);
        let (rgb, w, h) = clip_frame_rgb(clip, index);
        let (checksum, found) = detect(&net, &rgb, w, h);
        // Same decoded picture and the same letterbox as the reference script.
        let relative = (checksum - expected.input_checksum).abs() / expected.input_checksum;
        assert!(
            relative < 1e-6,
            "{name}: input checksum {checksum} vs {}",
            expected.input_checksum
        );
        assert_matches(name, &found, &expected.detections);
    }
}

#[test]
fn the_street_photo_matches_onnxruntime() {
    let net = network();
    let expected = reference("street-car-motorbike-plate");
    // The JPEG is decoded by libavcodec, as the reference script decodes it.
    let (rgb, w, h) = clip_frame_rgb("street-car-motorbike-plate.jpg", 0);
    let (checksum, found) = detect(&net, &rgb, w, h);
    let relative = (checksum - expected.input_checksum).abs() / expected.input_checksum;
    assert!(
        relative < 1e-6,
        "input checksum {checksum} vs {}",
        expected.input_checksum
    );
    assert_matches("street photo", &found, &expected.detections);
}

#[test]
fn a_wrong_model_is_refused_by_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("resources/models/plate-hyperlpr/y5fu_320x_sim.onnx");
    let model = Model::load(&path).unwrap();
    let err = YoloxNano::from_model(&model, &candle_core::Device::Cpu)
        .err()
        .expect("not YOLOX-nano")
        .to_string();
    assert!(err.starts_with("the model is not YOLOX-nano"), "{err}");
}

#[test]
fn candles_own_ops_as_on_a_gpu_match_onnxruntime_too() {
    // The network's path for other devices (candle's ops in place of the CPU kernels), run on
    // the CPU: the CUDA build runs this code.
    let net = network();
    let expected = reference("street-car-motorbike-plate");
    let (rgb, w, h) = clip_frame_rgb("street-car-motorbike-plate.jpg", 0);
    let (_, found) = dienbien_dispatch::detect::candle_ops_only(|| detect(&net, &rgb, w, h));
    assert_matches("street photo, candle's ops", &found, &expected.detections);
}

#[test]
fn every_product_kernel_this_processor_runs_matches_onnxruntime() {
    // The matrix-product kernels are chosen by the processor's features; each one this machine
    // can run gives the reference's boxes (the others compute the same sums, so whichever a
    // test beside this one meets while it switches, its boxes are right too).
    let net = network();
    let expected = reference("street-car-motorbike-plate");
    let (rgb, w, h) = clip_frame_rgb("street-car-motorbike-plate.jpg", 0);
    let kernels = Kernel::available();
    eprintln!("product kernels run here: {kernels:?}");
    for kernel in kernels {
        Kernel::choose(Some(kernel)).expect("a kernel this processor runs");
        let (_, found) = detect(&net, &rgb, w, h);
        assert_matches(
            &format!("street photo, {kernel:?}"),
            &found,
            &expected.detections,
        );
    }
    Kernel::choose(None).expect("the fastest kernel");
}

#[test]
fn a_batch_gives_each_picture_its_own_rows() {
    let net = network();
    let pictures = [
        clip_frame_rgb("street-car-motorbike-plate.jpg", 0),
        clip_frame_rgb("car-detection.mp4", 200),
    ];
    let inputs: Vec<Vec<f32>> = pictures
        .iter()
        .map(|(rgb, w, h)| letterbox(rgb, *w, *h).bgr_planar)
        .collect();
    let rows = |data: Vec<f32>, batch: usize| -> Vec<f32> {
        let input = input_tensor(data, batch, (INPUT_SIZE, INPUT_SIZE), net.device()).unwrap();
        let out = net.forward(&input).unwrap();
        assert_eq!(out.dims(), [batch, 3549, 85]);
        out.flatten_all().unwrap().to_vec1().unwrap()
    };
    let together = rows(inputs.concat(), 2);
    for (i, input) in inputs.into_iter().enumerate() {
        let alone = rows(input, 1);
        let part = &together[i * alone.len()..(i + 1) * alone.len()];
        let worst = alone
            .iter()
            .zip(part)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "picture {i}: rows differ by {worst}");
    }
}
