//! The live streams the console watches: one ingest worker per (camera, main/sub) in use,
//! started when a tile needs it and stopped when no tile does, and registered with the shared
//! detector when detection is on. The UI asks for a stream and gets what to show (the frame and
//! its detections) and its health; it never starts a thread itself.

use super::shared_streams::{LentStream, SharedStreams};
use crate::analytics::{
    DetectStats, DetectorService, DetectorStatus, DisplayChoice, Registered, choose_display,
    feed::DISPLAY_HISTORY,
};
use crate::config::{CameraCredentials, DetectConfig, SignalsConfig};
use crate::domain::geometry::JunctionGeometry;
use crate::domain::{CameraStatus, StreamUrl};
use crate::ingest::{FrameSlot, IngestOptions, StreamHealth, StreamState, StreamWorker};
use crate::rules::{RuleConfig, RuleEvent, RuleSet};
use crate::signals::{
    CameraSignals, ControllerFeed, FixedTimePlan, SignalReading, VisionConfig, VisionSignals,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The picture waits at most this long for the detector (90 kHz ticks: half a second).
const MAX_DISPLAY_DELAY_90K: i64 = 45_000;

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
    /// Whether searching was asked for.
    analyse: bool,
    worker: Option<StreamWorker>,
    /// Why the worker could not be started, if it could not.
    start_error: Option<String>,
    /// The stream's place at the detector, when detection is on.
    detection: Option<Registered>,
    /// The camera's junction geometry and signal plan, when its rules run.
    geometry: Option<DrawnJunction>,
    /// Borrowed from another `VideoStreams` of the process (no worker of its own; its
    /// detection and events belong to the lender).
    lent: Option<LentStream>,
}

impl Watched {
    /// Its place at this detector: `None` when not searched here (or searched by the lender).
    fn searched_here(&self) -> Option<&Registered> {
        self.detection.as_ref().filter(|_| self.lent.is_none())
    }

    fn slot(&self) -> Option<FrameSlot> {
        match (&self.worker, &self.lent) {
            (Some(worker), _) => Some(worker.slot()),
            (None, Some(lent)) => Some(lent.slot.clone()),
            (None, None) => None,
        }
    }
}

/// Analysis of the watched streams: the shared detector, how each stream is scheduled on it,
/// and what their rules need (stored geometries, junctions, controller feeds).
struct Analysis {
    service: DetectorService,
    config: DetectConfig,
    rules: RulesSetup,
    /// Controller feeds being read, by junction and address (cameras of one junction share
    /// one).
    feeds: HashMap<String, Arc<ControllerFeed>>,
    /// The feeds' keys (`credentials.toml`, `[signal_keys]`).
    credentials: CameraCredentials,
    /// Geometries from the database, by camera (they take precedence over files).
    stored: HashMap<String, JunctionGeometry>,
    /// Each camera's junction code (for its controller feed).
    junction_of: HashMap<String, String>,
}

/// How a watched stream is used.
#[derive(Debug, Clone)]
pub struct StreamUse {
    /// Searched by the detector (when detection is on). Default: true.
    pub analyse: bool,
    /// Every unit read also goes here (a recorder).
    pub tap: Option<std::sync::mpsc::SyncSender<crate::ingest::TappedUnit>>,
    /// Frames the display keeps (a tile that waits for an engine's boxes from elsewhere).
    pub history: usize,
    /// The plates of its tracked vehicles are read (an engine's enforcement cameras).
    pub read_plates: bool,
}

impl Default for StreamUse {
    fn default() -> Self {
        Self {
            analyse: true,
            tap: None,
            history: 0,
            read_plates: false,
        }
    }
}

/// Where cameras' rules and signals come from.
#[derive(Debug, Clone, Default)]
pub struct RulesSetup {
    /// Folder of `CAMERA.json` geometries (used when the database has none for a camera) and
    /// `CAMERA.plan.json` fixed-time plans.
    pub geometry_dir: Option<PathBuf>,
    pub signals: SignalsConfig,
    /// The rules' tuning (`[rules]` of the configuration).
    pub config: RuleConfig,
}

/// A tracked vehicle's plate, settled on a camera.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePlate {
    pub camera: String,
    /// The plate; its `wall_ms` is when the best reading's frame was taken.
    pub plate: crate::analytics::plates::TrackPlate,
}

/// An event a camera's rules raised.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub camera: String,
    pub event: RuleEvent,
    /// When it happened on the wall clock (UTC ms), from the frames' capture times.
    pub at_utc_ms: Option<i64>,
    /// The camera's clock offset when its times were corrected (beyond the tolerance).
    pub camera_clock_offset_ms: Option<i64>,
}

impl LiveEvent {
    /// The event as the store keeps it (`geometry_version`: the stored geometry its rules ran
    /// on, if any).
    pub fn to_new_event(&self, geometry_version: Option<i32>) -> crate::store::NewEvent {
        let (camera, event) = (&self.camera, &self.event);
        let catalogue = crate::rules::Catalogue::bundled();
        crate::store::NewEvent {
            camera_code: camera.to_owned(),
            kind: event.kind,
            track: event.track as i64,
            class: event.class,
            place: event.approach.clone().or_else(|| event.zone.clone()),
            stream_at_ms: event.at_ms,
            time_into_red_ms: event.time_into_red_ms,
            clause: catalogue
                .penalty(event.act, event.class)
                .map(|p| p.clause.clone()),
            detail: crate::domain::EventDetail {
                evidence_ms: event.evidence_ms.clone(),
                speed_px_s: event.speed_px_s,
                speed_kmh: event.speed_kmh,
                at_utc_ms: self.at_utc_ms,
                geometry_version,
                act: Some(event.act),
                camera_clock_offset_ms: self.camera_clock_offset_ms,
                watch: None,
            },
        }
    }
}

/// One approach's signal group and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproachSignal {
    pub approach: String,
    pub group: String,
    pub reading: SignalReading,
}

/// Every stream being watched now.
pub struct VideoStreams {
    options: IngestOptions,
    credentials: CameraCredentials,
    streams: HashMap<StreamKey, Watched>,
    analysis: Option<Analysis>,
    /// Problems to show the user (a camera's geometry that cannot be read).
    problems: Vec<String>,
    /// A console's: whom the back end acts for, asked before live video plays for anyone.
    viewer: Option<super::Session>,
    /// Streams refused to the viewer (said once each).
    refused: std::collections::HashSet<StreamKey>,
    /// Where this one lends every stream it reads (the console's own engine).
    lending: Option<SharedStreams>,
    /// Where this one borrows a stream before reading it itself (the console's wall).
    borrowing: Option<SharedStreams>,
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
    /// The camera log-ins the streams use (the PTZ commands use them too).
    pub fn credentials(&self) -> &CameraCredentials {
        &self.credentials
    }

    pub fn new(options: IngestOptions, credentials: CameraCredentials) -> Self {
        Self {
            options,
            credentials,
            streams: HashMap::new(),
            analysis: None,
            problems: Vec::new(),
            viewer: None,
            refused: std::collections::HashSet::new(),
            lending: None,
            borrowing: None,
        }
    }

    /// Lends every stream watched from now on through `shared`.
    pub fn lending(mut self, shared: SharedStreams) -> Self {
        self.lending = Some(shared);
        self
    }

    /// Shows a stream lent through `shared` rather than reading it a second time.
    pub fn borrowing(mut self, shared: SharedStreams) -> Self {
        self.borrowing = Some(shared);
        self
    }

    /// Has every stream watched from now on searched by `service`, scheduled by `config`.
    pub fn with_detector(
        mut self,
        service: DetectorService,
        config: DetectConfig,
        rules: RulesSetup,
    ) -> Self {
        self.analysis = Some(Analysis {
            service,
            config,
            rules,
            feeds: HashMap::new(),
            credentials: self.credentials.clone(),
            stored: HashMap::new(),
            junction_of: HashMap::new(),
        });
        self
    }

    /// The detector's state; `None` when detection is off.
    pub fn detector_status(&self) -> Option<DetectorStatus> {
        self.analysis.as_ref().map(|d| d.service.status())
    }

    /// Makes sure `key` is read from `url` (restarting the worker if the URL changed) and
    /// returns its display slot.
    pub fn watch(
        &mut self,
        key: &StreamKey,
        url: &StreamUrl,
        credentials_ref: Option<&str>,
    ) -> Option<FrameSlot> {
        self.watch_with(key, url, credentials_ref, StreamUse::default())
    }

    /// Plays live video only for whom `session` says may watch it (a console's streams; an
    /// engine's record and search without a viewer).
    pub fn gated_by(mut self, session: super::Session) -> Self {
        self.viewer = Some(session);
        self
    }

    /// As [`VideoStreams::watch`], saying whether the stream is searched and where its units
    /// go as well (an engine records the stream it reads, on the same connection).
    pub fn watch_with(
        &mut self,
        key: &StreamKey,
        url: &StreamUrl,
        credentials_ref: Option<&str>,
        usage: StreamUse,
    ) -> Option<FrameSlot> {
        if let Some(viewer) = &self.viewer {
            match viewer.allows(crate::domain::Permission::ViewLive) {
                // The database is not open yet: nobody is known to ask for.
                None => return None,
                Some(Err(reason)) => {
                    if !self.refused.contains(key) {
                        self.refused.insert(key.clone());
                        tracing::warn!(camera = %key.camera, %reason, "live video refused");
                        self.problems.push(format!("{}: {reason}", key.camera));
                    }
                    if let Some(old) = self.streams.remove(key) {
                        self.release(key, old);
                    }
                    return None;
                }
                Some(Ok(())) => {
                    self.refused.remove(key);
                }
            }
        }
        // Called for every tile every frame: only the lent generation is compared here.
        let lent_generation = self.borrowing.as_ref().and_then(|b| b.generation(key));
        let current = self.streams.get(key).is_some_and(|w| {
            &w.url == url
                && w.analyse == usage.analyse
                && w.lent.as_ref().map(|l| l.generation) == lent_generation
        });
        let lent = match (current, &self.borrowing) {
            (false, Some(borrowing)) => borrowing.get(key),
            _ => None,
        };
        if !current && let Some(lent) = lent {
            let watched = Watched {
                url: url.clone(),
                analyse: usage.analyse,
                worker: None,
                start_error: None,
                detection: lent.detection.clone(),
                geometry: lent.geometry.clone(),
                lent: Some(lent),
            };
            if let Some(old) = self.streams.insert(key.clone(), watched) {
                self.release(key, old);
            }
        } else if !current {
            let mut options = self.options.clone();
            options.rtsp.credentials = credentials_ref.and_then(|r| self.credentials.get(r));
            options.tap = usage.tap;
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
            if let Some(worker) = &worker
                && usage.history > 0
            {
                worker.slot().keep_history(usage.history);
            }
            let mut geometry = None;
            let detection = match (&worker, &mut self.analysis) {
                (Some(worker), Some(detection)) if detection.config.enabled && usage.analyse => {
                    let slot = worker.slot();
                    slot.keep_history(DISPLAY_HISTORY);
                    let registered = detection
                        .service
                        .register(&slot, detection.config.schedule_for(&key.camera));
                    registered.feed.set_plate_reading(usage.read_plates);
                    match detection.camera_rules(&key.camera, url) {
                        Ok(Some((drawn, rules, signals))) => {
                            registered.feed.set_rules(rules, signals);
                            registered
                                .feed
                                .set_focus(detection.config.focus_for(&drawn.geometry));
                            geometry = Some(drawn);
                        }
                        Ok(None) => {}
                        Err(problem) => {
                            tracing::warn!(camera = %key.camera, %problem, "no rules for this camera");
                            self.problems.push(problem);
                        }
                    }
                    Some(registered)
                }
                _ => None,
            };
            if let Some(old) = self.streams.insert(
                key.clone(),
                Watched {
                    url: url.clone(),
                    analyse: usage.analyse,
                    worker,
                    start_error,
                    detection,
                    geometry,
                    lent: None,
                },
            ) {
                self.release(key, old);
            }
            self.lend(key);
        }
        self.streams.get(key).and_then(Watched::slot)
    }

    /// Lends `key` (when this one lends its streams).
    fn lend(&self, key: &StreamKey) {
        let (Some(shared), Some(watched)) = (&self.lending, self.streams.get(key)) else {
            return;
        };
        let Some(worker) = &watched.worker else {
            return;
        };
        shared.lend(
            key,
            LentStream {
                generation: 0,
                slot: worker.slot(),
                health: worker.health_handle(),
                detection: watched.detection.clone(),
                geometry: watched.geometry.clone(),
            },
        );
    }

    pub fn health(&self, key: &StreamKey) -> Option<StreamHealth> {
        let watched = self.streams.get(key)?;
        if let Some(lent) = &watched.lent {
            return Some(lent.health());
        }
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

    /// What a display of `key` shows now: with detection, the newest frame the detector has
    /// dealt with and its boxes (so they match the picture), otherwise the newest frame.
    pub fn display(&self, key: &StreamKey) -> Option<DisplayChoice> {
        let watched = self.streams.get(key)?;
        let slot = watched.slot()?;
        match &watched.detection {
            Some(registered) => {
                let rate = registered.feed.stats().rate_fps.max(0.1);
                // Boxes stay on screen for two search intervals (at least one second).
                let max_box_age = ((2.0 / rate).max(1.0) * 90_000.0) as i64;
                choose_display(&slot, &registered.feed, MAX_DISPLAY_DELAY_90K, max_box_age)
            }
            None => slot.show_latest().map(|frame| DisplayChoice {
                frame,
                detections: None,
            }),
        }
    }

    /// Whether `key` shows a stream lent by the engine of this process.
    pub fn is_lent(&self, key: &StreamKey) -> bool {
        self.streams.get(key).is_some_and(|w| w.lent.is_some())
    }

    /// The newest frame of `key` taken at `wall_ms` or before (from the frames it keeps), for
    /// a display drawing what an engine elsewhere found in that frame.
    pub fn frame_taken_by(
        &self,
        key: &StreamKey,
        wall_ms: i64,
    ) -> Option<crate::ingest::SlotFrame> {
        self.streams.get(key)?.slot()?.show_taken_by(wall_ms)
    }

    /// Events raised by the rules of every watched stream since the last call, oldest first.
    pub fn take_events(&self) -> Vec<LiveEvent> {
        let mut events = Vec::new();
        for (key, watched) in &self.streams {
            // A lent stream's events are the lender's to take.
            if let Some(registered) = watched.searched_here() {
                let offset = registered.feed.wall_offset_ms();
                let clock_off = self.health(key).and_then(|h| h.clock_off_ms());
                events.extend(
                    registered
                        .feed
                        .take_events()
                        .into_iter()
                        .map(|event| LiveEvent {
                            camera: key.camera.clone(),
                            at_utc_ms: offset.map(|o| event.at_ms.saturating_add(o)),
                            camera_clock_offset_ms: clock_off,
                            event,
                        }),
                );
            }
        }
        events.sort_by_key(|e| e.event.at_ms);
        events
    }

    /// The plates settled on every watched stream since the last call, with their camera.
    pub fn take_plates(&self) -> Vec<LivePlate> {
        let mut taken = Vec::new();
        for (key, watched) in &self.streams {
            if let Some(registered) = watched.searched_here() {
                taken.extend(
                    registered
                        .feed
                        .take_plates()
                        .into_iter()
                        .map(|plate| LivePlate {
                            camera: key.camera.clone(),
                            plate,
                        }),
                );
            }
        }
        taken
    }

    /// The vehicles counted over every watched stream's count lines since the last call, with
    /// their camera and wall-clock time (`None` before the stream's frames gave one).
    pub fn take_crossings(&self) -> Vec<(String, crate::rules::counting::Crossing, Option<i64>)> {
        let mut taken = Vec::new();
        for (key, watched) in &self.streams {
            if let Some(registered) = watched.searched_here() {
                let offset = registered.feed.wall_offset_ms();
                taken.extend(registered.feed.take_crossings().into_iter().map(|c| {
                    let at = offset.map(|o| c.t_ms + o);
                    (key.camera.clone(), c, at)
                }));
            }
        }
        taken
    }

    /// What was drawn over every watched stream since the last call, on the wall clock with
    /// each approach's signal, for recording (streams without a wall-clock time yet wait).
    pub fn take_overlays(&self) -> Vec<crate::domain::overlay::RecordedOverlay> {
        use crate::domain::overlay::{OverlaySignal, RecordedOverlay};
        let mut taken = Vec::new();
        for (key, watched) in &self.streams {
            let Some(registered) = watched.searched_here() else {
                continue;
            };
            let Some(offset) = registered.feed.wall_offset_ms() else {
                continue;
            };
            for draft in registered.feed.take_overlays() {
                let signals = self
                    .signal_states(key, draft.t_ms * 90)
                    .into_iter()
                    .map(|s| OverlaySignal {
                        approach: s.approach,
                        group: s.group,
                        colour: s.reading.state.colour,
                        since_ms: s.reading.state.since_ms.map(|since| since + offset),
                    })
                    .collect();
                taken.push(RecordedOverlay {
                    camera: key.camera.clone(),
                    at_ms: draft.t_ms + offset,
                    width: draft.width,
                    height: draft.height,
                    boxes: draft.boxes,
                    signals,
                });
            }
        }
        taken
    }

    /// The junction geometry drawn for `key`'s camera, when its rules run.
    pub fn geometry(&self, key: &StreamKey) -> Option<&JunctionGeometry> {
        Some(&self.streams.get(key)?.geometry.as_ref()?.geometry)
    }

    /// What each approach's signal group of `key`'s camera shows at `pts_90k` of its stream,
    /// from the first source that knows (feed, plan, the video), with any disagreement.
    pub fn signal_states(&self, key: &StreamKey, pts_90k: i64) -> Vec<ApproachSignal> {
        let Some(watched) = self.streams.get(key) else {
            return Vec::new();
        };
        approach_signals(
            watched.geometry.as_ref(),
            watched.detection.as_ref(),
            pts_90k,
        )
    }

    /// Each camera with signals that is watched here or lent by this process's engine (so the
    /// map shows the phases of every junction the engine analyses, on the wall or not), what
    /// its approaches show at its newest frame, and that frame's time (stream milliseconds).
    pub fn signal_overview(&self) -> Vec<(String, Vec<ApproachSignal>, i64)> {
        let mut overview: Vec<(String, Vec<ApproachSignal>, i64)> = Vec::new();
        let lent = self
            .borrowing
            .as_ref()
            .map(SharedStreams::all)
            .unwrap_or_default();
        let watched = self.streams.iter().map(|(key, watched)| {
            (
                key,
                watched.slot(),
                watched.geometry.as_ref(),
                watched.detection.as_ref(),
            )
        });
        let lent = lent.iter().map(|(key, stream)| {
            (
                key,
                Some(stream.slot.clone()),
                stream.geometry.as_ref(),
                stream.detection.as_ref(),
            )
        });
        for (key, slot, geometry, detection) in watched.chain(lent) {
            if overview.iter().any(|(camera, _, _)| camera == &key.camera) {
                continue;
            }
            let Some(frame) = slot.and_then(|slot| slot.latest()) else {
                continue;
            };
            let pts_90k = frame.frame.pts_90k;
            let states = approach_signals(geometry, detection, pts_90k);
            if !states.is_empty() {
                overview.push((key.camera.clone(), states, pts_90k / 90));
            }
        }
        overview.sort_by(|a, b| a.0.cmp(&b.0));
        overview
    }

    /// The newest frame of `camera` (its main stream when watched, else its sub stream).
    pub fn latest_frame(&self, camera: &str) -> Option<std::sync::Arc<crate::video::YuvFrame>> {
        [StreamKind::Main, StreamKind::Sub]
            .into_iter()
            .find_map(|kind| {
                let key = StreamKey {
                    camera: camera.to_owned(),
                    kind,
                };
                let slot = self.streams.get(&key)?.slot()?;
                Some(slot.latest()?.frame)
            })
    }

    /// The geometry `camera`'s rules run on, when one of its streams is watched.
    pub fn camera_geometry(&self, camera: &str) -> Option<JunctionGeometry> {
        [StreamKind::Main, StreamKind::Sub]
            .into_iter()
            .find_map(|kind| {
                self.geometry(&StreamKey {
                    camera: camera.to_owned(),
                    kind,
                })
                .cloned()
            })
    }

    /// Each camera's junction, for its controller feed (from the registry).
    pub fn set_junctions(&mut self, junction_of: HashMap<String, String>) {
        if let Some(detection) = &mut self.analysis {
            detection.junction_of = junction_of;
        }
    }

    /// Geometries stored in the database, by camera: they replace the files, and the rules of
    /// watched cameras whose geometry changed start again with the new one.
    pub fn set_geometries(&mut self, stored: HashMap<String, JunctionGeometry>) {
        let Some(detection) = &mut self.analysis else {
            return;
        };
        let changed: Vec<String> = stored
            .iter()
            .filter(|(camera, g)| detection.stored.get(*camera) != Some(*g))
            .map(|(camera, _)| camera.clone())
            .collect();
        detection.stored = stored;
        let mut relend = Vec::new();
        for (key, watched) in &mut self.streams {
            if !changed.contains(&key.camera) || watched.lent.is_some() {
                continue;
            }
            let Some(registered) = &watched.detection else {
                continue;
            };
            match detection.camera_rules(&key.camera, &watched.url) {
                Ok(Some((drawn, rules, signals))) => {
                    registered.feed.set_rules(rules, signals);
                    registered
                        .feed
                        .set_focus(detection.config.focus_for(&drawn.geometry));
                    watched.geometry = Some(drawn);
                    relend.push(key.clone());
                }
                Ok(None) => {}
                Err(problem) => self.problems.push(problem),
            }
        }
        for key in relend {
            self.lend(&key);
        }
    }

    /// Problems found since the last call (for the status bar).
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// Detection counts of `key`, when it is searched.
    pub fn detect_stats(&self, key: &StreamKey) -> Option<DetectStats> {
        let registered = self.streams.get(key)?.detection.as_ref()?;
        Some(registered.feed.stats())
    }

    /// Detection counts of a camera (of the stream its health is read from).
    pub fn camera_detect_stats(&self, camera: &str) -> Option<DetectStats> {
        [StreamKind::Sub, StreamKind::Main]
            .into_iter()
            .find_map(|kind| {
                self.detect_stats(&StreamKey {
                    camera: camera.to_owned(),
                    kind,
                })
            })
    }

    /// Stops every stream not in `keep`.
    pub fn retain(&mut self, keep: &HashSet<StreamKey>) {
        let gone: Vec<StreamKey> = self
            .streams
            .keys()
            .filter(|key| !keep.contains(*key))
            .cloned()
            .collect();
        for key in gone {
            if let Some(watched) = self.streams.remove(&key) {
                self.release(&key, watched);
            }
        }
    }

    /// Takes a stream off the detector and back from borrowers; its worker stops when
    /// dropped. A borrowed stream only goes (the lender owns it).
    fn release(&self, key: &StreamKey, watched: Watched) {
        if watched.lent.is_some() {
            return;
        }
        if let Some(shared) = &self.lending {
            shared.withdraw(key);
        }
        if let (Some(registered), Some(detection)) = (watched.detection, &self.analysis) {
            detection.service.unregister(registered.id);
        }
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

/// A camera's rules and the sources of its signal states.
type CameraRules = (DrawnJunction, RuleSet, Arc<CameraSignals>);

/// A camera's geometry, for the wall.
#[derive(Debug, Clone)]
pub struct DrawnJunction {
    pub geometry: JunctionGeometry,
}

impl Analysis {
    /// The rules of camera `code`: its geometry from the database, or `DIR/CODE.json`, or
    /// (for a built-in sample clip at `url`) the clip's scene; its signals from the junction's
    /// controller feed, `DIR/CODE.plan.json` or the sample scene's plan (on the stream's
    /// clock) and its signal heads read from the video. `None` when it has no geometry.
    fn camera_rules(&mut self, code: &str, url: &StreamUrl) -> Result<Option<CameraRules>, String> {
        let dir = self.rules.geometry_dir.clone();
        // The first source that has one, read only when the ones before it have none.
        let from_dir = match (self.stored.contains_key(code), &dir) {
            (false, Some(dir)) => read_geometry(dir, code)?,
            _ => None,
        };
        let (geometry, scene_plan) = match (self.stored.get(code), from_dir) {
            (Some(stored), _) => (stored.clone(), None),
            (None, Some(geometry)) => (geometry, None),
            (None, None) => match url.sample_name().and_then(|name| sample_scene(name, code)) {
                Some(scene) => {
                    let (geometry, plan) = scene?;
                    (geometry, Some(plan))
                }
                None => return Ok(None),
            },
        };
        let plan = match &dir {
            Some(dir) => read_plan(dir, code)?,
            None => None,
        }
        .or(scene_plan);
        let junction = self.junction_of.get(code).cloned();
        let feed = junction
            .as_ref()
            .and_then(|junction| self.rules.signals.feeds.get(junction))
            .cloned();
        let feed = feed.and_then(|address| self.feed(&address, junction.as_deref()));
        let vision = if self.rules.signals.vision {
            VisionSignals::new(
                &geometry.signal_heads,
                geometry.frame,
                VisionConfig::default(),
            )
            .map(Arc::new)
        } else {
            None
        };
        let signals = Arc::new(CameraSignals::new(feed, plan, vision));
        tracing::info!(camera = code, ?signals, "rules active");
        let rules = RuleSet::new(&geometry, self.rules.config);
        Ok(Some((DrawnJunction { geometry }, rules, signals)))
    }

    /// The controller feed of `junction` at `address`, connecting on first use; none (said
    /// in the log) without the junction's key in `credentials.toml`, since every line must be
    /// signed with it.
    fn feed(&mut self, address: &str, junction: Option<&str>) -> Option<Arc<ControllerFeed>> {
        let junction = junction?;
        let id = format!("{junction}@{address}");
        if let Some(feed) = self.feeds.get(&id) {
            return Some(Arc::clone(feed));
        }
        let Some(key) = self.credentials.signal_key(junction) else {
            tracing::error!(%junction, %address, "no [signal_keys] entry for this junction in credentials.toml: its controller feed is not read");
            return None;
        };
        match ControllerFeed::connect(address, key) {
            Ok(feed) => {
                let feed = Arc::new(feed);
                self.feeds.insert(id, Arc::clone(&feed));
                Some(feed)
            }
            Err(e) => {
                tracing::error!(%address, error = %e, "cannot start the signal feed thread");
                None
            }
        }
    }
}

/// What each approach's signal group shows at `pts_90k`, for a stream with `geometry` whose
/// rules run in `detection`; empty without either, or without signal sources.
fn approach_signals(
    geometry: Option<&DrawnJunction>,
    detection: Option<&Registered>,
    pts_90k: i64,
) -> Vec<ApproachSignal> {
    let (Some(drawn), Some(signals)) = (geometry, detection.and_then(|r| r.feed.signals())) else {
        return Vec::new();
    };
    if signals.is_empty() {
        return Vec::new();
    }
    drawn
        .geometry
        .approaches
        .iter()
        .map(|a| ApproachSignal {
            approach: a.id.clone(),
            group: a.signal_group.clone(),
            reading: signals.reading(&a.signal_group, pts_90k / 90),
        })
        .collect()
}

/// The geometry (as camera `code`'s) and signal plan of the scene of built-in clip `name`.
fn sample_scene(
    name: &str,
    code: &str,
) -> Option<Result<(JunctionGeometry, FixedTimePlan), String>> {
    let clip = crate::samples::clip(name).ok()?;
    let scene = JunctionGeometry::from_json(clip.geometry_json)
        .map_err(|e| format!("sample scene of {name}: {e}"))
        .and_then(|mut geometry| {
            geometry.camera = code.to_owned();
            let plan = FixedTimePlan::from_json(clip.plan_json)
                .map_err(|e| format!("sample plan of {name}: {e}"))?;
            Ok((geometry, plan))
        });
    Some(scene)
}

/// `dir/CODE.json`, when there.
fn read_geometry(dir: &Path, code: &str) -> Result<Option<JunctionGeometry>, String> {
    if let Some(problem) = crate::domain::safe_path::code_problem(code) {
        return Err(format!(
            "camera code {problem}: no geometry file is read for it"
        ));
    }
    let path = dir.join(format!("{code}.json"));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    JunctionGeometry::from_json(&text)
        .map(Some)
        .map_err(|e| format!("geometry {}: {e}", path.display()))
}

/// `dir/CODE.plan.json`, when there.
fn read_plan(dir: &Path, code: &str) -> Result<Option<FixedTimePlan>, String> {
    if crate::domain::safe_path::code_problem(code).is_some() {
        return Ok(None);
    }
    let path = dir.join(format!("{code}.plan.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => FixedTimePlan::from_json(&text)
            .map(Some)
            .map_err(|e| format!("signal plan {}: {e}", path.display())),
        Err(_) => Ok(None),
    }
}
