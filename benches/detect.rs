//! Detection benchmark (criterion; `cargo bench --bench detect`; the peer figures need
//! `python3` with `onnxruntime` and `numpy` from PyPI):
//! - the YOLOX-nano 416×416 forward pass on the CPU at 1 and 2 threads with this crate's CPU
//!   kernels, and at 1 thread with candle's own ops in their place (what the kernels gain;
//!   candle's element-wise ops then also use a thread pool of their own);
//! - letterboxing a 1920×1080 photo, and grid decode + NMS;
//! - then, in the same run, the pass against onnxruntime on the same model and input at 1 and
//!   2 threads, in alternating rounds, as ratios (these machines are noisy: compare ratios);
//! - with `--features cuda` and an NVIDIA GPU, the pass on the GPU at batch 1 and 8.
//!
//! Under criterion's `--profile-time` (for `perf record`) only the criterion benchmarks run.

use candle_core::Tensor;
use criterion::{BenchmarkId, Criterion, SamplingMode};
use dienbien_dispatch::detect::candle_ops_only;
use dienbien_dispatch::detect::onnx::Model;
use dienbien_dispatch::detect::postprocess;
use dienbien_dispatch::detect::preprocess::letterbox;
use dienbien_dispatch::detect::product::Kernel;
use dienbien_dispatch::detect::team::Team;
use dienbien_dispatch::detect::yolox::{INPUT_SIZE, YoloxNano, input_tensor};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs of the GPU pass.
const RUNS: usize = 15;
/// The pause before each side's round against the peer.
const SETTLE: Duration = Duration::from_millis(50);

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model_path = root.join("resources/models/yolox-nano/yolox_nano.onnx");
    let model = Model::load(&model_path).expect("the YOLOX-nano model of resources/models");
    let net = YoloxNano::from_model(&model, &candle_core::Device::Cpu).expect("network");
    let picture = image::open(root.join("resources/samples/street-car-motorbike-plate.jpg"))
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
            let threads = Threads::new(threads, candle_ops);
            let id = BenchmarkId::new(name, format!("{} thread(s)", threads.count()));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    threads.run(|| {
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
                    })
                })
            });
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

    if std::env::args().any(|a| a == "--profile-time") {
        return;
    }
    against_onnxruntime(&net, &input, &model_path, &boxed.bgr_planar);
    gpu(&model, &boxed.bgr_planar);
    c.final_summary();
}

/// The threads a pass runs on: the detector's team for our kernels (as the `Detector` runs
/// them), a rayon pool of as many for candle's own ops.
enum Threads {
    Team(Team),
    Pool(rayon::ThreadPool),
}

impl Threads {
    fn new(count: usize, candle_ops: bool) -> Self {
        if candle_ops {
            Threads::Pool(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(count)
                    .build()
                    .expect("thread pool"),
            )
        } else {
            Threads::Team(Team::new(count).expect("detector team"))
        }
    }

    fn count(&self) -> usize {
        match self {
            Threads::Team(team) => team.threads(),
            Threads::Pool(pool) => pool.current_num_threads(),
        }
    }

    fn run<R: Send>(&self, pass: impl FnOnce() -> R + Send) -> R {
        match self {
            Threads::Team(team) => team.run(pass),
            Threads::Pool(pool) => pool.install(pass),
        }
    }
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

/// The forward pass against onnxruntime on the same model and input, in alternating rounds
/// (so that a slow spell of this noisy machine falls on both): each round one pass to warm the
/// caches again, then the median of a few passes, for each side; the ratio printed is the
/// median of the rounds' ratios.
fn against_onnxruntime(net: &YoloxNano, input: &Tensor, model: &Path, planar: &[f32]) {
    let input_file =
        std::env::temp_dir().join(format!("dienbien-bench-{}.f32", std::process::id()));
    let bytes: Vec<u8> = planar.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input_file, bytes).expect("input for onnxruntime");
    println!("\n# YOLOX-nano 416×416 forward pass, CPU, against onnxruntime in alternating rounds");
    println!(
        "{:<26} {:>10} {:>16} {:>7}",
        "", "ms", "onnxruntime ms", "ratio"
    );
    let mut ours_1 = Vec::new();
    let best = Kernel::current();
    let mut sides: Vec<(String, usize, Option<Kernel>, usize, usize)> = Kernel::available()
        .into_iter()
        .map(|k| (format!("{k:?}"), 1, Some(k), 9, 7))
        .collect();
    sides.insert(1, (format!("{best:?}"), 2, Some(best), 9, 7));
    sides.push(("candle ops".into(), 1, None, 3, 1));
    for (name, threads, kernel, rounds, passes) in sides {
        let candle_ops = kernel.is_none();
        Kernel::choose(kernel).expect("a kernel this processor runs");
        let pool = Threads::new(threads, candle_ops);
        let mut peer = Peer::start(model, &input_file, threads);
        let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            // Idle worker threads of the other side spin a while before they sleep: let them.
            std::thread::sleep(SETTLE);
            let ms = pool.run(|| {
                let run = || {
                    // A first pass to bring the caches back (the peer's round evicted them).
                    black_box(net.forward(input).expect("forward"));
                    median_ms(
                        (0..passes)
                            .map(|_| {
                                let started = Instant::now();
                                black_box(net.forward(input).expect("forward"));
                                started.elapsed()
                            })
                            .collect(),
                    )
                };
                if candle_ops {
                    candle_ops_only(run)
                } else {
                    run()
                }
            });
            ours.push(ms);
            std::thread::sleep(SETTLE);
            if let Some(peer_ms) = peer.as_mut().and_then(|p| p.median_ms(passes.max(5))) {
                theirs.push(peer_ms);
                ratios.push(ms / peer_ms);
            }
        }
        let label = format!("{name}, {threads} thread(s)");
        let ms = median(ours);
        if ratios.is_empty() {
            println!("{label:<26} {ms:>10.1} {:>16} {:>7}", "n/a", "n/a");
        } else {
            let (peer_ms, ratio) = (median(theirs), median(ratios));
            println!("{label:<26} {ms:>10.1} {peer_ms:>16.1} {ratio:>6.2}×");
        }
        if kernel == Some(best) && threads == 1 {
            ours_1.push(ms);
        } else if candle_ops && let Some(&kernels) = ours_1.first() {
            println!(
                "the CPU kernels: {:.1}× faster than candle's own ops on 1 thread",
                ms / kernels
            );
        }
    }
    Kernel::choose(None).expect("the fastest kernel");
    let _ = std::fs::remove_file(&input_file);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// onnxruntime (Python, from PyPI) kept running beside the benchmark: it loads the model and
/// the input once, then, a line at a time, runs one pass to warm up and times as many as it is
/// asked for.
struct Peer {
    child: Child,
    requests: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Peer {
    fn start(model: &Path, input: &Path, threads: usize) -> Option<Self> {
        let script = format!(
            "import sys, time, numpy as np, onnxruntime as ort\n\
             o = ort.SessionOptions(); o.intra_op_num_threads = {threads}; o.inter_op_num_threads = 1\n\
             s = ort.InferenceSession(r'{}', o, providers=['CPUExecutionProvider'])\n\
             x = np.fromfile(r'{}', dtype='<f4').reshape(1, 3, 416, 416)\n\
             s.run(None, {{'images': x}})\n\
             print('ready', flush=True)\n\
             for line in sys.stdin:\n\
             \x20   s.run(None, {{'images': x}})\n\
             \x20   t = []\n\
             \x20   for _ in range(int(line)):\n\
             \x20       a = time.perf_counter(); s.run(None, {{'images': x}}); t.append(time.perf_counter() - a)\n\
             \x20   print(sorted(t)[len(t) // 2] * 1000, flush=True)\n",
            model.display(),
            input.display()
        );
        let mut child = Command::new("python3")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let mut answers = BufReader::new(child.stdout.take()?);
        let mut line = String::new();
        let _ = answers.read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let mut why = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut why);
            }
            let _ = child.wait();
            eprintln!(
                "note: onnxruntime unavailable: {}",
                why.lines().last().unwrap_or("python3 did not start")
            );
            return None;
        }
        let requests = child.stdin.take()?;
        Some(Self {
            child,
            requests,
            answers,
        })
    }

    /// The median of `runs` passes, in milliseconds.
    fn median_ms(&mut self, runs: usize) -> Option<f64> {
        writeln!(self.requests, "{runs}").ok()?;
        self.requests.flush().ok()?;
        let mut line = String::new();
        self.answers.read_line(&mut line).ok()?;
        line.trim().parse().ok()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
