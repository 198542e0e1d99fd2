//! One camera's recording inside an engine: a thread `record-CAMERA` that takes the units its
//! stream's ingest worker reads (the same connection the detector's pictures come from) and
//! writes them into segments, indexing each with the camera's lease epoch. It ends when the
//! ingest worker stops (the channel closes), closing the open segment on the way out.

use crate::ingest::TappedUnit;
use crate::recording::{Recorder, RecorderConfig, SegmentEvent};
use crate::store::{DatabaseLocation, LeaseFence, Principal, SegmentEnd, Store, StoreError};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Units waiting for the recorder; the ingest worker waits when it is full (none dropped).
const TAP_CAPACITY: usize = 512;

/// How a camera's recording goes, for its health.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RecordingStatus {
    pub segments_closed: u64,
    pub units_written: u64,
    /// The segment being written.
    pub open_segment: Option<String>,
    pub last_error: Option<String>,
    /// The lease was taken over: nothing more is written.
    pub fenced_off: bool,
}

/// A running camera recorder.
pub struct CameraRecorder {
    thread: Option<JoinHandle<()>>,
    status: Arc<Mutex<RecordingStatus>>,
}

impl CameraRecorder {
    /// Starts the thread; returns it with the sender the ingest worker taps into.
    pub fn start(
        fence: LeaseFence,
        who: Principal,
        database: DatabaseLocation,
        dir: PathBuf,
        segment_s: f64,
    ) -> std::io::Result<(Self, SyncSender<TappedUnit>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel(TAP_CAPACITY);
        let status = Arc::new(Mutex::new(RecordingStatus::default()));
        let shared = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name(format!("record-{}", fence.camera))
            .spawn(move || {
                let job = Job {
                    fence,
                    who,
                    database,
                    dir,
                    segment_s,
                    status: shared,
                    store: None,
                };
                job.run(&rx);
            })?;
        Ok((
            Self {
                thread: Some(thread),
                status,
            },
            tx,
        ))
    }

    pub fn status(&self) -> RecordingStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Whether the thread has ended (its segment closed and indexed).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the thread (it ends once its ingest worker has stopped).
    pub fn join(mut self) -> RecordingStatus {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.status()
    }
}

struct Job {
    fence: LeaseFence,
    who: Principal,
    database: DatabaseLocation,
    dir: PathBuf,
    segment_s: f64,
    status: Arc<Mutex<RecordingStatus>>,
    store: Option<Store>,
}

impl Job {
    fn run(mut self, units: &Receiver<TappedUnit>) {
        let mut recorder: Option<Recorder> = None;
        for message in units.iter() {
            if self.fenced_off() {
                continue; // drain until the worker stops
            }
            let outcome = match message {
                TappedUnit::Session { config } => {
                    let closed = self.close(&mut recorder);
                    recorder = Some(Recorder::new(
                        RecorderConfig {
                            camera: self.fence.camera.clone(),
                            dir: self.dir.clone(),
                            segment_s: self.segment_s,
                        },
                        config,
                    ));
                    closed
                }
                TappedUnit::Unit {
                    unit,
                    wall_ms,
                    dimensions,
                } => match recorder.as_mut() {
                    Some(r) => match r.push(&unit, wall_ms, dimensions) {
                        Ok(events) => {
                            self.update(|s| s.units_written += 1);
                            events.into_iter().try_for_each(|e| self.index(e))
                        }
                        Err(e) => Err(e.to_string()),
                    },
                    None => Ok(()),
                },
                TappedUnit::Ended => self.close(&mut recorder),
            };
            if let Err(message) = outcome {
                tracing::error!(camera = %self.fence.camera, error = %message, "recording failed");
                self.update(|s| s.last_error = Some(message));
            }
        }
        if let Err(message) = self.close(&mut recorder) {
            tracing::error!(camera = %self.fence.camera, error = %message, "closing the segment failed");
            self.update(|s| s.last_error = Some(message));
        }
    }

    /// Ends the open segment of `recorder`, if any, and indexes it.
    fn close(&mut self, recorder: &mut Option<Recorder>) -> Result<(), String> {
        let Some(mut r) = recorder.take() else {
            return Ok(());
        };
        match r.close().map_err(|e| e.to_string())? {
            Some(event) => self.index(event),
            None => Ok(()),
        }
    }

    /// Writes a segment event into the index with the lease's epoch (its file is on disk).
    fn index(&mut self, event: SegmentEvent) -> Result<(), String> {
        let fence = self.fence.clone();
        let who = self.who.clone();
        let outcome = match &event {
            SegmentEvent::Opened {
                path, started_ms, ..
            } => {
                let path = path.to_string_lossy().into_owned();
                let result = self.with_store(|store| {
                    store
                        .recording_opened_fenced(&who, &fence, &path, *started_ms)
                        .map(|_| ())
                });
                self.update(|s| s.open_segment = Some(path));
                result
            }
            SegmentEvent::Closed {
                path,
                ended_ms,
                summary,
            } => {
                let path = path.to_string_lossy().into_owned();
                let started_ms = crate::recording::segment_start_ms(std::path::Path::new(&path))
                    .unwrap_or(*ended_ms);
                let end = SegmentEnd {
                    ended_ms: *ended_ms,
                    size_bytes: summary.size_bytes as i64,
                    units: summary.units as i64,
                    state: "closed",
                };
                let result = self.with_store(|store| {
                    store.recording_ended_fenced(&who, &fence, &path, started_ms, &end)
                });
                self.update(|s| {
                    s.open_segment = None;
                    s.segments_closed += 1;
                });
                result
            }
        };
        match outcome {
            Err(StoreError::StaleLease { .. }) => {
                tracing::warn!(camera = %self.fence.camera, epoch = self.fence.epoch, "lease taken over: recording stops");
                self.update(|s| s.fenced_off = true);
                Ok(())
            }
            other => other.map_err(|e| e.to_string()),
        }
    }

    /// Runs `work` on this thread's store connection, opening it first if needed (a failed
    /// connection is dropped so that the next call opens a new one).
    fn with_store<T>(
        &mut self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.store.is_none() {
            self.store = Some(Store::open(&self.database)?);
        }
        let store = self.store.as_mut().ok_or(StoreError::Rejected {
            what: "recording index".into(),
            reason: "no connection".into(),
        })?;
        let result = work(store);
        if matches!(result, Err(StoreError::Query(_))) {
            self.store = None;
        }
        result
    }

    fn fenced_off(&self) -> bool {
        self.status.lock().map(|s| s.fenced_off).unwrap_or(false)
    }

    fn update(&self, change: impl FnOnce(&mut RecordingStatus)) {
        if let Ok(mut status) = self.status.lock() {
            change(&mut status);
        }
    }
}
