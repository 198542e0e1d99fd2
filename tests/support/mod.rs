//! Test support for video: the sample clips, and a real RTSP server (GStreamer, from Debian)
//! started on 127.0.0.1 for one test and killed when dropped.

#![allow(dead_code)] // each test binary uses a different part of this module

use dienbien_dispatch::video::{Decoder, FileSource, YuvFrame};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn media(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("resources/samples")
        .join(name);
    assert!(
        path.exists(),
        "test clip {} is missing from the repository (resources/samples)",
        path.display()
    );
    path
}

/// Every frame of a clip, decoded straight from the file.
pub fn decode_file(path: &Path) -> Vec<YuvFrame> {
    let mut source = FileSource::open(path).unwrap();
    let mut decoder = Decoder::new(&source.decoder_config()).unwrap();
    let mut frames = Vec::new();
    while let Some(unit) = source.next_unit() {
        decoder.decode(&unit.unwrap(), &mut frames).unwrap();
    }
    decoder.finish(&mut frames).unwrap();
    frames
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub struct RtspServer {
    child: Child,
    pub port: u16,
}

impl RtspServer {
    /// Serves `clip` at `rtsp://127.0.0.1:PORT/cam`; with `credentials`, behind basic auth.
    pub fn start(clip: &str, port: u16, credentials: Option<(&str, &str)>) -> Self {
        Self::start_with(clip, port, credentials, false)
    }

    /// As [`RtspServer::start`]; `shared`: one stream that every client joins, as a camera's
    /// (the same RTP and RTCP clocks for all).
    pub fn start_with(
        clip: &str,
        port: u16,
        credentials: Option<(&str, &str)>,
        shared: bool,
    ) -> Self {
        let codec = if clip.contains("h265") {
            "h265"
        } else {
            "h264"
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/rtsp_server.py");
        let mut command = Command::new("/usr/bin/python3");
        command
            .arg(script)
            .args(["--port", &port.to_string(), "--codec", codec, "--file"])
            .arg(media(clip))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((user, password)) = credentials {
            command.args(["--user", user, "--password", password]);
        }
        if shared {
            command.arg("--shared");
        }
        let mut child = command.spawn().expect(
            "cannot start the RTSP test server: install python3-gi gir1.2-gst-rtsp-server-1.0 \
             gstreamer1.0-plugins-good gstreamer1.0-plugins-bad (.ci/run does)",
        );
        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("rtsp-server-stdout".into())
            .spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                if let Some(Ok(line)) = lines.next() {
                    let _ = tx.send(line);
                }
                for _ in lines {}
            })
            .unwrap();
        let started = Instant::now();
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(line) if line.starts_with("READY") => {}
            other => {
                let _ = child.kill();
                panic!(
                    "the RTSP test server did not start within {:?}: {other:?}",
                    started.elapsed()
                );
            }
        }
        Self { child, port }
    }

    pub fn url(&self) -> String {
        format!("rtsp://127.0.0.1:{}/cam", self.port)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        self.kill();
    }
}
