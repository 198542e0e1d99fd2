//! The engine's loop: heartbeat and leases (take the share of cameras this engine's capacity
//! asks, renew them, hand back what a less loaded engine should have), one pipeline per held
//! camera (ingest → recording and detection → tracking → rules), and what the pipelines
//! produce written to the database under the camera's lease epoch.

use super::camera_recorder::CameraRecorder;
use super::event_backlog::{EventBacklog, MAX_WAITING, Stored};
use crate::config::{AnalysedStream, EngineConfig};
use crate::domain::Camera;
use crate::domain::overlay::RecordedOverlay;
use crate::ingest::StreamState;
use crate::recording::RetentionPolicy;
use crate::service::{StreamKey, StreamKind, StreamUse, VideoStreams};
use crate::store::{
    DatabaseLocation, EngineInfo, LeaseFence, Principal, Renewal, Store, StoreError,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often what the pipelines produced is written (events at once, overlays batched).
const DRAIN_EVERY: Duration = Duration::from_millis(100);
/// Overlays are written in batches about this often.
const OVERLAYS_EVERY: Duration = Duration::from_secs(1);
/// Retention and the disk guard run this often.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// What an engine is and where it writes.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub name: String,
    pub host: String,
    pub database: DatabaseLocation,
    pub config: EngineConfig,
    pub recordings_dir: PathBuf,
    pub segment_s: f64,
    pub policy: RetentionPolicy,
}

impl EngineSettings {
    fn lease_ttl_ms(&self) -> i64 {
        (self.config.lease_s.clamp(1.0, 600.0) * 1000.0) as i64
    }

    /// Heartbeats come five times within a lease.
    fn beat_every(&self) -> Duration {
        Duration::from_millis((self.lease_ttl_ms() / 5).max(200) as u64)
    }
}

/// Plate readings kept at most while the database does not answer.
const MAX_WAITING_PLATES: usize = 1_000;

/// Why the engine stopped early.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("another engine named '{0}' is running on this database; give this one another --name")]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A camera this engine holds.
struct Held {
    fence: LeaseFence,
    camera: Camera,
    /// The streams read for it (the main stream always; the sub stream when it is searched).
    keys: Vec<StreamKey>,
    /// The stream whose detections, events and overlays count.
    analysed: StreamKey,
    recorder: Option<CameraRecorder>,
    overlays: Vec<RecordedOverlay>,
    started_at: Instant,
    /// When searches were counted last, and how many were dealt with by then.
    counted: Option<(Instant, u64)>,
    /// Searches dealt with per second since the last heartbeat (searched, or skipped
    /// because nothing moved), while the stream plays.
    searches_per_s: Option<f64>,
}

impl Held {
    /// Whether the detector keeps up with what this camera asks (80 % of its rate at least).
    fn keeping_up(&self, rate_fps: f64) -> bool {
        self.searches_per_s
            .is_none_or(|done| done >= 0.8 * rate_fps)
    }
}

/// A camera being given up: its recorder closing its segment.
struct Closing {
    fence: LeaseFence,
    recorder: Option<CameraRecorder>,
    /// Give the lease back once the segment is indexed (not when it was lost).
    release: bool,
}

/// A running engine.
pub struct Engine {
    settings: EngineSettings,
    store: Store,
    /// Whom the engine acts as: a service account, or this machine's engine.
    principal: Principal,
    streams: VideoStreams,
    held: BTreeMap<String, Held>,
    closing: Vec<Closing>,
    /// Newest stored geometry version per camera (named in events).
    geometry_versions: HashMap<String, i32>,
    /// The newest geometry row read (`None`: never read).
    geometries_read: Option<i64>,
    last_renewal: Instant,
    last_prune: Option<Instant>,
    /// Events raised but not stored yet (the database was down), oldest first, with what
    /// became of the others.
    backlog: EventBacklog<(String, crate::store::NewEvent, LeaseFence)>,
    /// Per camera: vehicles counted and not yet stored.
    counts: BTreeMap<String, crate::rules::counting::MinuteTotals>,
    /// Per camera: overlay batches (and overlays) lost since the database last took one,
    /// so that an outage is logged once when it starts and once when it ends.
    overlays_lost: HashMap<String, (u64, u64)>,
    /// Plates read but not stored yet (the database was down), oldest first, with what
    /// became of the others.
    plates: EventBacklog<(crate::store::NewPlateSighting, LeaseFence)>,
}

impl Engine {
    /// Registers the engine (refused when another engine of the same name is alive).
    pub fn start(
        settings: EngineSettings,
        mut store: Store,
        principal: Principal,
        streams: VideoStreams,
    ) -> Result<Self, EngineError> {
        if !principal.may(crate::domain::Permission::RecordDetections) {
            return Err(EngineError::Store(StoreError::Forbidden {
                who: principal.name().to_owned(),
                needs: crate::domain::Permission::RecordDetections.describe(),
            }));
        }
        if store.engine_alive(&settings.name)? {
            return Err(EngineError::NameTaken(settings.name.clone()));
        }
        let mut engine = Self {
            settings,
            store,
            principal,
            streams,
            held: BTreeMap::new(),
            closing: Vec::new(),
            geometry_versions: HashMap::new(),
            geometries_read: None,
            last_renewal: Instant::now(),
            last_prune: None,
            backlog: EventBacklog::default(),
            counts: BTreeMap::new(),
            overlays_lost: HashMap::new(),
            plates: EventBacklog::with_limit(MAX_WAITING_PLATES),
        };
        let info = engine.info();
        engine.store.engine_heartbeat(&info, true)?;
        tracing::info!(engine = %engine.settings.name, capacity = engine.settings.config.capacity, "engine registered");
        Ok(engine)
    }

    /// Runs until `stop` is set (or `until` has passed), then gives its cameras back cleanly:
    /// streams stopped, open segments closed and indexed, leases released.
    pub fn run(mut self, stop: &AtomicBool, until: Option<Duration>) -> Result<(), EngineError> {
        let started = Instant::now();
        let mut next_beat = Instant::now();
        let mut last_overlays = Instant::now();
        while !stop.load(Ordering::Relaxed) && until.is_none_or(|d| started.elapsed() < d) {
            if Instant::now() >= next_beat {
                next_beat = Instant::now() + self.settings.beat_every();
                if let Err(e) = self.beat() {
                    tracing::error!(engine = %self.settings.name, error = %e, "heartbeat failed; retrying");
                    self.reconnect();
                }
                self.self_fence();
            }
            self.write_events();
            self.write_plates();
            if last_overlays.elapsed() >= OVERLAYS_EVERY {
                last_overlays = Instant::now();
                self.write_overlays();
                self.write_counts();
            }
            self.prune();
            std::thread::sleep(DRAIN_EVERY);
        }
        self.shut_down()
    }

    /// Gives every camera back and marks the engine stopped.
    fn shut_down(mut self) -> Result<(), EngineError> {
        tracing::info!(engine = %self.settings.name, cameras = self.held.len(), "stopping: closing segments, giving cameras back");
        self.write_events();
        self.write_plates();
        self.write_overlays();
        self.write_counts();
        let cameras: Vec<String> = self.held.keys().cloned().collect();
        self.drop_cameras(&cameras, true);
        self.finish_closing(true)?;
        self.store.engine_stopped(&self.settings.name)?;
        tracing::info!(engine = %self.settings.name, events = self.backlog.stored, waiting = self.backlog.waiting(), dropped = self.backlog.dropped, "engine stopped");
        Ok(())
    }

    /// Searches dealt with per second by each held camera since the last count.
    fn count_searches(&mut self) {
        let now = Instant::now();
        for held in self.held.values_mut() {
            let playing = self
                .streams
                .health(&held.analysed)
                .is_some_and(|h| h.state == StreamState::Playing);
            let Some(stats) = self.streams.detect_stats(&held.analysed) else {
                continue;
            };
            let dealt = stats.detected + stats.skipped_still;
            if let (Some((then, before)), true) = (held.counted, playing) {
                let seconds = now.duration_since(then).as_secs_f64();
                if seconds > 0.5 {
                    held.searches_per_s = Some(dealt.saturating_sub(before) as f64 / seconds);
                }
            } else if !playing {
                held.searches_per_s = None;
            }
            held.counted = Some((now, dealt));
        }
    }

    /// Held cameras the detector does not keep up with.
    fn cameras_behind(&self) -> Vec<String> {
        self.held
            .iter()
            .filter(|(_, h)| {
                let rate = self
                    .streams
                    .detect_stats(&h.analysed)
                    .map_or(0.0, |s| s.rate_fps);
                !h.keeping_up(rate)
            })
            .map(|(code, _)| code.clone())
            .collect()
    }

    fn info(&self) -> EngineInfo {
        let detector = self.streams.detector_status().map(|s| format!("{s:?}"));
        let behind = self.cameras_behind();
        EngineInfo {
            name: self.settings.name.clone(),
            host: self.settings.host.clone(),
            pid: i64::from(std::process::id()),
            capacity: self.settings.config.capacity,
            lease_ms: self.settings.lease_ttl_ms(),
            status: serde_json::json!({
                "detector": detector,
                "events_written": self.backlog.stored,
                "events_waiting": self.backlog.waiting(),
                "events_dropped": self.backlog.dropped,
                "plates_stored": self.plates.stored,
                "plates_waiting": self.plates.waiting(),
                // Over capacity every camera is searched less often, in turn (the detector
                // visits the streams round-robin); these are the ones below 80 % of their rate.
                "overloaded": !behind.is_empty(),
                "cameras_behind": behind,
            }),
        }
    }

    /// Heartbeat: renew what is held (with each camera's health), drop what was lost, take
    /// this engine's share of the free cameras, hand back what is over it.
    fn beat(&mut self) -> Result<(), StoreError> {
        let ttl = self.settings.lease_ttl_ms();
        self.count_searches();
        let info = self.info();
        self.store.engine_heartbeat(&info, false)?;
        let renewals: Vec<Renewal> = self
            .held
            .values()
            .map(|h| Renewal {
                fence: h.fence.clone(),
                health: self.health_of(h),
            })
            .collect();
        let lost = self.store.renew_leases(&renewals, ttl)?;
        self.last_renewal = Instant::now();
        if !lost.is_empty() {
            let cameras: Vec<String> = lost.iter().map(|f| f.camera.clone()).collect();
            tracing::warn!(engine = %self.settings.name, ?cameras, "leases taken over by another engine: stopping those cameras");
            self.drop_cameras(&cameras, false);
        }
        self.finish_closing(false)?;
        self.refresh_geometries()?;
        let site = self.store.site_load()?;
        let capacity = self.settings.config.capacity;
        let target = site.target(&self.settings.name, capacity);
        let held = (self.held.len() + self.closing.iter().filter(|c| c.release).count()) as i64;
        if held < target {
            let taken = self
                .store
                .take_leases(&self.settings.name, target - held, ttl)?;
            if !taken.is_empty() {
                let cameras: HashMap<String, Camera> = self
                    .store
                    .cameras()?
                    .into_iter()
                    .map(|c| (c.code.clone(), c))
                    .collect();
                self.streams.set_junctions(
                    cameras
                        .values()
                        .filter_map(|c| Some((c.code.clone(), c.junction_code.clone()?)))
                        .collect(),
                );
                for fence in taken {
                    match cameras.get(&fence.camera) {
                        Some(camera) => self.take_camera(fence, camera.clone()),
                        None => self.store.release_leases(&[fence])?,
                    }
                }
            }
        } else if held > target {
            // Hand cameras back only to an engine that wants more; the newest held go first.
            let wanting = site.wanted_besides(&self.settings.name);
            if wanting > 0 {
                let surplus = ((held - target) as usize).min(wanting as usize);
                let cameras: Vec<String> = self.held.keys().rev().take(surplus).cloned().collect();
                tracing::info!(engine = %self.settings.name, ?cameras, "handing cameras to a less loaded engine");
                self.drop_cameras(&cameras, true);
            }
        }
        Ok(())
    }

    /// The newest stored geometries, read again only when one was saved since: a camera's
    /// rules start again when its geometry changed (an editor saved a version), and events
    /// name the version they were judged on.
    fn refresh_geometries(&mut self) -> Result<(), StoreError> {
        let newest = self.store.newest_geometry_id()?;
        if self.geometries_read == Some(newest) {
            return Ok(());
        }
        let latest = self.store.latest_geometries()?;
        self.geometries_read = Some(newest);
        self.geometry_versions = latest
            .iter()
            .map(|g| (g.camera_code.clone(), g.version))
            .collect();
        self.streams.set_geometries(
            latest
                .into_iter()
                .map(|g| (g.camera_code, g.geometry))
                .collect(),
        );
        Ok(())
    }

    /// Without a renewal for a whole lease the engine cannot know it still holds anything:
    /// it stops every camera (another engine may have them now).
    fn self_fence(&mut self) {
        let ttl = Duration::from_millis(self.settings.lease_ttl_ms() as u64);
        if !self.held.is_empty() && self.last_renewal.elapsed() >= ttl {
            tracing::error!(engine = %self.settings.name, "no lease renewal for a whole lease time: stopping every camera");
            let cameras: Vec<String> = self.held.keys().cloned().collect();
            self.drop_cameras(&cameras, false);
        }
    }

    /// Opens a new database connection after a failure (kept as it was if that fails too).
    fn reconnect(&mut self) {
        // A new connection on the same store keeps its audit checkpoint signer.
        match self.store.reconnect() {
            Ok(()) => {}
            Err(e) => {
                tracing::error!(engine = %self.settings.name, error = %e, "database still unreachable")
            }
        }
    }

    /// Starts a camera's pipeline under `fence`: its unfinished segments recovered, its main
    /// stream recorded, the chosen stream searched.
    fn take_camera(&mut self, fence: LeaseFence, camera: Camera) {
        let code = camera.code.clone();
        match crate::recording::recover_camera(
            &mut self.store,
            &self.principal,
            &self.settings.recordings_dir,
            &code,
        ) {
            Ok(report) if report != Default::default() => {
                tracing::warn!(camera = %code, recovered = report.recovered.len(), indexed = report.indexed.len(), lost = report.lost.len(), "segments left by the camera's last engine recovered");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(camera = %code, error = %e, "recovery of the camera's segments failed")
            }
        }
        let (recorder, tap) = match CameraRecorder::start(
            fence.clone(),
            self.principal.clone(),
            self.settings.database.clone(),
            self.settings.recordings_dir.clone(),
            self.settings.segment_s,
        ) {
            Ok((recorder, tap)) => (Some(recorder), Some(tap)),
            Err(e) => {
                tracing::error!(camera = %code, error = %e, "cannot start the recording thread");
                (None, None)
            }
        };
        let main = StreamKey {
            camera: code.clone(),
            kind: StreamKind::Main,
        };
        let analyse_sub = self.settings.config.analysed_stream(&camera) == AnalysedStream::Sub;
        let read_plates = self.settings.config.reads_plates(&camera);
        let credentials = camera.credentials_ref.as_deref();
        self.streams.watch_with(
            &main,
            &camera.main_url,
            credentials,
            StreamUse {
                analyse: !analyse_sub,
                tap,
                history: 0,
                read_plates: read_plates && !analyse_sub,
            },
        );
        let mut keys = vec![main.clone()];
        let mut analysed = main;
        if analyse_sub && let Some(sub_url) = &camera.sub_url {
            let sub = StreamKey {
                camera: code.clone(),
                kind: StreamKind::Sub,
            };
            let usage = StreamUse {
                read_plates,
                ..StreamUse::default()
            };
            self.streams.watch_with(&sub, sub_url, credentials, usage);
            keys.push(sub.clone());
            analysed = sub;
        }
        tracing::info!(camera = %code, epoch = fence.epoch, stream = ?analysed.kind, "camera taken");
        self.held.insert(
            code,
            Held {
                fence,
                camera,
                keys,
                analysed,
                recorder,
                overlays: Vec::new(),
                started_at: Instant::now(),
                counted: None,
                searches_per_s: None,
            },
        );
    }

    /// Stops the pipelines of `cameras`; their recorders close their segments on their own
    /// threads (an RTSP read may take seconds to notice), and with `release` each lease is
    /// given back once its segment is indexed (see [`Engine::finish_closing`]).
    fn drop_cameras(&mut self, cameras: &[String], release: bool) {
        let dropped: Vec<Held> = cameras
            .iter()
            .filter_map(|code| self.held.remove(code))
            .collect();
        let keep: HashSet<StreamKey> = self
            .held
            .values()
            .flat_map(|h| h.keys.iter().cloned())
            .collect();
        self.streams.retain(&keep);
        self.closing.extend(dropped.into_iter().map(|held| Closing {
            fence: held.fence,
            recorder: held.recorder,
            release,
        }));
    }

    /// Gives back the leases of cameras whose recorder has finished (all of them, waiting,
    /// with `wait`).
    fn finish_closing(&mut self, wait: bool) -> Result<(), StoreError> {
        let (done, pending): (Vec<Closing>, Vec<Closing>) = std::mem::take(&mut self.closing)
            .into_iter()
            .partition(|c| wait || c.recorder.as_ref().is_none_or(CameraRecorder::is_finished));
        self.closing = pending;
        let mut released = Vec::new();
        for closing in done {
            if let Some(recorder) = closing.recorder {
                let status = recorder.join();
                tracing::info!(camera = %closing.fence.camera, segments = status.segments_closed, "camera given up");
            }
            if closing.release {
                released.push(closing.fence);
            }
        }
        if !released.is_empty() {
            self.store.release_leases(&released)?;
        }
        Ok(())
    }

    /// Stores the events the rules raised, each under its camera's lease. An event the
    /// database could not take (it is down) is kept, in order, and stored once it is back;
    /// only a lease taken over meanwhile refuses it (it is then the other engine's camera).
    fn write_events(&mut self) {
        for live in self.streams.take_events() {
            let Some(held) = self.held.get(&live.camera) else {
                continue;
            };
            let event = live.to_new_event(self.geometry_versions.get(&live.camera).copied());
            if !self
                .backlog
                .push((live.camera.clone(), event, held.fence.clone()))
            {
                tracing::error!(camera = %live.camera, "event dropped: {MAX_WAITING} events wait for the database already");
            }
        }
        let (store, principal) = (&mut self.store, &self.principal);
        let mut taken_over = Vec::new();
        let failed = self.backlog.drain(|(camera, event, fence)| {
            match store.record_event_fenced(principal, event, fence) {
                Ok(id) => {
                    tracing::info!(camera = %camera, id, kind = event.kind.code(), clause = ?event.clause, "event stored");
                    Stored::Yes
                }
                Err(StoreError::StaleLease { .. }) => {
                    tracing::warn!(camera = %camera, "event refused: the lease was taken over");
                    taken_over.push(camera.clone());
                    Stored::Refused
                }
                Err(e) => {
                    tracing::error!(camera = %camera, error = %e, "cannot store an event; kept until the database is back");
                    Stored::NotNow
                }
            }
        });
        if !taken_over.is_empty() {
            self.drop_cameras(&taken_over, false);
        }
        if failed {
            self.reconnect();
        }
    }

    /// Stores the plates read along tracks on held cameras (each linked to its vehicle's
    /// events and checked against the watch list by the store). A plate the database could
    /// not take waits, in order (at most [`MAX_WAITING_PLATES`]), for the next round.
    fn write_plates(&mut self) {
        for live in self.streams.take_plates() {
            let Some(held) = self.held.get(&live.camera) else {
                continue;
            };
            let sighting = crate::store::NewPlateSighting {
                camera_code: live.camera.clone(),
                track: live.plate.track as i64,
                class: live.plate.class,
                seen_at_ms: live.plate.wall_ms,
                stream_at_ms: live.plate.pts_90k / 90,
                reading: live.plate.reading,
                sightings: live.plate.sightings,
                close_up: live.plate.close_up,
            };
            if !self.plates.push((sighting, held.fence.clone())) {
                tracing::error!(camera = %live.camera, "a plate reading dropped: {MAX_WAITING_PLATES} wait for the database already");
            }
        }
        let (store, principal) = (&mut self.store, &self.principal);
        self.plates.drain(|(sighting, fence)| {
            match store.record_plate_sighting_fenced(principal, sighting, fence) {
                Ok(stored) => {
                    tracing::info!(camera = %sighting.camera_code, id = stored.id, plate = %sighting.reading.formatted, confidence = sighting.reading.confidence, sightings = sighting.sightings, events = stored.linked_events, "plate read");
                    for (event, hit) in &stored.hits {
                        tracing::warn!(camera = %sighting.camera_code, event, plate = %hit.listed, reason = %hit.reason, "watch-listed plate read");
                    }
                    Stored::Yes
                }
                Err(StoreError::StaleLease { .. }) => {
                    tracing::warn!(camera = %sighting.camera_code, "plate reading refused: the lease was taken over");
                    Stored::Refused
                }
                Err(e) => {
                    tracing::error!(camera = %sighting.camera_code, error = %e, "cannot store a plate reading; kept until the database is back");
                    Stored::NotNow
                }
            }
        });
    }

    /// Adds the vehicles counted since the last batch to the stored per-minute totals (held
    /// cameras only; a count not stored is kept for the next batch).
    fn write_counts(&mut self) {
        for (camera, crossing, at_utc_ms) in self.streams.take_crossings() {
            let Some(at) = at_utc_ms else { continue };
            if self.held.contains_key(&camera) {
                self.counts.entry(camera).or_default().add(&crossing, at);
            }
        }
        for (camera, totals) in &mut self.counts {
            if totals.is_empty() {
                continue;
            }
            let rows = totals.take(camera);
            if let Err(e) = self.store.add_counts(&self.principal, &rows) {
                tracing::error!(camera = %camera, error = %e, "cannot store traffic counts; kept for the next batch");
                for row in &rows {
                    totals.restore(row);
                }
            }
        }
    }

    /// Stores the overlays drawn since the last batch, one batch per camera.
    fn write_overlays(&mut self) {
        for overlay in self.streams.take_overlays() {
            if let Some(held) = self.held.get_mut(&overlay.camera) {
                held.overlays.push(overlay);
            }
        }
        let mut stale = Vec::new();
        for (code, held) in &mut self.held {
            if held.overlays.is_empty() {
                continue;
            }
            let batch = std::mem::take(&mut held.overlays);
            match self
                .store
                .record_overlays_fenced(&self.principal, &batch, &held.fence)
            {
                Ok(()) => {
                    if let Some((batches, overlays)) = self.overlays_lost.remove(code) {
                        tracing::warn!(camera = %code, batches, overlays, "overlays stored again; those of the outage are lost (events and recordings are not)");
                    }
                }
                Err(StoreError::StaleLease { .. }) => stale.push(code.clone()),
                Err(e) => {
                    let lost = self.overlays_lost.entry(code.clone()).or_default();
                    if lost.0 == 0 {
                        tracing::error!(camera = %code, error = %e, "cannot store overlays; lost until the database answers (counted, logged once)");
                    }
                    lost.0 += 1;
                    lost.1 += batch.len() as u64;
                }
            }
        }
        if !stale.is_empty() {
            self.drop_cameras(&stale, false);
        }
    }

    /// Retention and the disk guard, at most every 10 minutes.
    fn prune(&mut self) {
        if self.last_prune.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
            return;
        }
        self.last_prune = Some(Instant::now());
        match crate::recording::prune(
            &mut self.store,
            &self.settings.recordings_dir,
            &self.settings.policy,
            false,
            &self.principal,
        ) {
            Ok(report) if report.disk_low => {
                tracing::error!(dir = %self.settings.recordings_dir.display(), "the recordings disk is nearly full; only event footage is left");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention failed"),
        }
        let before = self
            .settings
            .config
            .plate_cutoff_ms(crate::clock::now_utc_ms());
        match self.store.purge_plate_sightings(&self.principal, before) {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "plate sightings past their retention deleted"),
            Err(e) => tracing::error!(error = %e, "plate sighting retention failed"),
        }
    }

    /// A held camera's health as its lease row carries it.
    fn health_of(&self, held: &Held) -> serde_json::Value {
        let main = self.streams.health(&held.keys[0]);
        let analysed = self.streams.health(&held.analysed);
        let stats = self.streams.detect_stats(&held.analysed);
        let recording = held.recorder.as_ref().map(CameraRecorder::status);
        let state = |h: &crate::ingest::StreamHealth| match &h.state {
            StreamState::Playing => "playing".to_owned(),
            StreamState::Connecting => "connecting".to_owned(),
            StreamState::Retrying { reason, .. } => format!("retrying: {reason}"),
            StreamState::Failed { reason } => format!("failed: {reason}"),
            StreamState::Stopped => "stopped".to_owned(),
        };
        serde_json::json!({
            "stream": match held.analysed.kind { StreamKind::Main => "main", StreamKind::Sub => "sub" },
            "state": analysed.as_ref().map(state),
            "main_state": main.as_ref().map(state),
            "fps": analysed.as_ref().map(|h| (h.fps_decoded * 10.0).round() / 10.0),
            "fps_in": analysed.as_ref().map(|h| (h.fps_in * 10.0).round() / 10.0),
            "size": analysed.as_ref().map(|h| [h.width, h.height]),
            "clock_offset_ms": main.as_ref().and_then(|h| h.clock_offset_ms),
            "last_error": analysed.as_ref().and_then(|h| h.last_error.clone()),
            "searches": stats.as_ref().map(|s| s.detected),
            "searches_per_s_asked": stats.as_ref().map(|s| s.rate_fps),
            "searches_per_s": held.searches_per_s.map(|r| (r * 10.0).round() / 10.0),
            "keeping_up": held.keeping_up(stats.as_ref().map_or(0.0, |s| s.rate_fps)),
            "missed_busy": stats.as_ref().map(|s| s.missed_busy),
            "tampered": stats.as_ref().and_then(|s| s.tampered.map(|t| format!("{t:?}"))),
            "recording": recording,
            "held_s": held.started_at.elapsed().as_secs(),
            "name": held.camera.name,
        })
    }
}
