//! The controller feed: a signal controller's gateway speaks a line protocol over TCP (UTF-8
//! JSON lines, one `SignalChange` each: `{"t_ms": UTC ms, "group": "A", "state": "red"}`; on
//! connect it sends every group's current state, then each change; see docs/signal-feed.md).
//! One named thread per feed reads it into a timeline, reconnecting with back-off; the feed is a
//! `SignalSource` like any other. Every line must carry the MAC of the junction's key
//! (`line_auth`); lines are at most 1 KiB (a longer one drops the connection) and at most 50 a
//! second (200 in a burst); what is refused is counted. `serve_plan` is the other end, for
//! tests and training: it speaks the protocol from a fixed-time plan on the wall clock.

use super::line_auth::{FeedKey, LineBudget, MAX_LINE_BYTES, authenticate, signed_line};
use super::{FixedTimePlan, SignalSource, SignalTimeline};
use crate::domain::signal::{GroupState, SignalChange, SignalColour};
use crate::ingest::Backoff;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the feed is doing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedStatus {
    pub connected: bool,
    pub changes: u64,
    /// Lines that were not a signal change (counted, skipped).
    pub bad_lines: u64,
    /// Lines without the junction key's MAC, or with a wrong one (counted, refused).
    pub refused_lines: u64,
    /// Lines beyond the rate limit (counted, dropped).
    pub over_rate_lines: u64,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    timeline: Mutex<SignalTimeline>,
    status: Mutex<FeedStatus>,
    stop: AtomicBool,
}

/// A controller feed being read. Dropping it stops the thread at its next read timeout.
pub struct ControllerFeed {
    shared: Arc<Shared>,
}

impl ControllerFeed {
    /// Starts reading `address` (host:port) on a thread `signal-feed`; only lines signed with
    /// `key` are taken.
    pub fn connect(address: &str, key: FeedKey) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let address = address.to_owned();
        std::thread::Builder::new()
            .name("signal-feed".into())
            .spawn(move || read_forever(&worker, &address, &key))?;
        Ok(Self { shared })
    }

    pub fn status(&self) -> FeedStatus {
        self.shared
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

impl Drop for ControllerFeed {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl SignalSource for ControllerFeed {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        self.shared
            .timeline
            .lock()
            .map_or(GroupState::UNKNOWN, |t| t.state_at(group, t_ms))
    }
}

fn update(shared: &Shared, change: impl FnOnce(&mut FeedStatus)) {
    if let Ok(mut status) = shared.status.lock() {
        change(&mut status);
    }
}

fn read_forever(shared: &Shared, address: &str, key: &FeedKey) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    while !shared.stop.load(Ordering::Relaxed) {
        let reason = match TcpStream::connect(address) {
            Ok(stream) => {
                backoff.reset();
                read_session(shared, stream, key)
            }
            Err(e) => format!("cannot connect to {address}: {e}"),
        };
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        tracing::warn!(%address, %reason, "signal feed lost");
        update(shared, |s| {
            s.connected = false;
            s.last_error = Some(reason);
        });
        std::thread::sleep(backoff.next_delay());
    }
}

/// Reads lines until the connection ends; returns why.
fn read_session(shared: &Shared, stream: TcpStream, key: &FeedKey) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    update(shared, |s| {
        s.connected = true;
        s.last_error = None;
    });
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut budget = LineBudget::default();
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return "stopped".into();
        }
        match read_bounded_line(&mut reader, &mut line) {
            Ok(LineRead::Line) => {}
            Ok(LineRead::End) => return "the controller closed the connection".into(),
            Ok(LineRead::TooLong) => {
                return format!(
                    "a line longer than {MAX_LINE_BYTES} bytes: the connection was dropped"
                );
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => return format!("reading the feed failed: {e}"),
        }
        let text = String::from_utf8_lossy(&line).trim().to_owned();
        line.clear();
        if !budget.take(std::time::Instant::now()) {
            update(shared, |s| s.over_rate_lines += 1);
            continue;
        }
        match authenticate(&text, key) {
            Ok(change) => {
                if let Ok(mut timeline) = shared.timeline.lock() {
                    let t_ms = change.t_ms;
                    timeline.push(change);
                    timeline.forget_before(t_ms.saturating_sub(super::KEPT_HISTORY_MS));
                }
                update(shared, |s| s.changes += 1);
            }
            Err(super::line_auth::LineRefused::Malformed) => {
                tracing::debug!("not a signal change");
                update(shared, |s| s.bad_lines += 1);
            }
            Err(refused) => {
                tracing::warn!(%refused, "signal feed line refused");
                update(shared, |s| s.refused_lines += 1);
            }
        }
    }
}

/// What [`read_bounded_line`] read.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// A whole line is in the buffer (without its newline).
    Line,
    /// The peer closed the connection (a last unterminated line is dropped).
    End,
    /// More than [`MAX_LINE_BYTES`] without a newline.
    TooLong,
}

/// Reads into `line` up to the next newline, never holding more than [`MAX_LINE_BYTES`]; a read
/// timeout leaves what was read in `line` for the next call.
fn read_bounded_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<LineRead> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(LineRead::End);
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE_BYTES {
            return Ok(LineRead::TooLong);
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(if done { take + 1 } else { take });
        if done {
            return Ok(LineRead::Line);
        }
    }
}

/// Milliseconds since the Unix epoch now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Serves `plan` on `listener` until `stop`: each client gets every group's current state, then
/// each change when it happens (the plan runs on the wall clock: UTC ms).
pub fn serve_plan(
    listener: TcpListener,
    plan: FixedTimePlan,
    key: FeedKey,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                tracing::info!(%peer, "controller client connected");
                let plan = plan.clone();
                let key = key.clone();
                let stop = Arc::clone(&stop);
                std::thread::Builder::new()
                    .name("signal-sim".into())
                    .spawn(move || {
                        if let Err(e) = serve_client(stream, &plan, &key, &stop) {
                            tracing::info!(%peer, error = %e, "controller client gone");
                        }
                    })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn serve_client(
    mut stream: TcpStream,
    plan: &FixedTimePlan,
    key: &FeedKey,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut sent: std::collections::BTreeMap<String, SignalColour> = Default::default();
    while !stop.load(Ordering::Relaxed) {
        let now = now_ms();
        for group in plan.groups.keys() {
            let state = plan.state_at(group, now);
            if sent.get(group) != Some(&state.colour) {
                let change = SignalChange {
                    t_ms: state.since_ms.unwrap_or(now),
                    group: group.clone(),
                    state: state.colour,
                };
                let line = signed_line(&change, key);
                stream.write_all(line.as_bytes())?;
                stream.write_all(b"\n")?;
                sent.insert(group.clone(), state.colour);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_read_whole_across_timeouts_and_a_long_one_is_refused() {
        let mut line = Vec::new();
        let mut reader = BufReader::new(&b"{\"a\":1}\nrest"[..]);
        assert_eq!(
            read_bounded_line(&mut reader, &mut line).unwrap(),
            LineRead::Line
        );
        assert_eq!(line, b"{\"a\":1}");
        line.clear();
        // No newline yet, then the end: the unterminated line is not taken.
        assert_eq!(
            read_bounded_line(&mut reader, &mut line).unwrap(),
            LineRead::End
        );
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let mut reader = BufReader::with_capacity(64, &long[..]);
        let mut line = Vec::new();
        assert_eq!(
            read_bounded_line(&mut reader, &mut line).unwrap(),
            LineRead::TooLong
        );
        assert!(line.len() <= MAX_LINE_BYTES);
    }
}
