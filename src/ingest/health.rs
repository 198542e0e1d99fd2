//! What the UI and the map know about a stream: its state and its rates, updated by the worker.

use std::time::Instant;

/// Connection state of a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamState {
    Connecting,
    Playing,
    /// Waiting before the next attempt; `reason` is the last failure.
    Retrying {
        attempt: u32,
        reason: String,
    },
    /// Given up (e.g. a file that cannot be decoded at all); `reason` says why.
    Failed {
        reason: String,
    },
    /// The worker stopped because nobody watches the stream any more.
    Stopped,
}

/// Health of one stream, as published by its worker.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamHealth {
    pub state: StreamState,
    /// Encoded units received per second (last second).
    pub fps_in: f64,
    /// Frames decoded per second (last second).
    pub fps_decoded: f64,
    pub bitrate_bps: f64,
    pub lost_packets: u64,
    pub decode_errors: u64,
    /// Frames replaced in the display slot before the UI took them.
    pub dropped_display: u64,
    /// Frames the analytics queue had no room for.
    pub dropped_analytics: u64,
    pub width: u32,
    pub height: u32,
    pub codec: Option<&'static str>,
    pub last_error: Option<String>,
    /// When the last frame was decoded.
    pub last_frame_at: Option<Instant>,
    /// The camera's clock minus this workstation's (ms), from its RTCP sender reports.
    pub clock_offset_ms: Option<i64>,
}

impl StreamHealth {
    /// The camera's clock offset when it is beyond the tolerance (its times are corrected).
    pub fn clock_off_ms(&self) -> Option<i64> {
        self.clock_offset_ms
            .filter(|o| o.saturating_abs() > crate::video::CLOCK_TOLERANCE_MS)
    }
}

impl Default for StreamHealth {
    fn default() -> Self {
        Self {
            state: StreamState::Connecting,
            fps_in: 0.0,
            fps_decoded: 0.0,
            bitrate_bps: 0.0,
            lost_packets: 0,
            decode_errors: 0,
            dropped_display: 0,
            dropped_analytics: 0,
            width: 0,
            height: 0,
            codec: None,
            last_error: None,
            last_frame_at: None,
            clock_offset_ms: None,
        }
    }
}

/// Counts events over one-second windows to give rates.
#[derive(Debug)]
pub(crate) struct RateMeter {
    window_start: Instant,
    units: u64,
    frames: u64,
    bytes: u64,
}

impl RateMeter {
    pub fn new() -> Self {
        Self {
            window_start: Instant::now(),
            units: 0,
            frames: 0,
            bytes: 0,
        }
    }

    pub fn unit(&mut self, bytes: usize) {
        self.units += 1;
        self.bytes += bytes as u64;
    }

    pub fn frame(&mut self) {
        self.frames += 1;
    }

    /// When a second has passed, writes the rates into `health` and starts a new window.
    pub fn publish(&mut self, health: &mut StreamHealth) -> bool {
        let elapsed = self.window_start.elapsed().as_secs_f64();
        if elapsed < 1.0 {
            return false;
        }
        health.fps_in = self.units as f64 / elapsed;
        health.fps_decoded = self.frames as f64 / elapsed;
        health.bitrate_bps = self.bytes as f64 * 8.0 / elapsed;
        *self = Self::new();
        true
    }
}
