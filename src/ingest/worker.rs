//! The per-stream worker thread: connect, decode, publish; on any failure wait (back-off with
//! jitter) and connect again, until told to stop.

use super::backoff::Backoff;
use super::health::{RateMeter, StreamHealth, StreamState};
use super::slot::FrameSlot;
use crate::domain::StreamUrl;
use crate::video::{self, Decoder, DecoderConfig, EncodedUnit, RtspOptions, VideoSource, YuvFrame};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a worker reads its stream.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub rtsp: RtspOptions,
    /// Play files at their frame rate (display) rather than as fast as they decode (analysis).
    pub pace_files: bool,
    /// Start a file again at its end, like a camera that never stops.
    pub loop_files: bool,
    pub first_retry: Duration,
    pub longest_retry: Duration,
    /// Room in the analytics queue; `None` for no analytics queue.
    pub analytics_capacity: Option<usize>,
    /// Where every unit read goes as well (a recorder on the same connection), in order and
    /// without loss: the worker waits for room rather than drop one.
    pub tap: Option<SyncSender<TappedUnit>>,
    /// Where `sample://` addresses play from (off by default).
    pub samples: crate::samples::SamplePlayback,
}

/// What a worker hands its tap: each session's coding, then its units as read.
#[derive(Debug)]
pub enum TappedUnit {
    /// A new session with the source: how its units are coded.
    Session { config: DecoderConfig },
    /// A unit as read, when it was taken (UTC ms) and the picture size known so far.
    Unit {
        unit: EncodedUnit,
        wall_ms: i64,
        dimensions: (u32, u32),
    },
    /// The session ended (end of file, the camera closed it, or a failure).
    Ended,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            rtsp: RtspOptions::default(),
            pace_files: true,
            loop_files: true,
            first_retry: Duration::from_millis(500),
            longest_retry: Duration::from_secs(30),
            analytics_capacity: None,
            tap: None,
            samples: crate::samples::SamplePlayback::default(),
        }
    }
}

/// A running stream. Dropping it asks the worker to stop (it exits at its next check, at the
/// latest after the source's read timeout); [`StreamWorker::stop`] also waits for it.
pub struct StreamWorker {
    stop: Arc<AtomicBool>,
    slot: FrameSlot,
    health: Arc<Mutex<StreamHealth>>,
    analytics: Option<Receiver<Arc<YuvFrame>>>,
    thread: Option<JoinHandle<()>>,
}

impl StreamWorker {
    /// Starts a named thread `ingest-NAME` reading `url`.
    pub fn start(name: &str, url: StreamUrl, options: IngestOptions) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let slot = FrameSlot::new();
        let health = Arc::new(Mutex::new(StreamHealth::default()));
        let (analytics_tx, analytics_rx) = match options.analytics_capacity {
            Some(capacity) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let context = Worker {
            url,
            options,
            stop: Arc::clone(&stop),
            slot: slot.clone(),
            health: Arc::clone(&health),
            analytics: analytics_tx,
        };
        let thread = std::thread::Builder::new()
            .name(format!("ingest-{name}"))
            .spawn(move || context.run())?;
        Ok(Self {
            stop,
            slot,
            health,
            analytics: analytics_rx,
            thread: Some(thread),
        })
    }

    /// The display slot of this stream.
    pub fn slot(&self) -> FrameSlot {
        self.slot.clone()
    }

    /// The health as the worker updates it (for a reader elsewhere).
    pub fn health_handle(&self) -> Arc<Mutex<StreamHealth>> {
        Arc::clone(&self.health)
    }

    pub fn health(&self) -> StreamHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// The analytics queue's receiving end (once).
    pub fn take_analytics(&mut self) -> Option<Receiver<Arc<YuvFrame>>> {
        self.analytics.take()
    }

    /// Stops the worker and waits for its thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for StreamWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Worker {
    url: StreamUrl,
    options: IngestOptions,
    stop: Arc<AtomicBool>,
    slot: FrameSlot,
    health: Arc<Mutex<StreamHealth>>,
    analytics: Option<SyncSender<Arc<YuvFrame>>>,
}

/// How one session with the source ended.
enum SessionEnd {
    Stopped,
    /// End of a file, or the server closed the stream.
    Ended {
        frames: u64,
    },
    Failed {
        reason: String,
        frames: u64,
    },
}

impl Worker {
    fn run(self) {
        let mut backoff = Backoff::new(self.options.first_retry, self.options.longest_retry);
        // A built-in sample clip plays as a file does: paced, and again from its start.
        let is_file =
            self.url.scheme().eq_ignore_ascii_case("file") || self.url.sample_name().is_some();
        while !self.stopped() {
            self.update(|h| h.state = StreamState::Connecting);
            let reason = match video::open_with_samples(
                &self.url,
                &self.options.rtsp,
                &self.options.samples,
            ) {
                Err(e) => e.to_string(),
                Ok(source) => match self.session(source, is_file) {
                    SessionEnd::Stopped => break,
                    SessionEnd::Ended { frames } if is_file => {
                        if !self.options.loop_files {
                            self.update(|h| h.state = StreamState::Stopped);
                            return;
                        }
                        if frames > 0 {
                            backoff.reset();
                            continue;
                        }
                        "the file holds no decodable picture".to_owned()
                    }
                    SessionEnd::Ended { frames } => {
                        if frames > 0 {
                            backoff.reset();
                        }
                        "the camera ended the stream".to_owned()
                    }
                    SessionEnd::Failed { reason, frames } => {
                        if frames > 0 {
                            backoff.reset();
                        }
                        reason
                    }
                },
            };
            let delay = backoff.next_delay();
            tracing::warn!(stream = %self.url, %reason, retry_in_ms = delay.as_millis() as u64, "stream failed");
            let attempt = backoff.attempts();
            self.update(|h| {
                h.state = StreamState::Retrying {
                    attempt,
                    reason: reason.clone(),
                };
                h.last_error = Some(reason.clone());
                h.fps_in = 0.0;
                h.fps_decoded = 0.0;
                h.bitrate_bps = 0.0;
            });
            self.sleep(delay);
        }
        self.update(|h| h.state = StreamState::Stopped);
    }

    fn session(&self, source: Box<dyn VideoSource>, is_file: bool) -> SessionEnd {
        self.tap(|| TappedUnit::Session {
            config: source.decoder_config(),
        });
        let end = self.read_session(source, is_file);
        self.tap(|| TappedUnit::Ended);
        end
    }

    /// Hands the tap what `message` makes, waiting for room (nothing is dropped); a tap
    /// whose receiver is gone is ignored.
    fn tap(&self, message: impl FnOnce() -> TappedUnit) {
        if let Some(tap) = &self.options.tap {
            let _ = tap.send(message());
        }
    }

    fn read_session(&self, mut source: Box<dyn VideoSource>, is_file: bool) -> SessionEnd {
        let info = source.info();
        let mut decoder = match Decoder::new(&source.decoder_config()) {
            Ok(d) => d,
            Err(e) => {
                return SessionEnd::Failed {
                    reason: e.to_string(),
                    frames: 0,
                };
            }
        };
        self.update(|h| h.codec = Some(info.codec.name()));
        let frame_interval =
            Duration::from_secs_f64(1.0 / info.frame_rate.unwrap_or(25.0).max(1.0));
        let pace = is_file && self.options.pace_files;
        let started = Instant::now();
        let mut meter = RateMeter::new();
        let mut bitrate = video::limits::BitrateWindow::default();
        let mut frames = Vec::new();
        let mut decoded: u64 = 0;
        let mut units: u32 = 0;
        let mut dimensions = info.dimensions;
        loop {
            if self.stopped() {
                return SessionEnd::Stopped;
            }
            let unit = match source.next_unit() {
                None => {
                    let _ = decoder.finish(&mut frames);
                    decoded += self.publish(&mut frames, &mut meter, source.as_ref());
                    return SessionEnd::Ended { frames: decoded };
                }
                Some(Err(e)) => {
                    return SessionEnd::Failed {
                        reason: e.to_string(),
                        frames: decoded,
                    };
                }
                Some(Ok(unit)) => unit,
            };
            if pace {
                let due = started + frame_interval * units;
                self.sleep(due.saturating_duration_since(Instant::now()));
            }
            units = units.saturating_add(1);
            meter.unit(unit.data.len());
            if let Err(e) = bitrate.add(unit.pts_90k, unit.data.len()) {
                return SessionEnd::Failed {
                    reason: e.to_string(),
                    frames: decoded,
                };
            }
            // A decode error is counted by the decoder, which then waits for a keyframe; a
            // picture beyond the limits ends the session with the reason.
            if let Err(video::DecodeError::TooLarge(e)) = decoder.decode(&unit, &mut frames) {
                return SessionEnd::Failed {
                    reason: e.to_string(),
                    frames: decoded,
                };
            }
            if let Some(frame) = frames.last() {
                dimensions = (frame.width, frame.height);
            }
            let published = self.publish(&mut frames, &mut meter, source.as_ref());
            if self.options.tap.is_some() {
                let wall_ms = source.capture_utc_ms(unit.pts_90k);
                self.tap(|| TappedUnit::Unit {
                    unit,
                    wall_ms,
                    dimensions,
                });
            }
            if decoded == 0 && published > 0 {
                self.update(|h| {
                    h.state = StreamState::Playing;
                    h.last_error = None;
                });
            }
            decoded += published;
            let stats = decoder.stats();
            let lost = source.lost_packets();
            let dropped_display = self.slot.dropped();
            let clock_offset = source.clock_offset_ms();
            self.update(|h| {
                meter.publish(h);
                h.clock_offset_ms = clock_offset;
                h.decode_errors = stats.errors;
                h.lost_packets = lost;
                h.dropped_display = dropped_display;
            });
        }
    }

    /// Hands decoded frames to the display slot and the analytics queue; returns how many.
    fn publish(
        &self,
        frames: &mut Vec<YuvFrame>,
        meter: &mut RateMeter,
        source: &dyn VideoSource,
    ) -> u64 {
        let mut count = 0;
        for frame in frames.drain(..) {
            let wall_ms = source.capture_utc_ms(frame.pts_90k);
            let frame = Arc::new(frame);
            let (width, height) = (frame.width, frame.height);
            if let Some(queue) = &self.analytics
                && let Err(TrySendError::Full(_)) = queue.try_send(Arc::clone(&frame))
            {
                self.update(|h| h.dropped_analytics += 1);
            }
            self.slot.publish_at(frame, wall_ms);
            meter.frame();
            count += 1;
            self.update(|h| {
                h.width = width;
                h.height = height;
                h.last_frame_at = Some(Instant::now());
            });
        }
        count
    }

    fn update(&self, change: impl FnOnce(&mut StreamHealth)) {
        if let Ok(mut health) = self.health.lock() {
            change(&mut health);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps up to `duration`, waking early when asked to stop.
    fn sleep(&self, duration: Duration) {
        let until = Instant::now() + duration;
        while !self.stopped() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
