//! The detector worker: one named thread per compute device, shared by every stream. Streams
//! are registered with their frame slot; the worker wakes when any slot gets a frame, visits
//! the streams in turn (a rotating start, at most one frame per stream per round: no camera
//! can starve another), lets each stream's scheduler decide, and searches the chosen frames,
//! several in one batch when the device gains from it.

use super::feed::{DetectionFeed, FrameDetections};
use super::motion::PixelRect;
use super::schedule::{Decision, ScheduleConfig, Scheduler};
use super::tampering::{TamperConfig, TamperWatch};
use crate::detect::detector::{Detector, DetectorError, ObjectDetection, RgbPicture, Weights};
use crate::detect::postprocess::intersection;
use crate::detect::preprocess::{PictureCrop, source_span, window_for};
use crate::detect::search::SearchScale;
use crate::ingest::{Doorbell, FrameSlot, SlotFrame};
use crate::video::YuvFrame;
use image::RgbImage;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The detector's state, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum DetectorStatus {
    Loading,
    /// Running on `device` (in words).
    Ready {
        device: String,
    },
    /// Not running; the reason says why (no model, wrong file, …).
    Unavailable {
        reason: String,
    },
}

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct DetectorOptions {
    pub models_dir: PathBuf,
    /// Most frames searched in one pass; `None` picks by device (1 on the CPU, where a batch
    /// measured no faster per frame, 8 on a GPU).
    pub max_batch: Option<usize>,
    /// Which weights to run.
    pub weights: Weights,
}

struct Registration {
    id: u64,
    slot: FrameSlot,
    feed: DetectionFeed,
    config: ScheduleConfig,
}

#[derive(Default)]
struct Shared {
    registrations: Mutex<Vec<Registration>>,
    next_id: Mutex<u64>,
    status: Mutex<Option<DetectorStatus>>,
    stop: AtomicBool,
    bell: Doorbell,
}

/// The handle of the running worker. Dropping it stops the thread.
pub struct DetectorService {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A stream's place at the detector; unregister with [`DetectorService::unregister`].
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: u64,
    pub feed: DetectionFeed,
}

impl DetectorService {
    /// Starts the thread `detector-0`, which loads the model and then serves.
    pub fn start(options: DetectorOptions) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("detector-0".into())
            .spawn(move || run(&worker_shared, &options))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    pub fn status(&self) -> DetectorStatus {
        self.shared
            .status
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or(DetectorStatus::Loading)
    }

    /// Has the detector search frames from `slot`, scheduled by `config`.
    pub fn register(&self, slot: &FrameSlot, config: ScheduleConfig) -> Registered {
        let id = self.shared.next_id.lock().map_or(0, |mut n| {
            *n += 1;
            *n
        });
        let feed = DetectionFeed::new(config.rate_fps);
        slot.set_doorbell(self.shared.bell.clone());
        if let Ok(mut registrations) = self.shared.registrations.lock() {
            registrations.push(Registration {
                id,
                slot: slot.clone(),
                feed: feed.clone(),
                config,
            });
        }
        self.shared.bell.ring();
        Registered { id, feed }
    }

    pub fn unregister(&self, id: u64) {
        if let Ok(mut registrations) = self.shared.registrations.lock() {
            registrations.retain(|r| r.id != id);
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.bell.ring();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DetectorService {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.bell.ring();
    }
}

/// What the worker keeps per stream between rounds.
struct StreamState {
    scheduler: Scheduler,
    tamper: TamperWatch,
    last_seen: Option<u64>,
}

/// A frame chosen for a search.
struct Job {
    feed: DetectionFeed,
    frame: SlotFrame,
    region: Option<PixelRect>,
    zoom: Option<SearchScale>,
}

/// A frame and what of it to search: `region` (the whole picture when `None`) at the whole
/// picture's scale, or cropped and fitted at `zoom`.
#[derive(Debug, Clone, Copy)]
pub struct FrameSearch<'a> {
    pub frame: &'a YuvFrame,
    pub region: Option<PixelRect>,
    pub zoom: Option<SearchScale>,
}

fn set_status(shared: &Shared, status: DetectorStatus) {
    if let Ok(mut s) = shared.status.lock() {
        *s = Some(status);
    }
}

fn run(shared: &Shared, options: &DetectorOptions) {
    let device = crate::detect::detector::preferred_device();
    let detector = match Detector::load_weights(&options.models_dir, options.weights, &device) {
        Ok(detector) => detector,
        Err(e) => {
            tracing::warn!(error = %e, "detection unavailable");
            set_status(
                shared,
                DetectorStatus::Unavailable {
                    reason: e.to_string(),
                },
            );
            return;
        }
    };
    let device = detector.device_name().to_owned();
    tracing::info!(%device, "detector ready");
    set_status(shared, DetectorStatus::Ready { device });
    let max_batch = options
        .max_batch
        .unwrap_or(if detector.is_gpu() { 8 } else { 1 })
        .max(1);
    let plates = match super::plate_worker::PlateWorker::start(options.models_dir.clone()) {
        Ok(worker) => Some(worker),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the plate reader thread; plates are not read");
            None
        }
    };
    let mut states: HashMap<u64, StreamState> = HashMap::new();
    let mut turn = 0usize;
    let mut rings = shared.bell.rings();
    while !shared.stop.load(Ordering::Relaxed) {
        let jobs = collect_jobs(shared, &mut states, &mut turn, max_batch);
        if jobs.is_empty() {
            rings = shared.bell.wait_beyond(rings, Duration::from_millis(200));
            continue;
        }
        search(&detector, jobs, plates.as_ref());
    }
}

/// One round over the streams, from a rotating start: each stream's newest unseen frame is
/// decided on; those to search are returned (at most `max_batch`).
fn collect_jobs(
    shared: &Shared,
    states: &mut HashMap<u64, StreamState>,
    turn: &mut usize,
    max_batch: usize,
) -> Vec<Job> {
    let Ok(registrations) = shared.registrations.lock() else {
        return Vec::new();
    };
    states.retain(|id, _| registrations.iter().any(|r| r.id == *id));
    let count = registrations.len();
    let mut jobs = Vec::new();
    for offset in 0..count {
        let registration = &registrations[(*turn + offset) % count];
        let state = states
            .entry(registration.id)
            .or_insert_with(|| StreamState {
                scheduler: Scheduler::new(registration.config),
                tamper: TamperWatch::new(TamperConfig::default()),
                last_seen: None,
            });
        let Some(frame) = registration.slot.latest() else {
            continue;
        };
        if state.last_seen.is_some_and(|seen| seen >= frame.sequence) {
            continue;
        }
        if let Some(seen) = state.last_seen {
            registration.feed.missed(frame.sequence - seen - 1);
        }
        state.last_seen = Some(frame.sequence);
        registration.feed.observe_frame(&frame);
        let f = &frame.frame;
        let alert = state.tamper.observe(&f.y, f.width, f.height, f.pts_90k);
        if let Some(alert) = alert {
            tracing::warn!(?alert, "camera view tampered with");
        }
        registration.feed.view(alert, state.tamper.reported());
        let boxes: Vec<[f32; 4]> = registration
            .feed
            .latest()
            .map(|d| d.all().map(|o| o.bbox).collect())
            .unwrap_or_default();
        state.scheduler.set_focus(registration.feed.focus());
        match state.scheduler.decide(&frame.frame, &boxes) {
            Decision::SkipRate => registration.feed.skipped_rate(frame.sequence),
            Decision::SkipStill => registration.feed.skipped_still(&frame),
            Decision::Detect { region, zoom } => {
                jobs.push(Job {
                    feed: registration.feed.clone(),
                    frame,
                    region,
                    zoom,
                });
                if jobs.len() >= max_batch {
                    break;
                }
            }
        }
    }
    *turn = turn.wrapping_add(1) % count.max(1);
    jobs
}

/// Searches the jobs' frames in one batch and publishes each result.
fn search(detector: &Detector, jobs: Vec<Job>, plates: Option<&super::plate_worker::PlateWorker>) {
    let started = Instant::now();
    let frames: Vec<FrameSearch> = jobs
        .iter()
        .map(|job| FrameSearch {
            frame: job.frame.frame.as_ref(),
            region: job.region,
            zoom: job.zoom,
        })
        .collect();
    let found = match search_frames(detector, &frames) {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "detection failed");
            return;
        }
    };
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 / jobs.len() as f64).max(0.001);
    for (job, objects) in jobs.into_iter().zip(found) {
        let held = match job.region {
            None => Vec::new(),
            Some(searched) => job
                .feed
                .latest()
                .map(|previous| kept_outside(previous.all(), &searched, &objects))
                .unwrap_or_default(),
        };
        job.feed.publish(FrameDetections {
            sequence: job.frame.sequence,
            pts_90k: job.frame.frame.pts_90k,
            width: job.frame.frame.width,
            height: job.frame.frame.height,
            objects,
            held,
            region: job.region,
            latency_ms,
            track_ids: Vec::new(),
            flagged: Vec::new(),
        });
        if let Some(plates) = plates {
            offer_plates(plates, &job);
        }
    }
}

/// Hands the plate reader the vehicles of `job`'s frame worth reading now (the feed decides;
/// a stream whose plates are not read asks for none). A crop the queue cannot take is
/// asked again at the vehicle's next sighting.
fn offer_plates(plates: &super::plate_worker::PlateWorker, job: &Job) {
    let frame = &job.frame.frame;
    for (track, bbox) in job.feed.plates_wanted(frame.pts_90k, plates.room()) {
        let [x0, y0, x1, y1] = bbox;
        let margin = 0.04 * (x1 - x0).max(y1 - y0);
        let left = (x0 - margin).max(0.0) as u32;
        let top = (y0 - margin).max(0.0) as u32;
        let right = ((x1 + margin).max(0.0) as u32).min(frame.width);
        let bottom = ((y1 + margin).max(0.0) as u32).min(frame.height);
        if right <= left + 1 || bottom <= top + 1 {
            continue;
        }
        let (width, height) = (right - left, bottom - top);
        let Some(crop) =
            RgbImage::from_raw(width, height, frame.crop_rgb(left, top, width, height))
        else {
            continue;
        };
        plates.offer(super::plate_worker::PlateJob {
            feed: job.feed.clone(),
            track,
            pts_90k: frame.pts_90k,
            wall_ms: job.frame.wall_ms,
            crop,
        });
    }
}

/// Objects in each frame (within its region, or the whole picture), in picture pixels. Whole
/// pictures go through the network as one batch; a region goes alone, at its picture's scale
/// (it costs in proportion to its area) or cropped and fitted at its zoom.
pub fn search_frames(
    detector: &Detector,
    frames: &[FrameSearch],
) -> Result<Vec<Vec<ObjectDetection>>, DetectorError> {
    let whole: Vec<(usize, Vec<u8>)> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.region.is_none() && f.zoom.is_none())
        .map(|(i, f)| (i, f.frame.to_rgb()))
        .collect();
    let pictures: Vec<RgbPicture> = whole
        .iter()
        .map(|(i, rgb)| RgbPicture {
            rgb,
            width: frames[*i].frame.width as usize,
            height: frames[*i].frame.height as usize,
        })
        .collect();
    let mut results: Vec<Vec<ObjectDetection>> = vec![Vec::new(); frames.len()];
    for ((i, _), found) in whole.iter().zip(detector.detect_batch(&pictures)?) {
        results[*i] = found;
    }
    for (i, search) in frames.iter().enumerate() {
        let frame = search.frame;
        if let Some(zoom) = search.zoom {
            results[i] = search_zoomed(detector, frame, search.region, zoom)?;
            continue;
        }
        let Some(region) = search.region else {
            continue;
        };
        let (width, height) = (frame.width as usize, frame.height as usize);
        let window = window_for(
            (
                region.left as usize,
                region.top as usize,
                region.right as usize,
                region.bottom as usize,
            ),
            width,
            height,
        );
        let (left, top, right, bottom) = source_span(window, width, height);
        let rgb = frame.crop_rgb(
            left as u32,
            top as u32,
            (right - left) as u32,
            (bottom - top) as u32,
        );
        let crop = PictureCrop {
            rgb: &rgb,
            left,
            top,
            width: right - left,
            height: bottom - top,
            full_width: width,
            full_height: height,
        };
        results[i] = detector.detect_window(&crop, window)?;
    }
    Ok(results)
}

/// Objects in `region` of `frame` (the whole picture when `None`), the region cropped and
/// searched at `zoom`.
fn search_zoomed(
    detector: &Detector,
    frame: &YuvFrame,
    region: Option<PixelRect>,
    zoom: SearchScale,
) -> Result<Vec<ObjectDetection>, DetectorError> {
    let region = region.unwrap_or(PixelRect {
        left: 0,
        top: 0,
        right: frame.width,
        bottom: frame.height,
    });
    let (width, height) = (region.width() as usize, region.height() as usize);
    let rgb = frame.crop_rgb(region.left, region.top, region.width(), region.height());
    let picture = RgbPicture {
        rgb: &rgb,
        width,
        height,
    };
    let mut found = detector.detect_scaled(picture, (0, 0, width, height), zoom)?;
    let (dx, dy) = (region.left as f32, region.top as f32);
    for object in &mut found {
        object.bbox[0] += dx;
        object.bbox[1] += dy;
        object.bbox[2] += dx;
        object.bbox[3] += dy;
    }
    Ok(found)
}

/// Earlier objects whose centre lies outside the searched region (nothing moved there, so
/// they are still where they were), unless a new object overlaps them: that is the same
/// object, moved.
pub fn kept_outside<'a>(
    previous: impl Iterator<Item = &'a ObjectDetection>,
    searched: &PixelRect,
    found: &[ObjectDetection],
) -> Vec<ObjectDetection> {
    previous
        .filter(|o| {
            let (cx, cy) = ((o.bbox[0] + o.bbox[2]) / 2.0, (o.bbox[1] + o.bbox[3]) / 2.0);
            !searched.contains_point(cx, cy)
                && !found
                    .iter()
                    .any(|n| n.class == o.class && intersection(&n.bbox, &o.bbox) > 0.0)
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;

    fn object(bbox: [f32; 4]) -> ObjectDetection {
        ObjectDetection {
            class: ObjectClass::Car,
            score: 0.8,
            bbox,
        }
    }

    #[test]
    fn only_objects_outside_the_region_that_nothing_new_overlaps_are_kept() {
        let region = PixelRect {
            left: 100,
            top: 50,
            right: 300,
            bottom: 250,
        };
        let previous = [
            object([120.0, 60.0, 140.0, 90.0]),
            object([10.0, 10.0, 40.0, 40.0]),
            object([60.0, 300.0, 90.0, 340.0]),
        ];
        // The third moved: a new box of its class overlaps where it was.
        let found = [object([80.0, 290.0, 110.0, 330.0])];
        let kept = kept_outside(previous.iter(), &region, &found);
        assert_eq!(kept, vec![previous[1]]);
    }
}
