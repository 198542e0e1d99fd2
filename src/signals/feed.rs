//! The controller feed: a signal controller's gateway speaks a line protocol over TCP (UTF-8
//! JSON lines, one `SignalChange` each: `{"t_ms": UTC ms, "group": "A", "state": "red"}`; on
//! connect it sends every group's current state, then each change; see docs/signal-feed.md).
//! One named thread per feed reads it into a timeline, reconnecting with back-off; the feed is a
//! `SignalSource` like any other. `serve_plan` is the other end, for tests and training: it
//! speaks the protocol from a fixed-time plan on the wall clock.

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
    /// Starts reading `address` (host:port) on a thread `signal-feed`.
    pub fn connect(address: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let address = address.to_owned();
        std::thread::Builder::new()
            .name("signal-feed".into())
            .spawn(move || read_forever(&worker, &address))?;
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

fn read_forever(shared: &Shared, address: &str) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    while !shared.stop.load(Ordering::Relaxed) {
        let reason = match TcpStream::connect(address) {
            Ok(stream) => {
                backoff.reset();
                read_session(shared, stream)
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
fn read_session(shared: &Shared, stream: TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    update(shared, |s| {
        s.connected = true;
        s.last_error = None;
    });
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return "stopped".into();
        }
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return "the controller closed the connection".into(),
            Ok(_) => match serde_json::from_str::<SignalChange>(line.trim()) {
                Ok(change) => {
                    if let Ok(mut timeline) = shared.timeline.lock() {
                        let t_ms = change.t_ms;
                        timeline.push(change);
                        timeline.forget_before(t_ms - super::KEPT_HISTORY_MS);
                    }
                    update(shared, |s| s.changes += 1);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "not a signal change");
                    update(shared, |s| s.bad_lines += 1);
                }
            },
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return format!("reading the feed failed: {e}"),
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
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                tracing::info!(%peer, "controller client connected");
                let plan = plan.clone();
                let stop = Arc::clone(&stop);
                std::thread::Builder::new()
                    .name("signal-sim".into())
                    .spawn(move || {
                        if let Err(e) = serve_client(stream, &plan, &stop) {
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
                let line = serde_json::to_string(&change).map_err(std::io::Error::other)?;
                stream.write_all(line.as_bytes())?;
                stream.write_all(b"\n")?;
                sent.insert(group.clone(), state.colour);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
