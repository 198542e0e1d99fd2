//! Detection benchmark (run with `cargo bench --bench detect`; needs `python3` with
//! `onnxruntime` and `numpy` from PyPI for the peer figures, and the shared model):
//! single-frame latency of the candle YOLOX-nano forward pass at 1 and 2 threads, side by side
//! with onnxruntime on the same model and input size in the same run, as a ratio; plus
//! pre/post-processing time. Medians of several runs; ratios are what to compare.

use dienbien_dispatch::detect::onnx::Model;
use dienbien_dispatch::detect::postprocess;
use dienbien_dispatch::detect::preprocess::letterbox;
use dienbien_dispatch::detect::yolox::{INPUT_SIZE, YoloxNano, input_tensor};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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

    let pre = median(RUNS, || {
        let _ = letterbox(picture.as_raw(), w as usize, h as usize);
    });
    let boxed = letterbox(picture.as_raw(), w as usize, h as usize);
    let input = input_tensor(
        boxed.bgr_planar.clone(),
        1,
        (INPUT_SIZE, INPUT_SIZE),
        net.device(),
    )
    .expect("input");
    let rows = rows(&net, &input);
    let post = median(RUNS, || {
        let _ = postprocess::decode(&rows, (INPUT_SIZE, INPUT_SIZE), boxed.scale, 0.25, 0.45);
    });

    println!("# YOLOX-nano 416×416 forward pass, CPU, median of {RUNS}");
    println!(
        "{:<8} {:>12} {:>14} {:>7}",
        "threads", "candle ms", "onnxruntime ms", "ratio"
    );
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let ours = pool.install(|| {
            median(RUNS, || {
                let _ = net.forward(&input).expect("forward");
            })
        });
        let peer = onnxruntime_ms(&model_path, threads);
        let ours_ms = ours.as_secs_f64() * 1000.0;
        match peer {
            Some(peer) => println!(
                "{threads:<8} {ours_ms:>12.1} {peer:>14.1} {:>6.2}×",
                ours_ms / peer
            ),
            None => println!("{threads:<8} {ours_ms:>12.1} {:>14} {:>7}", "n/a", "n/a"),
        }
    }
    println!(
        "letterbox of the 1920×1080 photo {:.1} ms, decode + NMS {:.2} ms",
        pre.as_secs_f64() * 1000.0,
        post.as_secs_f64() * 1000.0
    );
    gpu(&model, &boxed.bgr_planar);
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
        let per_batch = median(RUNS, || {
            let input = input_tensor(data.clone(), batch, (INPUT_SIZE, INPUT_SIZE), &device)
                .expect("input");
            assert!(!rows(&net, &input).is_empty());
        });
        println!(
            "batch {batch}: {:.2} ms per frame",
            per_batch.as_secs_f64() * 1000.0 / batch as f64
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

fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    work(); // warm-up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
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
