//! Plate reading on one CPU thread (issue 17's goal: ≤ 10 ms a plate): rectify + read of a
//! one-row and a two-row plate, and detect + read of a 1280×720 picture holding one plate.
//! Run: `cargo bench --bench plates`; say which CPU with the figures.

use candle_core::Device;
use criterion::{BenchmarkId, Criterion};
use dienbien_dispatch::detect::onnx::Model;
use dienbien_dispatch::detect::onnx_graph::Graph;
use dienbien_dispatch::domain::PlateColour;
use dienbien_dispatch::plates::PlateReader;
use dienbien_dispatch::plates::synth::{Difficulty, Rng, SynthLayout, generate};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn main() {
    // Candle's element-wise ops run on a barrier pool of its own, sized by this variable (read
    // once, when the pool starts) and blind to the rayon pool installed below: without it a
    // helper thread shares those ops and spins on the second core, and the figure is not one
    // thread's.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: the first statement of `main`, before any thread is started.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/models");
    let reader = PlateReader::load(&models).expect("the plate reader");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let clean = Difficulty {
        skew: 0.1,
        blur: 0.5,
        noise: 4.0,
        ..Difficulty::clean(48.0)
    };
    let mut rng = Rng::new(9);
    let one_row = generate(&mut rng, SynthLayout::OneRowCar, PlateColour::White, &clean);
    let two_rows = generate(&mut rng, SynthLayout::Motorbike, PlateColour::White, &clean);
    // The one-row plate in a street-sized picture of grey.
    let mut street = image::RgbImage::from_pixel(1280, 720, image::Rgb([110, 112, 115]));
    image::imageops::replace(&mut street, &one_row.picture, 600, 420);

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let mut group = c.benchmark_group("plates_1_thread");
    for (name, plate) in [("one row", &one_row), ("two rows", &two_rows)] {
        group.bench_function(BenchmarkId::new("rectify + read", name), |b| {
            b.iter(|| {
                pool.install(|| {
                    black_box(
                        reader
                            .read_at(&plate.picture, &plate.corners, None)
                            .expect("read"),
                    )
                })
            })
        });
    }
    group.bench_function(BenchmarkId::new("detect + read", "1280x720"), |b| {
        b.iter(|| pool.install(|| black_box(reader.read_picture(&street).expect("read"))))
    });
    group.finish();
    // The recogniser's graph fused (scales folded into convolutions, elementwise tails in one
    // pass) against the same graph run node by node as exported, on one one-row plate input.
    let model = Model::parse(dienbien_dispatch::detect::bundled::TEXT_RECOGNISER)
        .expect("the built-in recogniser");
    let input = dienbien_dispatch::plates::recogniser::TextRecogniser::input(&one_row.picture)
        .expect("the recogniser's input");
    let size = format!("48x{}", input.dims().last().copied().unwrap_or(0));
    let mut group = c.benchmark_group("recogniser_graph_1_thread");
    for (name, graph) in [
        ("fused", Graph::new(&model, &Device::Cpu)),
        ("exported", Graph::unfused(&model, &Device::Cpu)),
    ] {
        group.bench_function(BenchmarkId::new(name, &size), |b| {
            b.iter(|| {
                pool.install(|| {
                    black_box(
                        graph
                            .run("x", input.clone(), "softmax_11.tmp_0")
                            .expect("run"),
                    )
                })
            })
        });
    }
    group.finish();
    c.final_summary();
}
