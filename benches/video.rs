//! Video benchmarks (run with `cargo bench --bench video`; needs the `ffmpeg` command for the
//! peer figures; the sample clips are those of resources/samples):
//!
//! 1. Decode frames/s of our pipeline (libavformat demux → libavcodec decode → tightly packed
//!    YUV planes) on the 768×576 clips and on 1080p clips generated here, side by side with
//!    `ffmpeg -threads 1 -i FILE -f null -` on the same file, reported as a ratio. Both decode on
//!    one thread.
//! 2. YUV upload + draw time per tile for a 4×4 wall (16 tiles, every tile a new 768×576
//!    frame each time), rendered offscreen on whatever adapter wgpu picks (lavapipe here).
//! 3. RTSP-to-texture latency: GStreamer's RTSP server (tests/support/rtsp_server.py) streams
//!    a clip on 127.0.0.1; each picture's send time comes from the server's RTCP sender
//!    reports (RTP time ↔ NTP wall time); latency is measured when the picture, decoded, has
//!    been uploaded and drawn into a texture (read-back included).
//!
//! The median of several runs is reported; machines are noisy, ratios are what to compare.

use dienbien_dispatch::domain::StreamUrl;
use dienbien_dispatch::offscreen::OffscreenRenderer;
use dienbien_dispatch::ui::VideoTileCallback;
use dienbien_dispatch::video::{Decoder, FileSource, RtspOptions, RtspSource, VideoSource as _};
use eframe::egui_wgpu;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let media = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/samples");
    let work = Path::new(env!("CARGO_TARGET_DIR_HINT")).join("bench-media");
    println!("# Decode: ours vs ffmpeg -threads 1 (frames/s, median of {RUNS})");
    println!(
        "{:<34} {:>7} {:>10} {:>10} {:>7}",
        "clip", "frames", "ours", "ffmpeg", "ratio"
    );
    let mut clips: Vec<PathBuf> = [
        "vtest-h264-baseline.mp4",
        "vtest-h264-high.mp4",
        "vtest-h265.mp4",
    ]
    .iter()
    .map(|c| media.join(c))
    .collect();
    clips.extend(generated_1080p(&work));
    for clip in &clips {
        let (frames, ours) = median_fps(|| decode_ours(clip));
        let peer = ffmpeg_fps(clip, frames);
        let name = clip.file_name().unwrap_or_default().to_string_lossy();
        match peer {
            Some(peer) => println!(
                "{name:<34} {frames:>7} {ours:>10.1} {peer:>10.1} {:>6.2}×",
                ours / peer
            ),
            None => println!(
                "{name:<34} {frames:>7} {ours:>10.1} {:>10} {:>7}",
                "n/a", "n/a"
            ),
        }
    }
    println!();
    wall_upload_and_draw(&media.join("vtest-h264-high.mp4"));
    println!();
    rtsp_to_texture_latency(&media.join("vtest-h264-high.mp4"));
}

fn rtsp_to_texture_latency(clip: &Path) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/rtsp_server.py");
    let mut server = match Command::new("/usr/bin/python3")
        .arg(script)
        .args(["--port", &port.to_string(), "--codec", "h264", "--file"])
        .arg(clip)
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            println!("# RTSP latency: skipped (cannot start the RTSP test server: {e})");
            return;
        }
    };
    std::thread::sleep(Duration::from_secs(2));
    let result = measure_latency(port);
    let _ = server.kill();
    let _ = server.wait();
    match result {
        Ok(mut latencies) if !latencies.is_empty() => {
            latencies.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "# RTSP-to-texture latency over 127.0.0.1 ({} pictures, H.264 High 768×576): median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
                latencies.len(),
                ms(latencies[latencies.len() / 2]),
                ms(latencies[latencies.len() * 95 / 100]),
                ms(latencies[latencies.len() - 1])
            );
        }
        Ok(_) => println!("# RTSP latency: no sender report arrived"),
        Err(e) => println!("# RTSP latency: failed: {e}"),
    }
}

fn measure_latency(port: u16) -> Result<Vec<Duration>, String> {
    let renderer = OffscreenRenderer::new().map_err(|e| e.to_string())?;
    let url =
        StreamUrl::parse(&format!("rtsp://127.0.0.1:{port}/cam")).map_err(|e| e.to_string())?;
    let mut source =
        RtspSource::connect(&url, &RtspOptions::default()).map_err(|e| e.to_string())?;
    let mut decoder = Decoder::new(&source.decoder_config()).map_err(|e| e.to_string())?;
    let ctx = egui::Context::default();
    let mut frames = Vec::new();
    let mut latencies = Vec::new();
    for sequence in 0..120u64 {
        let unit = source
            .next_unit()
            .ok_or("stream ended")?
            .map_err(|e| e.to_string())?;
        decoder
            .decode(&unit, &mut frames)
            .map_err(|e| e.to_string())?;
        for frame in frames.drain(..) {
            let pts = frame.pts_90k;
            let frame = Arc::new(frame);
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(768.0, 576.0),
                )),
                ..Default::default()
            };
            let mut output = ctx.run_ui(input, |ui| {
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                    ui.max_rect(),
                    VideoTileCallback {
                        tile: 0,
                        sequence,
                        frame: Arc::clone(&frame),
                        target_format: renderer.target_format(),
                    },
                ));
            });
            renderer.apply_textures(&mut output.textures_delta);
            renderer.render(&ctx, &output).map_err(|e| e.to_string())?;
            if let Some(sent) = source.send_time(pts)
                && let Ok(latency) = std::time::SystemTime::now().duration_since(sent)
                && sequence > 20
            {
                latencies.push(latency);
            }
        }
    }
    Ok(latencies)
}

/// 1080p H.264 High (B-frames) and H.265 clips, 10 s at 25 fps, made once with ffmpeg.
fn generated_1080p(dir: &Path) -> Vec<PathBuf> {
    let _ = std::fs::create_dir_all(dir);
    let mut made = Vec::new();
    for (name, codec_args) in [
        (
            "testsrc2-1080p-h264-high.mp4",
            vec!["-c:v", "libx264", "-profile:v", "high", "-bf", "2"],
        ),
        (
            "testsrc2-1080p-h265.mp4",
            vec!["-c:v", "libx265", "-x265-params", "log-level=error"],
        ),
    ] {
        let path = dir.join(name);
        if !path.exists() {
            let status = Command::new("ffmpeg")
                .args([
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                ])
                .arg("testsrc2=size=1920x1080:rate=25")
                .args(["-t", "10", "-pix_fmt", "yuv420p"])
                .args(&codec_args)
                .arg(&path)
                .status();
            if !status.is_ok_and(|s| s.success()) {
                eprintln!("note: cannot generate {name} (is ffmpeg installed?); skipped");
                continue;
            }
        }
        made.push(path);
    }
    made
}

fn decode_ours(path: &Path) -> (usize, Duration) {
    let started = Instant::now();
    let mut source = FileSource::open(path).expect("clip opens");
    let mut decoder = Decoder::new(&source.decoder_config()).expect("decoder");
    let mut frames = Vec::new();
    let mut count = 0;
    while let Some(unit) = source.next_unit() {
        decoder
            .decode(&unit.expect("read"), &mut frames)
            .expect("decode");
        count += frames.len();
        frames.clear();
    }
    decoder.finish(&mut frames).expect("flush");
    count += frames.len();
    (count, started.elapsed())
}

fn median_fps(mut run: impl FnMut() -> (usize, Duration)) -> (usize, f64) {
    let mut rates = Vec::new();
    let mut frames = 0;
    for _ in 0..RUNS {
        let (n, elapsed) = run();
        frames = n;
        rates.push(n as f64 / elapsed.as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    (frames, rates[RUNS / 2])
}

fn ffmpeg_fps(path: &Path, frames: usize) -> Option<f64> {
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-threads", "1", "-i"])
            .arg(path)
            .args(["-f", "null", "-"])
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        rates.push(frames as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    Some(rates[RUNS / 2])
}

fn wall_upload_and_draw(clip: &Path) {
    let renderer = match OffscreenRenderer::new() {
        Ok(r) => r,
        Err(e) => {
            println!("# Wall: skipped ({e})");
            return;
        }
    };
    let mut source = FileSource::open(clip).expect("clip opens");
    let mut decoder = Decoder::new(&source.decoder_config()).expect("decoder");
    let mut frames = Vec::new();
    while frames.len() < 40 {
        let Some(unit) = source.next_unit() else {
            break;
        };
        decoder
            .decode(&unit.expect("read"), &mut frames)
            .expect("decode");
    }
    let frames: Vec<Arc<_>> = frames.into_iter().map(Arc::new).collect();
    let ctx = egui::Context::default();
    let size = egui::vec2(1920.0, 1080.0);
    let format = renderer.target_format();
    let mut times = Vec::new();
    for iteration in 0..30u64 {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| {
            let tile = size / 4.0;
            for i in 0..16u64 {
                let min = egui::pos2((i % 4) as f32 * tile.x, (i / 4) as f32 * tile.y);
                let frame = &frames[((iteration + i) % frames.len() as u64) as usize];
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                    egui::Rect::from_min_size(min, tile),
                    VideoTileCallback {
                        tile: i,
                        // A new sequence every iteration: every tile uploads a frame.
                        sequence: iteration,
                        frame: Arc::clone(frame),
                        target_format: format,
                    },
                ));
            }
        });
        renderer.apply_textures(&mut output.textures_delta);
        let started = Instant::now();
        renderer.render(&ctx, &output).expect("render");
        if iteration >= 5 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "# Wall: 16 tiles × 768×576, upload + draw + read-back of a 1920×1080 frame on {}",
        renderer.adapter_name()
    );
    println!(
        "median {:.2} ms per frame, {:.3} ms per tile (read-back included; a window presents instead)",
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() * 1000.0 / 16.0
    );
}
