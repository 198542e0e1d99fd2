//! Recording as a user runs it: `record` writes a camera's stream (a sample clip played at its
//! own rate, or the RTSP test server) into fragmented MP4 segments indexed in the database,
//! and a recorder killed with SIGKILL loses nothing already committed: on the next start the
//! open segment is recovered to its last whole fragment and the index and the files agree.

mod common;
mod support;

use common::cli_env::CliEnv;
use dienbien_dispatch::store::{DatabaseLocation, RecordingRow, Store};
use dienbien_dispatch::video::{Decoder, FileSource};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{RtspServer, free_port, media};

type Env = CliEnv;

/// The recordings folder of a test's folder.
fn recordings(env: &Env) -> PathBuf {
    env.path("recordings")
}

/// The recordings index of a test's database.
fn indexed(env: &Env) -> Vec<RecordingRow> {
    Store::open(&DatabaseLocation::Sqlite(env.db()))
        .and_then(|mut s| s.recordings())
        .unwrap_or_default()
}

/// Pictures a segment decodes to.
fn decoded_pictures(path: &Path) -> usize {
    let mut source = FileSource::open(path).unwrap();
    let mut decoder = Decoder::new(&source.decoder_config()).unwrap();
    let mut frames = Vec::new();
    let mut count = 0;
    while let Some(Ok(unit)) = source.next_unit() {
        let _ = decoder.decode(&unit, &mut frames);
        count += frames.drain(..).count();
    }
    let _ = decoder.finish(&mut frames);
    count + frames.len()
}

/// `record` of the media clip `clip` as camera `camera` into the folder's recordings, with
/// `more` arguments, its output discarded.
fn record_command(env: &Env, camera: &str, clip: &str, more: &[&str]) -> Command {
    let clip = media(clip);
    let recordings = recordings(env);
    let mut args = vec![
        "record",
        "--camera",
        camera,
        "--source",
        clip.to_str().unwrap(),
        "--dir",
        recordings.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let mut command = env.command(&args);
    command.stdout(Stdio::null());
    command
}

/// A `record` of the sample clip for camera DBP-GT-A1-N into the folder's recordings, in
/// segments of `segment_secs`, running in the background.
fn spawn_recorder(env: &Env, segment_secs: &str) -> std::process::Child {
    record_command(
        env,
        "DBP-GT-A1-N",
        "vtest-h264-high.mp4",
        &["--segment-secs", segment_secs],
    )
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

/// Whether `row` is the open segment with a whole fragment (a `moof` box) on disk.
fn open_with_a_fragment(row: &RecordingRow) -> bool {
    row.state == "open"
        && std::fs::read(&row.path).is_ok_and(|bytes| bytes.windows(4).any(|w| w == b"moof"))
}

/// Polls the index until `done` holds, failing after 30 s.
fn wait_for_index(env: &Env, done: impl Fn(&[RecordingRow]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(&indexed(env)) {
        assert!(
            Instant::now() < deadline,
            "no segment under way: {:?}",
            indexed(env)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

fn mp4_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_clip_with_b_frames_is_recorded_into_segments_that_play_back_whole() {
    let env = Env::new();
    let clip = media("vtest-h264-high.mp4");
    let recordings = env.record("DBP-GT-A1-N", clip.to_str().unwrap(), 2, 5);
    let rows = indexed(&env);
    assert!(rows.len() >= 2, "{rows:?}");
    let mut pictures = 0;
    for row in &rows {
        assert_eq!(row.state, "closed");
        assert_eq!(row.camera_code, "DBP-GT-A1-N");
        let path = Path::new(&row.path);
        assert!(path.starts_with(&recordings));
        assert_eq!(
            std::fs::metadata(path).unwrap().len() as i64,
            row.size_bytes.unwrap()
        );
        let decoded = decoded_pictures(path);
        assert_eq!(decoded as i64, row.units.unwrap(), "{}", row.path);
        pictures += decoded;
        let ended = row.ended_ms.unwrap();
        assert!(
            ended >= row.started_ms && ended - row.started_ms < 3_000,
            "{row:?}"
        );
    }
    // Five seconds of a 10 pictures/s clip, from its first keyframe.
    assert!((45..=50).contains(&pictures), "{pictures} pictures");
    // Segments follow each other without a gap.
    for pair in rows.windows(2) {
        let gap = pair[1].started_ms - pair[0].ended_ms.unwrap();
        assert!((0..=250).contains(&gap), "gap {gap} ms: {pair:?}");
    }
    assert_eq!(mp4_files(&recordings).len(), rows.len());
}

#[test]
fn a_recorder_killed_mid_segment_loses_nothing_committed_and_the_next_start_recovers() {
    let env = Env::new();
    let recordings = recordings(&env);
    let mut child = spawn_recorder(&env, "1");
    // Let it close two segments and write a whole fragment of the next: the kill then falls
    // mid-segment by construction, not by a guessed sleep.
    wait_for_index(&env, |rows| {
        rows.iter().filter(|r| r.state == "closed").count() >= 2
            && rows.iter().any(open_with_a_fragment)
    });
    let before: Vec<(String, String)> = indexed(&env)
        .iter()
        .filter(|r| r.state == "closed")
        .map(|r| (r.path.clone(), sha256(Path::new(&r.path))))
        .collect();
    // SIGKILL: no chance to close anything.
    child.kill().unwrap();
    child.wait().unwrap();
    let open: Vec<RecordingRow> = indexed(&env)
        .into_iter()
        .filter(|r| r.state == "open")
        .collect();
    assert_eq!(open.len(), 1, "the segment being written is left open");

    let out = env.run(&[
        "recordings",
        "recover",
        "--dir",
        recordings.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(report.contains("1 recovered"), "{report}");
    let rows = indexed(&env);
    // Nothing committed changed.
    for (path, hash) in &before {
        assert_eq!(&sha256(Path::new(path)), hash, "{path} changed");
    }
    // The open one is closed at its last readable picture and plays.
    let recovered = rows.iter().find(|r| r.path == open[0].path).unwrap();
    assert_eq!(recovered.state, "recovered");
    assert!(recovered.units.unwrap() >= 1, "{recovered:?}");
    assert!(decoded_pictures(Path::new(&recovered.path)) >= 1);
    // The index and the files agree, both ways.
    let files = mp4_files(&recordings);
    let indexed: Vec<PathBuf> = rows.iter().map(|r| PathBuf::from(&r.path)).collect();
    for file in &files {
        assert!(indexed.contains(file), "{} not indexed", file.display());
    }
    for path in &indexed {
        assert!(path.exists(), "{} indexed but missing", path.display());
    }
    assert!(rows.iter().all(|r| r.state != "open"));
    // The repair is in the audit log, and a second recovery finds nothing to do.
    let mut store = Store::open(&DatabaseLocation::Sqlite(env.db())).unwrap();
    assert!(
        store
            .recent_audit(5)
            .unwrap()
            .iter()
            .any(|e| e.action == "recording.recovered")
    );
    let again = env.run(&[
        "recordings",
        "recover",
        "--dir",
        recordings.to_str().unwrap(),
    ]);
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.contains("0 recovered, 0 indexed, 0 lost, 0 missing"),
        "{again}"
    );
}

#[test]
fn a_recorder_stopped_with_sigterm_closes_and_indexes_its_open_segment() {
    let env = Env::new();
    let mut child = spawn_recorder(&env, "60");
    // Wait until the one segment has a whole fragment on disk.
    wait_for_index(&env, |rows| rows.iter().any(open_with_a_fragment));
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the recorder did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let rows = indexed(&env);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].state, "closed", "{rows:?}");
    assert!(decoded_pictures(Path::new(&rows[0].path)) >= 1);
}

#[test]
fn a_recorder_started_beside_another_leaves_the_others_open_segment_alone() {
    let env = Env::new();
    let start = |camera: &str, clip: &str, seconds: &str| {
        record_command(
            &env,
            camera,
            clip,
            &["--segment-secs", "3", "--duration-secs", seconds],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let first = start("DBP-GT-A1-N", "vtest-h264-high.mp4", "6");
    // The second starts only once the first has a segment open (not by a guessed sleep):
    // its start-up recovery must take that segment for the other recorder's, not a stop's.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !indexed(&env).iter().any(|r| r.state == "open") {
        assert!(
            Instant::now() < deadline,
            "the first recorder opened nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = start("DBP-GT-A1-S", "car-detection.mp4", "2");
    for child in [second, first] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a recorder failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows = indexed(&env);
    for camera in ["DBP-GT-A1-N", "DBP-GT-A1-S"] {
        let states: Vec<&str> = rows
            .iter()
            .filter(|r| r.camera_code == camera)
            .map(|r| r.state.as_str())
            .collect();
        assert!(
            !states.is_empty() && states.iter().all(|s| *s == "closed"),
            "{camera}: {states:?}"
        );
    }
    let mut store = Store::open(&DatabaseLocation::Sqlite(env.db())).unwrap();
    let repairs: Vec<String> = store
        .recent_audit(100)
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action.as_str(), "recording.recovered" | "recording.lost"))
        .map(|e| format!("{} {}", e.action, e.subject))
        .collect();
    assert!(
        repairs.is_empty(),
        "nothing was left to repair: {repairs:?}"
    );
}

#[test]
fn a_camera_over_rtsp_is_recorded_with_its_parameter_sets() {
    let env = Env::new();
    let server = RtspServer::start("vtest-h264-baseline.mp4", free_port(), None);
    env.record("DBP-GT-A1-W", &server.url(), 60, 3);
    let rows = indexed(&env);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let path = Path::new(&rows[0].path);
    let source = FileSource::open(path).unwrap();
    assert_eq!(source.dimensions(), (768, 576));
    assert!(
        decoded_pictures(path) >= 20,
        "three seconds at 10 pictures/s"
    );
}

#[test]
fn retention_deletes_expired_continuous_footage_keeps_event_footage_and_audits_each_deletion() {
    let env = Env::new();
    let clip = media("vtest-h264-high.mp4");
    let recordings = env.record("DBP-GT-A1-N", clip.to_str().unwrap(), 2, 10);
    let rows = indexed(&env);
    assert!(rows.len() >= 5, "{rows:?}");
    // An event in the first segment: the segments within 6 s of it are event footage.
    let location = DatabaseLocation::Sqlite(env.db());
    let mut store = Store::open(&location).unwrap();
    let middle = &rows[0];
    let engine = store.local_engine_principal().expect("a principal");
    store
        .record_event(
            &engine,
            &dienbien_dispatch::store::NewEvent {
                camera_code: "DBP-GT-A1-N".into(),
                kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                track: 1,
                class: dienbien_dispatch::domain::ObjectClass::Car,
                place: None,
                stream_at_ms: 0,
                time_into_red_ms: None,
                clause: None,
                detail: dienbien_dispatch::domain::EventDetail {
                    at_utc_ms: Some(middle.started_ms + 500),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    // A forged row naming a file outside the recordings folder through "..": never deleted.
    let victim = env.dir.path().join("victim.mp4");
    std::fs::write(&victim, b"not a recording").unwrap();
    let forged = format!("{}/DBP-GT-A1-N/../../victim.mp4", recordings.display());
    let started = rows[0].started_ms - 3_600_000;
    let engine = store.local_engine_principal().expect("a principal");
    store
        .recording_opened(&engine, "DBP-GT-A1-N", &forged, started)
        .unwrap();
    store
        .recording_ended(
            &engine,
            "DBP-GT-A1-N",
            &forged,
            started,
            &dienbien_dispatch::store::SegmentEnd {
                ended_ms: started + 10_000,
                size_bytes: 15,
                units: 1,
                state: "closed",
            },
        )
        .unwrap();
    drop(store);
    // Continuous footage kept no time at all, event footage a day.
    let config = env.dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[recording]\ncontinuous_days = 0.0\nevent_days = 1.0\nmin_free_percent = 0.0\n",
    )
    .unwrap();
    let prune = |dry: bool| {
        let mut args = vec!["recordings", "prune", "--dir", recordings.to_str().unwrap()];
        if dry {
            args.push("--dry-run");
        }
        env.command(&args)
            .env("DISPATCH_CONFIG", &config)
            .output()
            .unwrap()
    };
    let dry = prune(true);
    let dry = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.contains("would delete"), "{dry}");
    assert_eq!(
        mp4_files(&recordings).len(),
        rows.len(),
        "a dry run deletes nothing"
    );
    let out = prune(false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        victim.exists(),
        "a path outside the recordings folder is never deleted"
    );
    let mut store = Store::open(&location).unwrap();
    assert!(
        store
            .recent_audit(50)
            .unwrap()
            .iter()
            .any(|e| e.action == "recording.path_refused" && e.subject == forged),
        "the refusal is audited as a fault"
    );
    let after: Vec<RecordingRow> = indexed(&env)
        .into_iter()
        .filter(|r| r.path != forged)
        .collect();
    // Within 6 s of the event: the middle segment and its neighbours are event footage.
    let kept: Vec<&RecordingRow> = after.iter().filter(|r| r.state != "deleted").collect();
    let deleted: Vec<&RecordingRow> = after.iter().filter(|r| r.state == "deleted").collect();
    assert!(kept.iter().any(|r| r.path == middle.path));
    assert!(!deleted.is_empty(), "{after:?}");
    for row in &deleted {
        assert!(!Path::new(&row.path).exists(), "{} still on disk", row.path);
        let gap = (middle.started_ms + 500 - row.ended_ms.unwrap())
            .abs()
            .min((row.started_ms - middle.started_ms - 500).abs());
        assert!(gap > 6_000, "event footage deleted: {row:?}");
    }
    for row in &kept {
        assert!(Path::new(&row.path).exists());
    }
    let audit = store.recent_audit(50).unwrap();
    let deletions = audit
        .iter()
        .filter(|e| e.action == "recording.delete")
        .count();
    assert_eq!(deletions, deleted.len());
    assert_eq!(store.verify_audit().unwrap().broken, None);
    // A deletion cut short between the index and the file is finished by the recovery.
    let last = kept.last().unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    store
        .recording_deleted(&engine, &last.path, "expired")
        .unwrap();
    assert!(Path::new(&last.path).exists());
    let out = env.run(&[
        "recordings",
        "recover",
        "--dir",
        recordings.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        !Path::new(&last.path).exists(),
        "the interrupted deletion is finished"
    );
}

#[test]
fn every_enabled_camera_is_recorded_at_once_and_closed_cleanly_at_the_end() {
    let env = Env::new();
    let csv = format!(
        "code,name,kind,lat_deg,lon_deg,main_url\nREC-1,Clip one,overview,21.38,103.02,file://{}\nREC-2,Clip two,overview,21.38,103.02,file://{}\n",
        media("vtest-h264-baseline.mp4").display(),
        media("car-detection.mp4").display()
    );
    let file = env.dir.path().join("clips.csv");
    std::fs::write(&file, csv).unwrap();
    let out = env.run(&["cameras", "import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recordings = recordings(&env);
    let out = env.run(&[
        "record",
        "--all",
        "--dir",
        recordings.to_str().unwrap(),
        "--segment-secs",
        "2",
        "--duration-secs",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = indexed(&env);
    for camera in ["REC-1", "REC-2"] {
        let own: Vec<&RecordingRow> = rows.iter().filter(|r| r.camera_code == camera).collect();
        assert!(own.len() >= 2, "{camera}: {own:?}");
        assert!(own.iter().all(|r| r.state == "closed"), "{own:?}");
    }
    // The sample cameras (the four of Ngã tư Đồi A1, the watch-list street of Quảng trường
    // 7/5) recorded their built-in clips; the placeholder addresses recorded nothing.
    let mut others: Vec<&str> = rows
        .iter()
        .map(|r| r.camera_code.as_str())
        .filter(|code| !code.starts_with("REC-"))
        .collect();
    others.sort_unstable();
    others.dedup();
    assert_eq!(
        others,
        [
            "DBP-GT-A1-E",
            "DBP-GT-A1-N",
            "DBP-GT-A1-S",
            "DBP-GT-A1-W",
            "DBP-GT-QT75-N"
        ]
    );
    assert!(rows.iter().all(|r| r.state == "closed"), "{rows:?}");
}
