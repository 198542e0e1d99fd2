//! Ingest workers as the console runs them: a file played to its end, the analytics queue
//! counting its drops, a dead address retried with back-off, and a camera whose server is
//! killed and restarted mid-stream recovering on its own.

mod support;

use dienbien_dispatch::domain::StreamUrl;
use dienbien_dispatch::ingest::{IngestOptions, StreamState, StreamWorker};
use dienbien_dispatch::video::RtspOptions;
use std::time::{Duration, Instant};
use support::{RtspServer, free_port, media};

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn file_url(name: &str) -> StreamUrl {
    StreamUrl::parse(&format!("file://{}", media(name).display())).unwrap()
}

#[test]
fn a_file_plays_to_its_end_and_every_frame_passes_the_slot() {
    let options = IngestOptions {
        pace_files: false,
        loop_files: false,
        analytics_capacity: Some(2),
        ..IngestOptions::default()
    };
    let worker = StreamWorker::start("car", file_url("car-detection.mp4"), options).unwrap();
    wait_for("the end of the file", Duration::from_secs(60), || {
        worker.health().state == StreamState::Stopped
    });
    let health = worker.health();
    let last = worker.slot().latest().expect("frames were published");
    assert_eq!(last.sequence, 376, "377 frames, numbered from 0");
    assert_eq!((last.frame.width, last.frame.height), (768, 432));
    assert_eq!((health.width, health.height), (768, 432));
    assert_eq!(health.codec, Some("H.264"));
    // Nobody read: every frame but the first two was dropped by the analytics queue, and every
    // frame but the last was replaced unseen in the display slot. Both are counted.
    assert_eq!(health.dropped_analytics, 375);
    assert_eq!(worker.slot().dropped(), 376);
    worker.stop();
}

#[test]
fn a_dead_address_is_retried_with_a_reason() {
    let port = free_port();
    let url = StreamUrl::parse(&format!("rtsp://127.0.0.1:{port}/cam")).unwrap();
    let options = IngestOptions {
        first_retry: Duration::from_millis(100),
        longest_retry: Duration::from_millis(400),
        ..IngestOptions::default()
    };
    let worker = StreamWorker::start("dead", url, options).unwrap();
    wait_for(
        "a second attempt",
        Duration::from_secs(20),
        || matches!(worker.health().state, StreamState::Retrying { attempt, .. } if attempt >= 2),
    );
    let health = worker.health();
    let StreamState::Retrying { reason, .. } = health.state else {
        unreachable!()
    };
    assert!(reason.contains("Connection refused"), "{reason}");
    assert_eq!(health.last_error.as_deref(), Some(reason.as_str()));
    worker.stop();
}

#[test]
fn a_camera_recovers_after_its_server_is_killed_and_restarted() {
    let port = free_port();
    let mut server = RtspServer::start("vtest-h264-high.mp4", port, None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let options = IngestOptions {
        rtsp: RtspOptions {
            read_timeout: Duration::from_secs(3),
            ..RtspOptions::default()
        },
        first_retry: Duration::from_millis(200),
        longest_retry: Duration::from_secs(1),
        ..IngestOptions::default()
    };
    let worker = StreamWorker::start("camera", url, options).unwrap();
    let slot = worker.slot();
    wait_for("the first pictures", Duration::from_secs(20), || {
        worker.health().state == StreamState::Playing
            && slot.latest().is_some_and(|f| f.sequence >= 5)
    });

    server.kill();
    wait_for("the failure to be noticed", Duration::from_secs(20), || {
        matches!(worker.health().state, StreamState::Retrying { .. })
    });
    let before = slot.latest().unwrap().sequence;

    let _server = RtspServer::start("vtest-h264-high.mp4", port, None);
    wait_for(
        "pictures after the restart",
        Duration::from_secs(30),
        || {
            worker.health().state == StreamState::Playing
                && slot.latest().is_some_and(|f| f.sequence >= before + 5)
        },
    );
    let health = worker.health();
    assert_eq!(
        health.last_error, None,
        "a recovered stream clears its error"
    );
    assert_eq!((health.width, health.height), (768, 576));
    worker.stop();
}
