//! What the detector publishes for one stream: the detections of each searched frame (kept for
//! a short while, so a display can match them to the frame it shows), the stream's tracker
//! (every result goes through it, and each object is labelled with its track), how far the
//! detector has looked, and counts of what it skipped and why. It also chooses which frame a
//! display shows so that boxes and picture belong together.

use super::motion::PixelRect;
use super::schedule::Focus;
use crate::detect::detector::ObjectDetection;
use crate::ingest::{FrameSlot, SlotFrame};
use crate::rules::{RuleEvent, RuleSet, TrackPoint};
use crate::signals::CameraSignals;
use crate::tracking::{Track, Tracker, TrackerConfig};
use std::collections::HashSet;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Results kept per stream (a few seconds at the default rate).
const KEPT_RESULTS: usize = 32;

/// The objects in one frame of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameDetections {
    /// The frame's sequence in its stream's slot.
    pub sequence: u64,
    pub pts_90k: i64,
    pub width: u32,
    pub height: u32,
    /// Found in this frame.
    pub objects: Vec<ObjectDetection>,
    /// Found earlier, outside the searched region (or in a still picture), and kept.
    pub held: Vec<ObjectDetection>,
    /// The searched region; `None` for the whole picture or when nothing was searched.
    pub region: Option<PixelRect>,
    /// Milliseconds the search took, 0 when nothing was searched.
    pub latency_ms: f64,
    /// The confirmed track of each object of [`FrameDetections::all`] (filled when published).
    pub track_ids: Vec<Option<u64>>,
    /// Whether each object's track has raised an event (filled when published).
    pub flagged: Vec<bool>,
}

impl FrameDetections {
    /// Every object known in the frame, found or kept.
    pub fn all(&self) -> impl Iterator<Item = &ObjectDetection> {
        self.objects.iter().chain(&self.held)
    }
}

/// Counts for the health panel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectStats {
    /// Searches made.
    pub detected: u64,
    /// Frames skipped to keep to the detect rate.
    pub skipped_rate: u64,
    /// Frames skipped because nothing moved.
    pub skipped_still: u64,
    /// Frames the detector never saw because it was busy with other streams.
    pub missed_busy: u64,
    /// Searches of a region rather than the whole picture.
    pub region_searches: u64,
    /// Mean search time, milliseconds (moving average).
    pub latency_ms: f64,
    pub rate_fps: f64,
    /// Tampering episodes reported.
    pub tamper_alerts: u64,
    /// The tampering episode under way, if any.
    pub tampered: Option<super::TamperKind>,
}

#[derive(Debug, Default)]
struct FeedInner {
    results: VecDeque<Arc<FrameDetections>>,
    analysed_through: Option<u64>,
    stats: DetectStats,
    tracker: Tracker,
    rules: Option<StreamRules>,
    focus: Option<Focus>,
    /// Events not yet taken by the console.
    events: VecDeque<RuleEvent>,
    /// Vehicles over count lines not yet taken.
    crossings: VecDeque<crate::rules::counting::Crossing>,
    /// Tracks that raised an event (highlighted on the wall).
    flagged: HashSet<u64>,
    /// Wall-clock (UTC) minus stream milliseconds, from the newest frame the detector took.
    wall_offset_ms: Option<i64>,
    /// What was drawn over published results, not yet taken for recording.
    overlays: VecDeque<OverlayDraft>,
    /// The plates of the stream's tracks, when they are read.
    plates: Option<super::plates::StreamPlates>,
    /// Plates settled, not yet taken by the engine.
    settled_plates: VecDeque<super::plates::TrackPlate>,
}

/// The boxes of one published result, on the stream's clock (the console adds the camera, the
/// wall-clock time and the signals before storing it).
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayDraft {
    pub t_ms: i64,
    pub width: u32,
    pub height: u32,
    pub boxes: Vec<crate::domain::overlay::OverlayBox>,
}

/// Overlays kept for recording at most (the oldest are dropped when nobody takes them).
const KEPT_OVERLAYS: usize = 600;

/// The violation rules of a stream whose camera has a junction geometry.
struct StreamRules {
    rules: RuleSet,
    signals: Arc<CameraSignals>,
}

impl std::fmt::Debug for StreamRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamRules")
    }
}

/// Events kept for the console at most (the oldest are dropped, counted in the log).
const KEPT_EVENTS: usize = 256;
/// Count-line crossings kept for the engine at most.
const KEPT_CROSSINGS: usize = 4_096;
/// Settled plates kept for the engine at most.
const KEPT_PLATES: usize = 256;

/// Shared by the detector (writer) and the display (readers) of one stream.
#[derive(Debug, Clone, Default)]
pub struct DetectionFeed {
    inner: Arc<Mutex<FeedInner>>,
}

impl DetectionFeed {
    pub fn new(rate_fps: f64) -> Self {
        let feed = Self::default();
        feed.update(|i| {
            i.stats.rate_fps = rate_fps;
            i.tracker = Tracker::new(TrackerConfig::default());
        });
        feed
    }

    fn update(&self, change: impl FnOnce(&mut FeedInner)) {
        if let Ok(mut inner) = self.inner.lock() {
            change(&mut inner);
        }
    }

    /// Records a result (a search, or a still frame's kept objects) after the tracker took it.
    pub fn publish(&self, mut result: FrameDetections) {
        let searched = result.latency_ms > 0.0;
        self.update(|inner| {
            let objects: Vec<ObjectDetection> = result.all().copied().collect();
            inner
                .tracker
                .update(result.sequence, result.pts_90k, &objects);
            result.track_ids = inner.tracker.label(&objects);
            if let Some(plates) = &mut inner.plates {
                let tracks = inner.tracker.tracks();
                for plate in plates.settle(|id| tracks.iter().any(|t| t.id == id), result.pts_90k) {
                    if inner.settled_plates.len() >= KEPT_PLATES {
                        inner.settled_plates.pop_front();
                        tracing::warn!("plates not taken by the engine; oldest dropped");
                    }
                    inner.settled_plates.push_back(plate);
                }
            }
            if let Some(stream_rules) = &mut inner.rules {
                let t_ms = result.pts_90k / 90;
                let mut raised = Vec::new();
                for track in inner.tracker.seen_at(result.pts_90k) {
                    let point = TrackPoint::of(track, t_ms);
                    raised.extend(stream_rules.rules.observe(&point, &stream_rules.signals));
                    for crossing in stream_rules
                        .rules
                        .count(&point, TrackPoint::origin_of(track))
                    {
                        if inner.crossings.len() >= KEPT_CROSSINGS {
                            inner.crossings.pop_front();
                            tracing::warn!("counts not taken by the engine; oldest dropped");
                        }
                        inner.crossings.push_back(crossing);
                    }
                }
                for event in raised {
                    inner.flagged.insert(event.track);
                    if inner.events.len() >= KEPT_EVENTS {
                        inner.events.pop_front();
                        tracing::warn!("rule events not taken by the console; oldest dropped");
                    }
                    inner.events.push_back(event);
                }
            }
            result.flagged = result
                .track_ids
                .iter()
                .map(|id| id.is_some_and(|id| inner.flagged.contains(&id)))
                .collect();
            inner.analysed_through = Some(
                inner
                    .analysed_through
                    .map_or(result.sequence, |a| a.max(result.sequence)),
            );
            if searched {
                let stats = &mut inner.stats;
                stats.detected += 1;
                stats.region_searches += u64::from(result.region.is_some());
                stats.latency_ms = if stats.detected == 1 {
                    result.latency_ms
                } else {
                    0.8 * stats.latency_ms + 0.2 * result.latency_ms
                };
            }
            let boxes = result
                .all()
                .zip(result.track_ids.iter().zip(&result.flagged))
                .map(|(o, (track, flagged))| crate::domain::overlay::OverlayBox {
                    bbox: o.bbox,
                    class: o.class,
                    score: o.score,
                    track: *track,
                    flagged: *flagged,
                })
                .collect();
            inner.overlays.push_back(OverlayDraft {
                t_ms: result.pts_90k / 90,
                width: result.width,
                height: result.height,
                boxes,
            });
            while inner.overlays.len() > KEPT_OVERLAYS {
                inner.overlays.pop_front();
            }
            inner.results.push_back(Arc::new(result));
            while inner.results.len() > KEPT_RESULTS {
                inner.results.pop_front();
            }
        });
    }

    /// Records a frame skipped to keep to the rate.
    pub fn skipped_rate(&self, sequence: u64) {
        self.update(|inner| {
            inner.stats.skipped_rate += 1;
            inner.analysed_through =
                Some(inner.analysed_through.map_or(sequence, |a| a.max(sequence)));
        });
    }

    /// Records a still frame: nothing searched, the known objects kept.
    pub fn skipped_still(&self, frame: &SlotFrame) {
        let previous = self.latest();
        self.update(|inner| inner.stats.skipped_still += 1);
        self.publish(FrameDetections {
            sequence: frame.sequence,
            pts_90k: frame.frame.pts_90k,
            width: frame.frame.width,
            height: frame.frame.height,
            objects: Vec::new(),
            held: previous
                .map(|p| p.all().copied().collect())
                .unwrap_or_default(),
            region: None,
            latency_ms: 0.0,
            track_ids: Vec::new(),
            flagged: Vec::new(),
        });
    }

    /// Runs `rules` on this stream's tracks from now on, with signal states from `signals`.
    pub fn set_rules(&self, rules: RuleSet, signals: Arc<CameraSignals>) {
        self.update(|inner| inner.rules = Some(StreamRules { rules, signals }));
    }

    /// Reads the plates of this stream's tracked vehicles from now on (or stops).
    pub fn set_plate_reading(&self, on: bool) {
        self.update(|inner| inner.plates = on.then(Default::default));
    }

    /// The tracks seen in the result at `pts_90k` whose plates to read now (at most `room`),
    /// each counted as asked; empty when plates are not read here.
    pub fn plates_wanted(&self, pts_90k: i64, room: usize) -> Vec<(u64, [f32; 4])> {
        let Ok(mut guard) = self.inner.lock() else {
            return Vec::new();
        };
        let inner = &mut *guard;
        match &mut inner.plates {
            Some(plates) => plates.wanted(inner.tracker.seen_at(pts_90k), pts_90k, room),
            None => Vec::new(),
        }
    }

    /// A reading of a track's plate (from the plate reader thread).
    pub fn plate_read(&self, read: super::plates::PlateRead) {
        self.update(|inner| {
            if let Some(plates) = &mut inner.plates {
                plates.add(read);
            }
        });
    }

    /// The plates settled since the last call (one per track).
    pub fn take_plates(&self) -> Vec<super::plates::TrackPlate> {
        self.inner
            .lock()
            .map(|mut i| i.settled_plates.drain(..).collect())
            .unwrap_or_default()
    }

    /// Sets the area searched enlarged when something moves in it (the junction's drawn area).
    pub fn set_focus(&self, focus: Option<Focus>) {
        self.update(|inner| inner.focus = focus);
    }

    /// The stream's focus, if it has one.
    pub fn focus(&self) -> Option<Focus> {
        self.inner.lock().ok()?.focus
    }

    /// The camera's signal sources, when its rules run.
    pub fn signals(&self) -> Option<Arc<CameraSignals>> {
        let inner = self.inner.lock().ok()?;
        Some(Arc::clone(&inner.rules.as_ref()?.signals))
    }

    /// A frame the detector took (searched or not): its wall-clock time places the controller
    /// feed on the stream's clock, and the signal heads are read from it.
    pub fn observe_frame(&self, frame: &SlotFrame) {
        let t_ms = frame.frame.pts_90k / 90;
        self.update(|inner| inner.wall_offset_ms = Some(frame.wall_ms - t_ms));
        let Some(signals) = self.signals() else {
            return;
        };
        signals.set_wall_clock(t_ms, frame.wall_ms);
        if let Some(vision) = signals.vision() {
            vision.observe(&frame.frame, t_ms);
        }
    }

    /// The events raised since the last call.
    pub fn take_events(&self) -> Vec<RuleEvent> {
        self.inner
            .lock()
            .map(|mut i| i.events.drain(..).collect())
            .unwrap_or_default()
    }

    /// The vehicles counted over count lines since the last call.
    pub fn take_crossings(&self) -> Vec<crate::rules::counting::Crossing> {
        self.inner
            .lock()
            .map(|mut i| i.crossings.drain(..).collect())
            .unwrap_or_default()
    }

    /// What was drawn since the last call, for recording.
    pub fn take_overlays(&self) -> Vec<OverlayDraft> {
        self.inner
            .lock()
            .map(|mut i| i.overlays.drain(..).collect())
            .unwrap_or_default()
    }

    /// UTC milliseconds minus stream milliseconds of this stream's frames (from the newest
    /// frame the detector took): how an event's stream time maps to the wall clock.
    pub fn wall_offset_ms(&self) -> Option<i64> {
        self.inner.lock().ok()?.wall_offset_ms
    }

    /// The stream's confirmed tracks now.
    pub fn tracks(&self) -> Vec<Track> {
        self.inner
            .lock()
            .map(|i| i.tracker.active().cloned().collect())
            .unwrap_or_default()
    }

    /// Records the state of the camera's view (a new alert counts an episode).
    pub fn view(&self, alert: Option<super::TamperAlert>, tampered: Option<super::TamperKind>) {
        self.update(|inner| {
            inner.stats.tamper_alerts += u64::from(alert.is_some());
            inner.stats.tampered = tampered;
        });
    }

    /// Records frames the detector never looked at.
    pub fn missed(&self, frames: u64) {
        self.update(|inner| inner.stats.missed_busy += frames);
    }

    /// The newest result.
    pub fn latest(&self) -> Option<Arc<FrameDetections>> {
        self.inner.lock().ok()?.results.back().cloned()
    }

    /// The newest result for a frame at or before `sequence`.
    pub fn for_frame(&self, sequence: u64) -> Option<Arc<FrameDetections>> {
        let inner = self.inner.lock().ok()?;
        inner
            .results
            .iter()
            .rev()
            .find(|r| r.sequence <= sequence)
            .cloned()
    }

    /// The newest frame sequence the detector has dealt with (searched or skipped).
    pub fn analysed_through(&self) -> Option<u64> {
        self.inner.lock().ok()?.analysed_through
    }

    pub fn stats(&self) -> DetectStats {
        self.inner
            .lock()
            .map(|i| i.stats.clone())
            .unwrap_or_default()
    }
}

/// How many frames a display keeps to wait for the detector.
pub const DISPLAY_HISTORY: usize = 16;

/// What a display shows: a frame and the objects known in it (if any are recent enough).
#[derive(Debug, Clone)]
pub struct DisplayChoice {
    pub frame: SlotFrame,
    pub detections: Option<Arc<FrameDetections>>,
}

/// Chooses the frame to show: the newest one the detector has dealt with, so the boxes drawn
/// belong to it (the picture runs one search behind live); but never more than `max_delay_90k`
/// behind the newest frame, for a detector that cannot keep up. Boxes older than
/// `max_box_age_90k` before the shown frame are left out.
pub fn choose_display(
    slot: &FrameSlot,
    feed: &DetectionFeed,
    max_delay_90k: i64,
    max_box_age_90k: i64,
) -> Option<DisplayChoice> {
    let newest = slot.latest()?;
    let waited = feed
        .analysed_through()
        .filter(|through| *through < newest.sequence)
        .and_then(|through| slot.show_up_to(through))
        .filter(|f| {
            let behind = newest.frame.pts_90k - f.frame.pts_90k;
            (0..=max_delay_90k).contains(&behind)
        });
    let frame = match waited {
        Some(frame) => frame,
        None => slot.show_latest()?,
    };
    let detections = feed.for_frame(frame.sequence).filter(|d| {
        let age = frame.frame.pts_90k - d.pts_90k;
        (0..=max_box_age_90k).contains(&age)
    });
    Some(DisplayChoice { frame, detections })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;
    use crate::video::{ColourInfo, ColourMatrix, YuvFrame};

    fn frame(pts_90k: i64) -> Arc<YuvFrame> {
        Arc::new(YuvFrame {
            width: 4,
            height: 2,
            y: vec![0; 8],
            u: vec![128; 2],
            v: vec![128; 2],
            pts_90k,
            colour: ColourInfo {
                matrix: ColourMatrix::Bt601,
                full_range: false,
            },
        })
    }

    fn result(sequence: u64, pts_90k: i64) -> FrameDetections {
        FrameDetections {
            sequence,
            pts_90k,
            width: 4,
            height: 2,
            objects: vec![ObjectDetection {
                class: ObjectClass::Car,
                score: 0.9,
                bbox: [0.0, 0.0, 2.0, 2.0],
            }],
            held: Vec::new(),
            region: None,
            latency_ms: 40.0,
            track_ids: Vec::new(),
            flagged: Vec::new(),
        }
    }

    #[test]
    fn the_display_waits_for_the_detector_and_draws_the_boxes_of_its_frame() {
        let slot = FrameSlot::new();
        slot.keep_history(DISPLAY_HISTORY);
        let feed = DetectionFeed::new(5.0);
        for i in 0..6 {
            slot.publish(frame(i * 3600)); // 25 fps
        }
        // The detector searched frame 2 and is busy with frame 5: show frame 2 with its boxes.
        feed.publish(result(2, 2 * 3600));
        let choice = choose_display(&slot, &feed, 45_000, 90_000).unwrap();
        assert_eq!(choice.frame.sequence, 2);
        assert_eq!(choice.detections.unwrap().sequence, 2);
        // Frames 3, 4 were skipped for the rate: they show, with frame 2's boxes held.
        feed.skipped_rate(3);
        feed.skipped_rate(4);
        let choice = choose_display(&slot, &feed, 45_000, 90_000).unwrap();
        assert_eq!(choice.frame.sequence, 4);
        assert_eq!(choice.detections.unwrap().sequence, 2);
        assert_eq!(feed.stats().skipped_rate, 2);
        assert_eq!(feed.stats().detected, 1);
    }

    #[test]
    fn a_detector_that_falls_behind_does_not_hold_the_picture_back() {
        let slot = FrameSlot::new();
        slot.keep_history(DISPLAY_HISTORY);
        let feed = DetectionFeed::new(5.0);
        for i in 0..16 {
            slot.publish(frame(i * 3600));
        }
        feed.publish(result(1, 3600));
        // 14 frames (0.56 s) behind is more than half a second: show live, no stale boxes.
        let choice = choose_display(&slot, &feed, 45_000, 9_000).unwrap();
        assert_eq!(choice.frame.sequence, 15);
        assert!(choice.detections.is_none());
        // Without any detector result the display is simply live.
        let quiet = DetectionFeed::new(5.0);
        assert_eq!(
            choose_display(&slot, &quiet, 45_000, 90_000)
                .unwrap()
                .frame
                .sequence,
            15
        );
    }

    #[test]
    fn a_still_frame_keeps_the_objects_and_counts_as_skipped() {
        let feed = DetectionFeed::new(5.0);
        feed.publish(result(0, 0));
        let still = SlotFrame {
            sequence: 5,
            frame: frame(5 * 3600),
            wall_ms: 0,
        };
        feed.skipped_still(&still);
        let latest = feed.latest().unwrap();
        assert_eq!(
            (latest.sequence, latest.objects.len(), latest.held.len()),
            (5, 0, 1)
        );
        assert_eq!(feed.stats().skipped_still, 1);
        assert_eq!(feed.stats().detected, 1, "a still frame is not a search");
        assert_eq!(feed.analysed_through(), Some(5));
        assert_eq!(feed.for_frame(4).unwrap().sequence, 0);
    }

    #[test]
    fn objects_seen_twice_are_labelled_with_their_track() {
        let feed = DetectionFeed::new(5.0);
        feed.publish(result(0, 0));
        assert_eq!(
            feed.latest().unwrap().track_ids,
            vec![None],
            "one sighting is no track"
        );
        feed.publish(result(1, 18_000));
        let latest = feed.latest().unwrap();
        let tracks = feed.tracks();
        assert_eq!(tracks.len(), 1);
        assert_eq!(latest.track_ids, vec![Some(tracks[0].id)]);
    }
}
