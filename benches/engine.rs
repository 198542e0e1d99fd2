//! Engine capacity (run with `cargo bench --bench engine`; needs the sample clips and models
//! of resources/ and GStreamer's RTSP server, as the tests do): one engine on N cameras
//! served over RTSP on 127.0.0.1 by `tests/support/rtsp_server.py`, each camera recorded and
//! searched at 5 per second with tracking and the rules of the campus geometry, as `serve`
//! runs them. For each N it reports, over a measured window after a warm-up:
//!
//! - the CPU share of the whole engine and, per camera, of its ingest (decode) and recording
//!   threads, and of the detector (its thread and its pool) divided among the cameras,
//!   from each thread's CPU time in `/proc/self/task`;
//! - searches dealt with per second (searched, or skipped because nothing moved) against the
//!   5 asked, the slowest camera's, and frames the detector never saw;
//! - pictures decoded per second against pictures received (the slowest camera's), and
//!   recording: the share of time its segments cover, and the gaps between segments.
//!
//! N "holds" when every camera gets at least 80 % of its searches, decodes every picture and
//! records without a gap. Environment: `BENCH_CAMERAS` (default `4,8,12,16`),
//! `BENCH_SECS` (measured seconds, default 30), `BENCH_CLIP` (default the 768×576
//! `vtest-h264-high.mp4`; a path for another clip, e.g. a 1080p one), `BENCH_FOCUS=off` (search
//! without the junction's focus, as before it existed).

use dienbien_dispatch::analytics::{DetectorOptions, DetectorService};
use dienbien_dispatch::config::{CameraCredentials, DetectConfig, EngineConfig};
use dienbien_dispatch::domain::geometry::JunctionGeometry;
use dienbien_dispatch::engine::{Engine, EngineSettings};
use dienbien_dispatch::ingest::IngestOptions;
use dienbien_dispatch::registry::parse_csv;
use dienbien_dispatch::service::{RulesSetup, VideoStreams};
use dienbien_dispatch::store::{DatabaseLocation, Store};
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WARM_UP: Duration = Duration::from_secs(12);

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let counts: Vec<usize> = std::env::var("BENCH_CAMERAS")
        .unwrap_or_else(|_| "4,8,12,16".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let seconds: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let clip = std::env::var("BENCH_CLIP")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("resources/samples/vtest-h264-high.mp4"));
    let cpu = dienbien_dispatch::detect::detector::cpu_model();
    println!(
        "# Engine capacity: {} over RTSP, {} cores ({cpu}), {seconds} s measured after {} s",
        clip.file_name().unwrap_or_default().to_string_lossy(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        WARM_UP.as_secs()
    );
    println!(
        "{:>3} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>9} {:>8} {:>6} {:>8}  holds",
        "N",
        "cpu %",
        "decode%",
        "record%",
        "detect%",
        "search/s",
        "slowest",
        "unseen",
        "decoded",
        "recorded",
        "gaps",
        "server%"
    );
    let mut largest = None;
    for n in counts {
        match run(root, &clip, n, Duration::from_secs(seconds)) {
            Ok(row) => {
                let holds = row.holds();
                println!(
                    "{n:>3} {:>7.1} {:>8.1} {:>8.2} {:>8.1} {:>9.2} {:>9.2} {:>8} {:>8.1}% {:>7.1}% {:>6} {:>8.1}  {}",
                    row.cpu_share * 100.0,
                    row.decode_share_per_camera * 100.0,
                    row.record_share_per_camera * 100.0,
                    row.detect_share_per_camera * 100.0,
                    row.searches_per_s,
                    row.slowest_searches_per_s,
                    row.unseen,
                    row.decoded_share * 100.0,
                    row.recorded_share * 100.0,
                    row.gaps,
                    row.server_share * 100.0,
                    if holds { "yes" } else { "no" }
                );
                if holds {
                    largest = Some(n);
                }
            }
            Err(e) => println!("{n:>3} failed: {e}"),
        }
    }
    match largest {
        Some(n) => println!("largest N that holds: {n}"),
        None => println!("no N held"),
    }
}

/// What one run measured (shares of one core; per camera unless said).
struct Row {
    cpu_share: f64,
    decode_share_per_camera: f64,
    record_share_per_camera: f64,
    detect_share_per_camera: f64,
    searches_per_s: f64,
    slowest_searches_per_s: f64,
    unseen: u64,
    decoded_share: f64,
    recorded_share: f64,
    gaps: usize,
    /// The RTSP server's CPU (one core's share; it runs on the same machine).
    server_share: f64,
}

impl Row {
    fn holds(&self) -> bool {
        self.slowest_searches_per_s >= 0.8 * 5.0
            && self.decoded_share >= 0.95
            && self.recorded_share >= 0.95
            && self.gaps == 0
    }
}

fn run(root: &Path, clip: &Path, n: usize, window: Duration) -> Result<Row, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut server = RtspServer::start(root, clip)?;
    let location = DatabaseLocation::Sqlite(dir.path().join("bench.db"));
    let (mut store, _) = Store::open_seeded(&location).map_err(|e| e.to_string())?;
    let mut csv = String::from("code,name,kind,lat_deg,lon_deg,junction_code,main_url\n");
    let codes: Vec<String> = (1..=n).map(|i| format!("B{i:02}")).collect();
    for code in &codes {
        csv.push_str(&format!(
            "{code},Bench {code},enforcement,21.3858,103.0205,DBP-J-A1,rtsp://127.0.0.1:{}/cam\n",
            server.port
        ));
    }
    disable_every_camera(&location)?;
    let registry = parse_csv(&csv).map_err(|e| format!("{e:?}"))?;
    let who = store.first_run_principal().map_err(|e| e.to_string())?;
    store
        .import_registry(&who, &registry, "bench.csv")
        .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(root.join("tests/fixtures/rules/campus.geometry.json"))
        .map_err(|e| e.to_string())?;
    for code in &codes {
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| e.to_string())?;
        value["camera"] = serde_json::Value::String(code.clone());
        let geometry =
            JunctionGeometry::from_json(&value.to_string()).map_err(|e| e.to_string())?;
        store
            .save_geometry(&who, &geometry)
            .map_err(|e| e.to_string())?;
    }
    let detector = DetectorService::start(DetectorOptions {
        models_dir: root.join("resources/models"),
        max_batch: None,
        weights: dienbien_dispatch::detect::detector::Weights::default(),
    })
    .map_err(|e| e.to_string())?;
    // The junction's focus (searched enlarged when something moves there) unless BENCH_FOCUS=off.
    let detect = DetectConfig {
        junction_focus: std::env::var("BENCH_FOCUS").as_deref() != Ok("off"),
        ..DetectConfig::default()
    };
    let streams = VideoStreams::new(IngestOptions::default(), CameraCredentials::default())
        .with_detector(detector, detect, RulesSetup::default());
    let settings = EngineSettings {
        name: "bench".into(),
        host: "bench".into(),
        database: location.clone(),
        config: EngineConfig {
            capacity: n as i64,
            ..EngineConfig::default()
        },
        recordings_dir: dir.path().join("recordings"),
        segment_s: 10.0,
        policy: Default::default(),
    };
    let engine_principal = store.local_engine_principal().map_err(|e| e.to_string())?;
    let engine =
        Engine::start(settings, store, engine_principal, streams).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let running = std::thread::spawn(move || engine.run(&flag, None));
    let mut observer = Store::open(&location).map_err(|e| e.to_string())?;
    std::thread::sleep(WARM_UP);
    let before = (threads_cpu(), health(&mut observer)?, Instant::now());
    let server_before = process_cpu(server.child.id());
    std::thread::sleep(window);
    let after = (threads_cpu(), health(&mut observer)?, Instant::now());
    let server_after = process_cpu(server.child.id());
    let seconds = after.2.duration_since(before.2).as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    running
        .join()
        .map_err(|_| "the engine panicked".to_owned())?
        .map_err(|e| e.to_string())?;
    server.kill();
    let tick = ticks_per_second();
    let share = |name: &dyn Fn(&str) -> bool| -> f64 {
        let spent: u64 = after
            .0
            .iter()
            .filter(|(tid, (comm, _))| name(comm) && before.0.contains_key(*tid))
            .map(|(tid, (_, t))| t.saturating_sub(before.0[tid].1))
            .sum();
        spent as f64 / tick / seconds
    };
    let total = share(&|_| true);
    let decode = share(&|c| c.starts_with("ingest-"));
    let record = share(&|c| c.starts_with("record-"));
    let detect = share(&|c| c.starts_with("detector-") || c.starts_with("detect-cpu"));
    let server = server_after.saturating_sub(server_before) as f64 / tick / seconds;
    // Searches and pictures from each camera's health, over the window.
    let mut rates = Vec::new();
    let mut unseen = 0;
    let mut decoded = Vec::new();
    for code in &codes {
        let (Some(b), Some(a)) = (before.1.get(code), after.1.get(code)) else {
            return Err(format!("camera {code} was not held"));
        };
        let searches = |h: &serde_json::Value| h["searches"].as_u64().unwrap_or(0);
        rates.push((searches(a).saturating_sub(searches(b))) as f64 / seconds);
        unseen += a["missed_busy"].as_u64().unwrap_or(0) - b["missed_busy"].as_u64().unwrap_or(0);
        let fps_in = a["fps_in"].as_f64().unwrap_or(0.0);
        decoded.push(if fps_in > 0.0 {
            a["fps"].as_f64().unwrap_or(0.0) / fps_in
        } else {
            0.0
        });
    }
    let (recorded_share, gaps) = recording_quality(&mut observer, &codes)?;
    Ok(Row {
        cpu_share: total / std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
        decode_share_per_camera: decode / n as f64,
        record_share_per_camera: record / n as f64,
        detect_share_per_camera: detect / n as f64,
        searches_per_s: rates.iter().sum::<f64>() / n as f64,
        slowest_searches_per_s: rates.iter().copied().fold(f64::INFINITY, f64::min),
        unseen,
        decoded_share: decoded
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(1.0),
        recorded_share,
        gaps,
        server_share: server,
    })
}

/// Only the bench's cameras are to be held: the seeded sample cameras are switched off.
fn disable_every_camera(location: &DatabaseLocation) -> Result<(), String> {
    use diesel::Connection as _;
    use diesel::connection::SimpleConnection as _;
    let DatabaseLocation::Sqlite(path) = location else {
        return Err("the bench runs on SQLite".into());
    };
    let mut conn =
        diesel::SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
    conn.batch_execute("UPDATE cameras SET enabled = 0")
        .map_err(|e| e.to_string())
}

/// Each camera's health as its engine last wrote it.
fn health(store: &mut Store) -> Result<HashMap<String, serde_json::Value>, String> {
    let engines = store.engines().map_err(|e| e.to_string())?;
    Ok(engines
        .into_iter()
        .flat_map(|e| e.health.into_iter())
        .collect())
}

/// The share of time the segments cover between the first one's start and the last one's
/// end (the worst camera's), and gaps of more than a second between one segment's end and
/// the next one's start.
fn recording_quality(store: &mut Store, codes: &[String]) -> Result<(f64, usize), String> {
    let rows = store.recordings().map_err(|e| e.to_string())?;
    let mut worst: f64 = 1.0;
    let mut gaps = 0;
    for code in codes {
        let mut mine: Vec<_> = rows.iter().filter(|r| &r.camera_code == code).collect();
        mine.sort_by_key(|r| r.started_ms);
        let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
            return Err(format!("nothing recorded of {code}"));
        };
        let span = last.ended_ms.unwrap_or(last.started_ms) - first.started_ms;
        let covered: i64 = mine
            .iter()
            .map(|r| r.ended_ms.unwrap_or(r.started_ms) - r.started_ms)
            .sum();
        if span > 1000 {
            // A segment ends at its last picture and the next starts one picture later.
            let pictures_between = (mine.len() as i64 - 1) * 250;
            worst = worst.min((covered + pictures_between) as f64 / span as f64);
        }
        gaps += mine
            .windows(2)
            .filter(|w| w[1].started_ms - w[0].ended_ms.unwrap_or(w[0].started_ms) > 1000)
            .count();
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            for r in &mine {
                eprintln!(
                    "{code}: {} ms, {:?} pictures, {}",
                    r.ended_ms.unwrap_or(r.started_ms) - r.started_ms,
                    r.units,
                    r.state
                );
            }
        }
    }
    Ok((worst.min(1.0), gaps))
}

/// CPU time (clock ticks) of every thread of this process, by thread id, with its name.
fn threads_cpu() -> HashMap<u64, (String, u64)> {
    let mut threads = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for entry in entries.flatten() {
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        if let Some((comm, ticks)) = stat_cpu(&entry.path().join("stat")) {
            threads.insert(tid, (comm, ticks));
        }
    }
    threads
}

fn process_cpu(pid: u32) -> u64 {
    stat_cpu(Path::new(&format!("/proc/{pid}/stat"))).map_or(0, |(_, t)| t)
}

/// The name and user + system time of a `stat` file.
fn stat_cpu(path: &Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let fields: Vec<&str> = text[close + 2..].split(' ').collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf with a valid name only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// The GStreamer RTSP server of the tests, serving `clip` to every client from its start.
struct RtspServer {
    child: Child,
    port: u16,
}

impl RtspServer {
    fn start(root: &Path, clip: &Path) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let codec = if clip.to_string_lossy().contains("h265") {
            "h265"
        } else {
            "h264"
        };
        let mut child = Command::new("/usr/bin/python3")
            .arg(root.join("tests/support/rtsp_server.py"))
            .args(["--port", &port.to_string(), "--codec", codec, "--file"])
            .arg(clip)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the RTSP server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no server output")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.starts_with("READY") {
            let _ = child.kill();
            return Err(format!("the RTSP server did not start: {line}"));
        }
        Ok(Self { child, port })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        self.kill();
    }
}
