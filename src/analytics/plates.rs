//! Plates along tracks (issue 17, part 2), the bookkeeping of one stream: which tracked
//! vehicles to read now (their best sightings: large enough, larger than when last read, or a
//! while since), the readings each track gathered, and when a track's plate is settled (three
//! readings, 3 s after its first, or the track ended): the readings voted into one, with the
//! close-up of the most confident. Pure state; the detector thread asks, the plate reader
//! thread answers (`plate_worker.rs`).

use crate::domain::{ObjectClass, PlateReading};
use crate::plates::voting::vote;
use crate::tracking::Track;
use std::collections::HashMap;

/// A vehicle box smaller than this (pixels, either side) is not read: its plate is too small.
pub const MIN_BOX_PX: f32 = 48.0;
/// Attempts per track at most.
const MAX_ATTEMPTS: u32 = 6;
/// Readings after which a track's plate is settled.
const SETTLED_READINGS: usize = 3;
/// Stream time after the first reading at which the plate is settled anyway (90 kHz).
const SETTLE_AFTER_90K: i64 = 3 * 90_000;
/// A track is read again after this long (90 kHz), or once its box grew by `GROWTH`.
const AGAIN_AFTER_90K: i64 = 90_000;
const GROWTH: f32 = 1.2;

/// A tracked vehicle's plate, settled.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPlate {
    pub track: u64,
    pub class: ObjectClass,
    /// Stream time of the frame of the most confident reading.
    pub pts_90k: i64,
    /// When that frame was taken (UTC ms).
    pub wall_ms: i64,
    /// The readings voted into one.
    pub reading: PlateReading,
    /// Readings that voted.
    pub sightings: u32,
    /// The most confident reading's plate, rectified, as JPEG.
    pub close_up: Vec<u8>,
}

/// One reading of a track's plate (from the plate reader thread).
#[derive(Debug, Clone)]
pub struct PlateRead {
    pub track: u64,
    pub pts_90k: i64,
    /// When the frame was taken (UTC ms).
    pub wall_ms: i64,
    pub reading: PlateReading,
    pub close_up: Vec<u8>,
}

#[derive(Debug, Default)]
struct TrackReadings {
    class: Option<ObjectClass>,
    attempts: u32,
    last_area: f32,
    last_attempt_90k: Option<i64>,
    readings: Vec<PlateRead>,
    done: bool,
}

/// The plate state of one stream's tracks.
#[derive(Debug, Default)]
pub struct StreamPlates {
    tracks: HashMap<u64, TrackReadings>,
    /// Tracks settled and ended, newest last: a reading still in the reader's queue when its
    /// track ended is not a second plate.
    finished: std::collections::VecDeque<u64>,
}

/// Ended tracks remembered at most.
const FINISHED_KEPT: usize = 1_024;

/// Whether `class` is a vehicle with a plate.
pub fn is_vehicle(class: ObjectClass) -> bool {
    matches!(
        class,
        ObjectClass::Car | ObjectClass::Motorbike | ObjectClass::Bus | ObjectClass::Truck
    )
}

impl StreamPlates {
    /// The tracks seen at `pts_90k` worth reading now, with their boxes; each one returned is
    /// counted as an attempt (call only when the reader will be asked).
    pub fn wanted<'a>(
        &mut self,
        seen: impl Iterator<Item = &'a Track>,
        pts_90k: i64,
        room: usize,
    ) -> Vec<(u64, [f32; 4])> {
        let mut wanted = Vec::new();
        for track in seen {
            if wanted.len() >= room {
                break;
            }
            let class = track.class();
            let b = track.bbox();
            let (w, h) = (b[2] - b[0], b[3] - b[1]);
            if !is_vehicle(class) || w < MIN_BOX_PX || h < MIN_BOX_PX {
                continue;
            }
            let state = self.tracks.entry(track.id).or_default();
            state.class = Some(class);
            let area = w * h;
            let due = match state.last_attempt_90k {
                None => true,
                Some(last) => area >= state.last_area * GROWTH || pts_90k - last >= AGAIN_AFTER_90K,
            };
            if state.done || state.attempts >= MAX_ATTEMPTS || !due {
                continue;
            }
            state.attempts += 1;
            state.last_area = state.last_area.max(area);
            state.last_attempt_90k = Some(pts_90k);
            wanted.push((track.id, b));
        }
        wanted
    }

    /// Adds a reading of a track's plate (ignored once its plate is settled).
    pub fn add(&mut self, read: PlateRead) {
        if self.finished.contains(&read.track) {
            return;
        }
        let state = self.tracks.entry(read.track).or_default();
        if !state.done {
            state.readings.push(read);
        }
    }

    /// The plates settled now: tracks with enough readings, read long enough ago, or no
    /// longer followed (`alive` says which are). Tracks that ended are forgotten.
    pub fn settle(&mut self, alive: impl Fn(u64) -> bool, pts_90k: i64) -> Vec<TrackPlate> {
        let mut settled = Vec::new();
        for (&id, state) in &mut self.tracks {
            let ended = !alive(id);
            let first = state.readings.iter().map(|r| r.pts_90k).min();
            let ready = state.readings.len() >= SETTLED_READINGS
                || first.is_some_and(|t| pts_90k - t >= SETTLE_AFTER_90K)
                || ended;
            if state.done || state.readings.is_empty() || !ready {
                continue;
            }
            state.done = true;
            let readings: Vec<PlateReading> =
                state.readings.iter().map(|r| r.reading.clone()).collect();
            let Some(voted) = vote(&readings) else {
                continue;
            };
            let Some(best) = state
                .readings
                .iter()
                .max_by(|a, b| a.reading.confidence.total_cmp(&b.reading.confidence))
            else {
                continue;
            };
            settled.push(TrackPlate {
                track: id,
                class: state.class.unwrap_or(ObjectClass::Car),
                pts_90k: best.pts_90k,
                wall_ms: best.wall_ms,
                reading: voted,
                sightings: readings.len() as u32,
                close_up: best.close_up.clone(),
            });
            state.readings.clear();
        }
        let finished = &mut self.finished;
        self.tracks.retain(|&id, state| {
            let keep = alive(id);
            if !keep && state.done {
                finished.push_back(id);
            }
            keep
        });
        while self.finished.len() > FINISHED_KEPT {
            self.finished.pop_front();
        }
        settled.sort_by_key(|p| p.pts_90k);
        settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::detector::ObjectDetection;
    use crate::domain::{CharReading, PlateColour};
    use crate::tracking::{Tracker, TrackerConfig};

    fn reading(text: &str, confidence: f32) -> PlateReading {
        PlateReading {
            text: text.into(),
            formatted: crate::domain::Plate::parse(text).unwrap().to_string(),
            rows: 1,
            colour: PlateColour::White,
            confidence,
            chars: text
                .chars()
                .map(|char| CharReading { char, confidence })
                .collect(),
            corners: [[0.0; 2]; 4],
        }
    }

    fn tracker_with(boxes: &[[f32; 4]], frames: u64) -> Tracker {
        let mut tracker = Tracker::new(TrackerConfig::default());
        for f in 0..frames {
            let objects: Vec<ObjectDetection> = boxes
                .iter()
                .map(|&bbox| ObjectDetection {
                    bbox,
                    score: 0.9,
                    class: ObjectClass::Car,
                })
                .collect();
            tracker.update(f, f as i64 * 18_000, &objects);
        }
        tracker
    }

    #[test]
    fn large_vehicles_are_read_again_only_when_larger_or_later() {
        // One large car, one too small to read.
        let tracker = tracker_with(&[[10.0, 10.0, 210.0, 160.0], [400.0, 10.0, 430.0, 30.0]], 3);
        let mut plates = StreamPlates::default();
        let wanted = plates.wanted(tracker.active(), 0, 4);
        assert_eq!(wanted.len(), 1, "{wanted:?}");
        // Same size, 0.2 s later: not yet; a second later: again.
        assert!(plates.wanted(tracker.active(), 18_000, 4).is_empty());
        assert_eq!(plates.wanted(tracker.active(), 18_000 + 90_000, 4).len(), 1);
        // No room at the reader: nothing asked, nothing counted.
        assert!(plates.wanted(tracker.active(), 500_000, 0).is_empty());
    }

    #[test]
    fn a_plate_is_settled_after_three_readings_voted_with_the_best_close_up() {
        let mut plates = StreamPlates::default();
        for (i, (text, confidence)) in [("27A12345", 0.9), ("27A12346", 0.5), ("27A12345", 0.95)]
            .into_iter()
            .enumerate()
        {
            assert!(plates.settle(|_| true, i as i64 * 9_000).is_empty());
            plates.add(PlateRead {
                track: 7,
                pts_90k: i as i64 * 9_000,
                wall_ms: 0,
                reading: reading(text, confidence),
                close_up: vec![i as u8],
            });
        }
        let settled = plates.settle(|_| true, 30_000);
        assert_eq!(settled.len(), 1);
        assert_eq!(settled[0].reading.text, "27A12345");
        assert_eq!(settled[0].sightings, 3);
        assert_eq!(settled[0].close_up, vec![2]);
        assert_eq!(settled[0].pts_90k, 18_000);
        // Settled once: later readings are ignored.
        plates.add(PlateRead {
            track: 7,
            pts_90k: 40_000,
            wall_ms: 0,
            reading: reading("27A12345", 0.9),
            close_up: Vec::new(),
        });
        assert!(plates.settle(|_| true, 400_000).is_empty());
    }

    #[test]
    fn one_reading_is_settled_when_its_track_ends_or_after_three_seconds() {
        let mut plates = StreamPlates::default();
        for track in [1, 2] {
            plates.add(PlateRead {
                track,
                pts_90k: 0,
                wall_ms: 0,
                reading: reading("27A12345", 0.9),
                close_up: Vec::new(),
            });
        }
        let ended = plates.settle(|id| id != 1, 1_000);
        assert_eq!(ended.iter().map(|p| p.track).collect::<Vec<_>>(), [1]);
        // A reading of the ended track still in the reader's queue is no second plate.
        plates.add(PlateRead {
            track: 1,
            pts_90k: 500,
            wall_ms: 0,
            reading: reading("27A12345", 0.9),
            close_up: Vec::new(),
        });
        assert!(plates.settle(|id| id != 1, 2_000).is_empty());
        assert!(plates.settle(|_| true, 2 * 90_000).is_empty());
        assert_eq!(plates.settle(|_| true, 3 * 90_000).len(), 1);
    }
}
