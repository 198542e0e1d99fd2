//! Detection benchmark (criterion; `cargo bench --bench detect`; the peer figures need
//! `python3` with `onnxruntime` and `numpy` from PyPI, and the shared model):
//! - the YOLOX-nano 416×416 forward pass on the CPU at 1 and 2 threads with this crate's CPU
//!   kernels, and at 1 thread with candle's own ops in their place (what the kernels gain;
//!   candle's element-wise ops then also use a thread pool of their own);
//! - letterboxing a 1920×1080 photo, and grid decode + NMS;
//! - then, in the same run, onnxruntime on the same model and input size at 1 and 2 threads,
//!   and the ratio of the medians (these machines are noisy: compare ratios, not times);
//! - with `--features cuda` and an NVIDIA GPU, the pass on the GPU at batch 1 and 8.

use criterion::{BenchmarkId, Criterion, SamplingMode};
use dienbien_dispatch::detect::candle_ops_only;
use dienbien_dispatch::detect::onnx::Model;
use dienbien_dispatch::detect::postprocess;
use dienbien_dispatch::detect::preprocess::letterbox;
use dienbien_dispatch::detect::yolox::{INPUT_SIZE, YoloxNano, input_tensor};
use std::cell::RefCell;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs of the peer (onnxruntime) and of the GPU pass.
const RUNS: usize = 15;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let model_path = shared.join("models/yolox-nano/yolox_nano.onnx");
    let model = Model::load(&model_path).expect("the shared YOLOX-nano model");
    let net = YoloxNano::from_model(&model, &candle_core::Device::Cpu).expect("network");
    let picture = image::open(shared.join("media/street-car-motorbike-plate.jpg"))
        .expect("street photo")
        .to_rgb8();
    let (w, h) = picture.dimensions();
    let boxed = letterbox(picture.as_raw(), w as usize, h as usize);
    let input = input_tensor(
        boxed.bgr_planar.clone(),
        1,
        (INPUT_SIZE, INPUT_SIZE),
        net.device(),
    )
    .expect("input");

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    // Per-iteration times of each measurement, for the ratio against the peer.
    let mut ours = Vec::new();
    {
        let mut group = c.benchmark_group("yolox_nano_416_cpu");
        for (name, threads, candle_ops) in [
            ("kernels", 1, false),
            ("kernels", 2, false),
            ("candle ops", 1, true),
        ] {
            if candle_ops {
                // About 0.3 s a pass: ten passes, one per sample.
                group.sample_size(10).sampling_mode(SamplingMode::Flat);
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let times = RefCell::new(Vec::new());
            let id = BenchmarkId::new(name, format!("{threads} thread(s)"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let elapsed = pool.install(|| {
                        let pass = || {
                            let started = Instant::now();
                            for _ in 0..iters {
                                black_box(net.forward(&input).expect("forward"));
                            }
                            started.elapsed()
                        };
                        if candle_ops {
                            candle_ops_only(pass)
                        } else {
                            pass()
                        }
                    });
                    times.borrow_mut().push(elapsed / iters.max(1) as u32);
                    elapsed
                })
            });
            ours.push((name, threads, median_ms(times.into_inner())));
        }
        group.finish();
    }
    c.bench_function("letterbox 1920x1080", |b| {
        b.iter(|| letterbox(black_box(picture.as_raw()), w as usize, h as usize))
    });
    let rows = rows(&net, &input);
    c.bench_function("decode + nms", |b| {
        b.iter(|| {
            postprocess::decode(
                black_box(&rows),
                (INPUT_SIZE, INPUT_SIZE),
                boxed.scale,
                0.25,
                0.45,
            )
        })
    });

    println!(
        "\n# YOLOX-nano 416×416 forward pass, CPU: medians of the samples above, and the peer"
    );
    println!(
        "{:<22} {:>10} {:>16} {:>7}",
        "", "ms", "onnxruntime ms", "ratio"
    );
    let mut peers = std::collections::BTreeMap::new();
    for (name, threads, ms) in &ours {
        let peer = *peers
            .entry(*threads)
            .or_insert_with(|| onnxruntime_ms(&model_path, *threads));
        let label = format!("{name}, {threads} thread(s)");
        match peer {
            Some(peer) => println!("{label:<22} {ms:>10.1} {peer:>16.1} {:>6.2}×", ms / peer),
            None => println!("{label:<22} {ms:>10.1} {:>16} {:>7}", "n/a", "n/a"),
        }
    }
    if let (Some((_, _, kernels)), Some((_, _, generic))) = (ours.first(), ours.last()) {
        println!(
            "the CPU kernels: {:.1}× faster than candle's own ops (1 thread)",
            generic / kernels
        );
    }
    gpu(&model, &boxed.bgr_planar);
    c.final_summary();
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |t| t.as_secs_f64() * 1000.0)
}

/// With a build that has the `cuda` feature and a GPU: the forward pass on GPU 0 at batch 1
/// and 8 (per frame), including the upload of the input and the copy of the rows back.
fn gpu(model: &Model, planar: &[f32]) {
    let device = match candle_core::Device::cuda_if_available(0) {
        Ok(device) if device.is_cuda() => device,
        _ => {
            println!("GPU: none (build with --features cuda on a machine with an NVIDIA GPU)");
            return;
        }
    };
    let net = YoloxNano::from_model(model, &device).expect("network on the GPU");
    println!("# the same pass on CUDA GPU 0, input upload and rows download included");
    for batch in [1, 8] {
        let data: Vec<f32> = planar
            .iter()
            .copied()
            .cycle()
            .take(batch * planar.len())
            .collect();
        let pass = || {
            let started = Instant::now();
            let input = input_tensor(data.clone(), batch, (INPUT_SIZE, INPUT_SIZE), &device)
                .expect("input");
            assert!(!rows(&net, &input).is_empty());
            started.elapsed()
        };
        pass(); // warm-up
        let per_batch = median_ms((0..RUNS).map(|_| pass()).collect());
        println!(
            "batch {batch}: {:.2} ms per frame",
            per_batch / batch as f64
        );
    }
}

/// The network's output rows for `input`, copied to the host.
fn rows(net: &YoloxNano, input: &candle_core::Tensor) -> Vec<f32> {
    net.forward(input)
        .expect("forward")
        .flatten_all()
        .expect("flatten")
        .to_vec1()
        .expect("rows")
}

/// Median milliseconds of onnxruntime's `run` on a random 1×3×416×416 input.
fn onnxruntime_ms(model: &Path, threads: usize) -> Option<f64> {
    let script = format!(
        "import time, numpy as np, onnxruntime as ort\n\
         o = ort.SessionOptions(); o.intra_op_num_threads = {threads}; o.inter_op_num_threads = 1\n\
         s = ort.InferenceSession(r'{}', o, providers=['CPUExecutionProvider'])\n\
         x = np.random.default_rng(1).uniform(0, 255, (1, 3, 416, 416)).astype(np.float32)\n\
         s.run(None, {{'images': x}})\n\
         t = []\n\
         for _ in range({RUNS}):\n    a = time.perf_counter(); s.run(None, {{'images': x}}); t.append(time.perf_counter() - a)\n\
         print(sorted(t)[len(t) // 2] * 1000)\n",
        model.display()
    );
    let output = Command::new("python3")
        .args(["-c", &script])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "note: onnxruntime unavailable: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}
