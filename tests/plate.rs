//! The licence-plate detector run by the ONNX graph executor on candle: the same output as
//! onnxruntime on a synthetic input (fixture from tests/support/plate_reference.py), and a
//! plate found on the street photo.

use dienbien_dispatch::detect::plate::{PlateDetector, PlateError};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/models")
}

#[test]
fn the_graph_executor_gives_what_onnxruntime_gives() {
    let detector = PlateDetector::load(&models()).unwrap();
    let mut data = vec![0f32; 3 * 320 * 320];
    for c in 0..3usize {
        for y in 0..320usize {
            for x in 0..320usize {
                data[c * 320 * 320 + y * 320 + x] =
                    ((x * 7 + y * 13 + c * 29) % 256) as f32 / 255.0;
            }
        }
    }
    let input =
        candle_core::Tensor::from_vec(data, (1, 3, 320, 320), &candle_core::Device::Cpu).unwrap();
    let out: Vec<Vec<f32>> = detector.run(input).unwrap().to_vec2().unwrap();
    assert_eq!((out.len(), out[0].len()), (6300, 15));
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plate/synthetic.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for row in fixture["top_by_objectness"].as_array().unwrap() {
        let index = row["index"].as_u64().unwrap() as usize;
        for (k, expected) in row["values"].as_array().unwrap().iter().enumerate() {
            let expected = expected.as_f64().unwrap() as f32;
            let got = out[index][k];
            let tolerance = 1e-3 * expected.abs().max(1.0);
            assert!(
                (got - expected).abs() <= tolerance,
                "row {index} column {k}: {got} vs onnxruntime {expected}"
            );
        }
    }
    let sum: f64 = out.iter().flatten().map(|v| f64::from(*v)).sum();
    let expected = fixture["sum"].as_f64().unwrap();
    assert!(
        (sum - expected).abs() / expected.abs() < 1e-4,
        "{sum} vs {expected}"
    );
}

#[test]
fn a_plate_is_found_on_the_street_photo_and_a_wrong_file_is_refused() {
    let detector = PlateDetector::load(&models()).unwrap();
    let photo = image::open(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("resources/samples/street-car-motorbike-plate.jpg"),
    )
    .unwrap()
    .to_rgb8();
    let plates = detector.detect(&photo, 0.5).unwrap();
    assert!(!plates.is_empty(), "no plate found");
    let best = &plates[0];
    let (w, h) = photo.dimensions();
    assert!(
        best.bbox[0] >= -2.0 && best.bbox[2] <= w as f32 + 2.0 && best.bbox[3] <= h as f32 + 2.0
    );
    let (pw, ph) = (best.bbox[2] - best.bbox[0], best.bbox[3] - best.bbox[1]);
    assert!(
        pw > ph && pw < w as f32 / 2.0,
        "a plate is wide and small: {best:?}"
    );
    // The YOLOX file is not the plate model.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("plate-hyperlpr");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::copy(
        models().join("yolox-nano/yolox_nano.onnx"),
        fake.join("y5fu_320x_sim.onnx"),
    )
    .unwrap();
    assert!(matches!(
        PlateDetector::load(dir.path()),
        Err(PlateError::Checksum { .. })
    ));
}

#[test]
fn the_close_up_is_the_plate_enlarged_and_nothing_without_a_plate() {
    let detector = PlateDetector::load(&models()).unwrap();
    let photo = image::open(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("resources/samples/street-car-motorbike-plate.jpg"),
    )
    .unwrap()
    .to_rgb8();
    let (close_up, plate) =
        dienbien_dispatch::evidence::plate_close_up(&detector, &photo, None).expect("a close-up");
    assert!(close_up.width() >= 360 && close_up.width() > close_up.height());
    // Searching only inside a box elsewhere finds nothing; a plain grey picture neither.
    let (w, h) = photo.dimensions();
    let away = if plate.bbox[0] > w as f32 / 2.0 {
        [0.0, 0.0, w as f32 / 4.0, h as f32 / 4.0]
    } else {
        [w as f32 * 0.75, 0.0, w as f32, h as f32 / 4.0]
    };
    assert!(dienbien_dispatch::evidence::plate_close_up(&detector, &photo, Some(away)).is_none());
    let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    assert!(dienbien_dispatch::evidence::plate_close_up(&detector, &grey, None).is_none());
}
