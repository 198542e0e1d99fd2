//! A replay of several cameras in lock-step: one clock, and one thread per camera
//! (`replay-CAMERA`) that decodes the picture of that camera at the clock's moment and
//! publishes it. Every camera answers the same moment, so their pictures agree in time to
//! within one frame of each camera.

use super::{RecordedCamera, RecordedFrame, ReplayClock, ReplayError};
use crate::store::RecordingRow;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What a camera's thread shows: its picture at the moment it answered.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    pub answered_ms: Option<i64>,
    pub frame: Option<RecordedFrame>,
    pub error: Option<String>,
}

struct Shared {
    target_ms: AtomicI64,
    stop: AtomicBool,
    shown: Mutex<Shown>,
    wake: (Mutex<bool>, Condvar),
}

struct Player {
    camera: String,
    shared: Arc<Shared>,
}

pub struct ReplaySession {
    pub clock: ReplayClock,
    players: Vec<Player>,
    /// Where any of the cameras has recordings, merged, UTC ms.
    spans: Vec<(i64, i64)>,
}

impl ReplaySession {
    /// Opens `cameras` over `[from_ms, to_ms]` from the indexed `segments`.
    pub fn open(
        cameras: &[String],
        segments: &[RecordingRow],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Self, ReplayError> {
        let mut players = Vec::new();
        for camera in cameras {
            let mut recorded = RecordedCamera::new(camera, segments);
            if recorded.span().is_none() {
                continue; // nothing recorded of this camera
            }
            let shared = Arc::new(Shared {
                target_ms: AtomicI64::new(from_ms),
                stop: AtomicBool::new(false),
                shown: Mutex::new(Shown::default()),
                wake: (Mutex::new(true), Condvar::new()),
            });
            let worker = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("replay-{camera}"))
                .spawn(move || play(&mut recorded, &worker))
                .map_err(|e| ReplayError::Thread(e.to_string()))?;
            players.push(Player {
                camera: camera.clone(),
                shared,
            });
        }
        if players.is_empty() {
            return Err(ReplayError::NothingRecorded);
        }
        Ok(Self {
            clock: ReplayClock::new(from_ms, to_ms),
            players,
            spans: recorded_spans(cameras, segments, from_ms, to_ms),
        })
    }

    /// Moves the clock on and tells every camera the moment to show.
    pub fn update(&mut self, now: Instant) {
        self.clock.tick(now);
        let target = self.clock.position_ms();
        for player in &self.players {
            if player.shared.target_ms.swap(target, Ordering::Relaxed) != target {
                let (flag, bell) = &player.shared.wake;
                if let Ok(mut woken) = flag.lock() {
                    *woken = true;
                    bell.notify_one();
                }
            }
        }
    }

    /// Each camera with what it shows now.
    pub fn shown(&self) -> Vec<(String, Shown)> {
        self.players
            .iter()
            .map(|p| {
                let shown = p.shared.shown.lock().map(|s| s.clone()).unwrap_or_default();
                (p.camera.clone(), shown)
            })
            .collect()
    }

    /// Every camera has answered the clock's present moment.
    pub fn settled(&self) -> bool {
        let target = self.clock.position_ms();
        self.shown()
            .iter()
            .all(|(_, s)| s.answered_ms == Some(target))
    }

    /// Where the cameras have recordings within the replay's span (merged), UTC ms.
    pub fn recorded_spans(&self) -> &[(i64, i64)] {
        &self.spans
    }

    pub fn cameras(&self) -> Vec<String> {
        self.players.iter().map(|p| p.camera.clone()).collect()
    }
}

impl Drop for ReplaySession {
    fn drop(&mut self) {
        for player in &self.players {
            player.shared.stop.store(true, Ordering::Relaxed);
            let (flag, bell) = &player.shared.wake;
            if let Ok(mut woken) = flag.lock() {
                *woken = true;
                bell.notify_one();
            }
        }
    }
}

/// A camera's thread: answer each new moment until stopped.
fn play(camera: &mut RecordedCamera, shared: &Shared) {
    let mut answered: Option<i64> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let target = shared.target_ms.load(Ordering::Relaxed);
        if answered != Some(target) {
            let result = camera.frame_at(target);
            answered = Some(target);
            if let Ok(mut shown) = shared.shown.lock() {
                match result {
                    Ok(frame) => {
                        shown.frame = frame;
                        shown.error = None;
                    }
                    Err(e) => shown.error = Some(e.to_string()),
                }
                shown.answered_ms = Some(target);
            }
            continue;
        }
        let (flag, bell) = &shared.wake;
        if let Ok(mut woken) = flag.lock() {
            if !*woken {
                woken = bell
                    .wait_timeout(woken, Duration::from_millis(100))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            *woken = false;
        }
    }
}

/// The recorded stretches of `cameras` within `[from_ms, to_ms]`, merged where they touch.
fn recorded_spans(
    cameras: &[String],
    segments: &[RecordingRow],
    from_ms: i64,
    to_ms: i64,
) -> Vec<(i64, i64)> {
    let mut spans: Vec<(i64, i64)> = segments
        .iter()
        .filter(|s| {
            cameras.contains(&s.camera_code) && !matches!(s.state.as_str(), "lost" | "deleted")
        })
        .map(|s| {
            (
                s.started_ms.max(from_ms),
                s.ended_ms.unwrap_or(s.started_ms).min(to_ms),
            )
        })
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 500 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}
