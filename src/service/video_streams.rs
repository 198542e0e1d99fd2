//! The live streams the console watches: one ingest worker per (camera, main/sub) in use,
//! started when a tile needs it and stopped when no tile does. The UI asks for a stream and
//! gets its display slot and health; it never starts a thread itself.

use crate::config::CameraCredentials;
use crate::domain::{CameraStatus, StreamUrl};
use crate::ingest::{FrameSlot, IngestOptions, StreamHealth, StreamState, StreamWorker};
use std::collections::{HashMap, HashSet};

/// Which of a camera's streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    Main,
    Sub,
}

/// A stream of a camera.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub camera: String,
    pub kind: StreamKind,
}

struct Watched {
    url: StreamUrl,
    worker: Option<StreamWorker>,
    /// Why the worker could not be started, if it could not.
    start_error: Option<String>,
}

/// Every stream being watched now.
pub struct VideoStreams {
    options: IngestOptions,
    credentials: CameraCredentials,
    streams: HashMap<StreamKey, Watched>,
}

/// Which status wins when a camera has two streams: a playing stream shows it online.
fn rank(status: CameraStatus) -> u8 {
    match status {
        CameraStatus::Unknown => 0,
        CameraStatus::Offline => 1,
        CameraStatus::Alarm => 2,
        CameraStatus::Online => 3,
    }
}

impl VideoStreams {
    pub fn new(options: IngestOptions, credentials: CameraCredentials) -> Self {
        Self {
            options,
            credentials,
            streams: HashMap::new(),
        }
    }

    /// Makes sure `key` is read from `url` (restarting the worker if the URL changed) and
    /// returns its display slot.
    pub fn watch(
        &mut self,
        key: &StreamKey,
        url: &StreamUrl,
        credentials_ref: Option<&str>,
    ) -> Option<FrameSlot> {
        let current = self.streams.get(key).is_some_and(|w| &w.url == url);
        if !current {
            let mut options = self.options.clone();
            options.rtsp.credentials = credentials_ref.and_then(|r| self.credentials.get(r));
            let name = format!(
                "{}-{}",
                key.camera,
                if key.kind == StreamKind::Main {
                    "main"
                } else {
                    "sub"
                }
            );
            let (worker, start_error) = match StreamWorker::start(&name, url.clone(), options) {
                Ok(worker) => (Some(worker), None),
                Err(e) => {
                    tracing::error!(stream = %name, error = %e, "cannot start an ingest thread");
                    (None, Some(format!("cannot start the ingest thread: {e}")))
                }
            };
            self.streams.insert(
                key.clone(),
                Watched {
                    url: url.clone(),
                    worker,
                    start_error,
                },
            );
        }
        self.streams
            .get(key)
            .and_then(|w| w.worker.as_ref())
            .map(StreamWorker::slot)
    }

    pub fn health(&self, key: &StreamKey) -> Option<StreamHealth> {
        let watched = self.streams.get(key)?;
        match (&watched.worker, &watched.start_error) {
            (Some(worker), _) => Some(worker.health()),
            (None, Some(reason)) => Some(StreamHealth {
                state: StreamState::Failed {
                    reason: reason.clone(),
                },
                ..StreamHealth::default()
            }),
            (None, None) => None,
        }
    }

    /// Stops every stream not in `keep`.
    pub fn retain(&mut self, keep: &HashSet<StreamKey>) {
        self.streams.retain(|key, _| keep.contains(key));
    }

    /// Status and health of every watched camera, for the map and the camera panel: the
    /// status is the best of its streams (online when any plays), the health that of the
    /// stream it is read from (the sub stream when both are watched).
    pub fn cameras(&self) -> HashMap<String, (CameraStatus, StreamHealth)> {
        let mut cameras: HashMap<String, (CameraStatus, StreamHealth)> = HashMap::new();
        for key in self.streams.keys() {
            let Some(health) = self.health(key) else {
                continue;
            };
            let status = match health.state {
                StreamState::Playing => CameraStatus::Online,
                StreamState::Retrying { .. } | StreamState::Failed { .. } => CameraStatus::Offline,
                StreamState::Connecting | StreamState::Stopped => CameraStatus::Unknown,
            };
            let entry = cameras
                .entry(key.camera.clone())
                .or_insert((status, health.clone()));
            if rank(status) > rank(entry.0) {
                entry.0 = status;
            }
            if key.kind == StreamKind::Sub {
                entry.1 = health;
            }
        }
        cameras
    }

    /// Number of streams being read.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}
