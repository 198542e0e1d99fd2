//! Live ingest over RTSP from a real server on 127.0.0.1 (GStreamer's RTSP server serving the
//! sample clips): the frames decoded from the network are exactly those decoded from the file,
//! for H.264 Baseline, High with B-frames and H.265; wrong credentials give an authentication
//! error, not a hang; a dead server is reported and a new session works once it is back.

mod support;

use dienbien_dispatch::domain::StreamUrl;
use dienbien_dispatch::video::{self, Decoder, RtspOptions, SourceError, VideoSource as _};
use std::time::{Duration, Instant};
use support::{RtspServer, decode_file, free_port, media};

/// Frames compared per clip (the server streams in real time at 10 fps).
const FRAMES: usize = 25;

fn options() -> RtspOptions {
    RtspOptions {
        connect_timeout: Duration::from_secs(10),
        read_timeout: Duration::from_secs(5),
        ..RtspOptions::default()
    }
}

fn check_clip_over_rtsp(clip: &str, codec: &str) {
    let reference = decode_file(&media(clip));
    let server = RtspServer::start(clip, free_port(), None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let mut source = video::open(&url, &options()).unwrap();
    let info = source.info();
    assert_eq!(info.codec.name(), codec, "{clip}");
    assert_eq!(info.dimensions, (768, 576), "{clip}");
    let mut decoder = Decoder::new(&source.decoder_config()).unwrap();
    let mut frames = Vec::new();
    let started = Instant::now();
    while frames.len() < FRAMES {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{clip}: {} frames in 30 s",
            frames.len()
        );
        let unit = source.next_unit().expect("stream ended early").unwrap();
        decoder.decode(&unit, &mut frames).unwrap();
    }
    assert_eq!(decoder.stats().errors, 0, "{clip}");
    for (index, (live, file)) in frames.iter().zip(&reference).take(FRAMES).enumerate() {
        assert_eq!((live.width, live.height), (768, 576));
        assert!(
            live.y == file.y && live.u == file.u && live.v == file.v,
            "{clip}: frame {index} differs from the file's (mean luma {:.2} vs {:.2})",
            live.mean_luma(),
            file.mean_luma()
        );
    }
    // Timestamps advance at the clip's 10 fps on the 90 kHz clock.
    let step = frames[1].pts_90k - frames[0].pts_90k;
    assert_eq!(step, 9_000, "{clip}");
}

#[test]
fn h264_baseline_over_rtsp_matches_the_file() {
    check_clip_over_rtsp("vtest-h264-baseline.mp4", "H.264");
}

#[test]
fn h264_high_with_b_frames_over_rtsp_matches_the_file() {
    check_clip_over_rtsp("vtest-h264-high.mp4", "H.264");
}

#[test]
fn h265_over_rtsp_matches_the_file() {
    check_clip_over_rtsp("vtest-h265.mp4", "H.265");
}

#[test]
fn wrong_credentials_are_an_auth_error_not_a_hang() {
    let server = RtspServer::start(
        "vtest-h264-baseline.mp4",
        free_port(),
        Some(("admin", "right")),
    );
    let url = StreamUrl::parse(&server.url()).unwrap();
    for credentials in [None, Some(("admin".to_owned(), "wrong".to_owned()))] {
        let started = Instant::now();
        let result = video::RtspSource::connect(
            &url,
            &RtspOptions {
                credentials,
                ..options()
            },
        );
        let err = result.err().expect("the camera must refuse");
        assert!(matches!(err, SourceError::Auth { .. }), "{err}");
        assert!(!err.to_string().contains("wrong"), "password leaked: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
    let good = video::RtspSource::connect(
        &url,
        &RtspOptions {
            credentials: Some(("admin".into(), "right".into())),
            ..options()
        },
    );
    assert!(good.is_ok(), "{:?}", good.err());
}

#[test]
fn a_killed_server_is_reported_and_a_new_session_works_when_it_returns() {
    let port = free_port();
    let mut server = RtspServer::start("vtest-h264-high.mp4", port, None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let mut source = video::open(&url, &options()).unwrap();
    for _ in 0..5 {
        source.next_unit().unwrap().unwrap();
    }
    server.kill();
    let started = Instant::now();
    let outcome = loop {
        match source.next_unit() {
            Some(Ok(_)) => {
                assert!(started.elapsed() < Duration::from_secs(10), "still reading");
            }
            other => break other,
        }
    };
    // Either the connection error or the end of the stream, within the read timeout.
    assert!(outcome.is_none() || matches!(outcome, Some(Err(_))));
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(source);

    let _server = RtspServer::start("vtest-h264-high.mp4", port, None);
    let mut again = video::open(&url, &options()).unwrap();
    assert!(again.next_unit().unwrap().is_ok());
}

#[test]
fn sender_reports_give_each_picture_its_send_time() {
    let server = RtspServer::start("vtest-h264-baseline.mp4", free_port(), None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let mut source = video::RtspSource::connect(&url, &options()).unwrap();
    let mut send_times = Vec::new();
    let started = Instant::now();
    while send_times.len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no RTCP sender report in 30 s"
        );
        let unit = source.next_unit().expect("stream").unwrap();
        if let Some(sent) = source.send_time(unit.pts_90k) {
            send_times.push((unit.pts_90k, sent));
        }
    }
    // Send times follow the stream's clock: 9000 ticks (100 ms) apart here. Between two
    // sender reports the server's wall clock and media clock may drift by a little, so the
    // gaps agree to a millisecond, not to the microsecond.
    for pair in send_times.windows(2) {
        let ticks = pair[1].0 - pair[0].0;
        let gap = pair[1].1.duration_since(pair[0].1).unwrap();
        let want_us = ticks * 1_000_000 / 90_000;
        assert!(
            (gap.as_micros() as i64 - want_us).abs() <= 1_000,
            "{} µs between pictures {ticks} ticks apart",
            gap.as_micros()
        );
    }
}

#[test]
fn rtp_over_udp_decodes_the_same_pictures() {
    let reference = decode_file(&media("vtest-h264-baseline.mp4"));
    let server = RtspServer::start("vtest-h264-baseline.mp4", free_port(), None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let mut source = video::RtspSource::connect(
        &url,
        &RtspOptions {
            udp: true,
            ..options()
        },
    )
    .unwrap();
    let mut decoder = Decoder::new(&source.decoder_config()).unwrap();
    let mut frames = Vec::new();
    while frames.len() < 10 {
        let unit = source.next_unit().expect("stream").unwrap();
        decoder.decode(&unit, &mut frames).unwrap();
    }
    // UDP may lose packets even on loopback when the machine is busy; loss is counted, never
    // hidden. Pictures decoded before any loss are exactly the file's.
    let lost = source.lost_packets();
    if lost > 0 {
        eprintln!("note: {lost} RTP packets lost over loopback UDP");
    }
    let exact = frames
        .iter()
        .zip(&reference)
        .take(10)
        .take_while(|(live, file)| live.y == file.y && live.u == file.u && live.v == file.v)
        .count();
    assert!(
        exact == 10 || lost > 0,
        "picture {exact} differs from the file's with no packet lost"
    );
}

#[test]
fn a_raw_annex_b_recording_plays_as_a_file_source() {
    // Record what a camera sends (Annex B with parameter sets in band) into a .h264 file, then
    // play the file like a camera.
    let server = RtspServer::start("vtest-h264-high.mp4", free_port(), None);
    let url = StreamUrl::parse(&server.url()).unwrap();
    let mut source = video::open(&url, &options()).unwrap();
    let mut recording = Vec::new();
    for _ in 0..30 {
        recording.extend(source.next_unit().expect("stream").unwrap().data);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recording.h264");
    std::fs::write(&path, &recording).unwrap();
    let frames = decode_file(&path);
    assert_eq!(frames.len(), 30);
    let reference = decode_file(&media("vtest-h264-high.mp4"));
    assert!(frames.iter().zip(&reference).all(|(a, b)| a.y == b.y));
}
