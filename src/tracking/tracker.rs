//! A multi-object tracker per camera in the ByteTrack family. Each update: every track's
//! Kalman filter moves on to the frame's time; confident detections are matched to confirmed
//! and lost tracks (optimal assignment on 1 − IoU); the remaining confirmed tracks then take
//! low-confidence detections (an occluded or blurred object keeps its track); new tracks wait
//! for a second sighting before they count (birth hysteresis), and a lost track survives a
//! while on its prediction before it is dropped (death hysteresis, in seconds, so a lower
//! detect rate does not kill tracks). Matching respects class groups: a rider's person box
//! never takes over the motorbike's track.

use super::assignment::assign;
use super::kalman::BoxFilter;
use crate::detect::detector::ObjectDetection;
use crate::domain::ObjectClass;
use std::collections::VecDeque;

/// A new detection overlapping a current track of its class group this much is the same object.
const DUPLICATE_IOU: f32 = 0.6;

/// Tuning of the tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerConfig {
    /// Detections at or above this score are "high"; below, "low".
    pub high_score: f32,
    /// A new track starts only from a detection at or above this score.
    pub new_track_score: f32,
    /// Least IoU for a high detection to continue a track.
    pub high_iou: f32,
    /// Least IoU for a low detection to continue a confirmed track.
    pub low_iou: f32,
    /// Least IoU for a second sighting to confirm a new track.
    pub tentative_iou: f32,
    /// Sightings before a new track is confirmed.
    pub confirm_hits: u32,
    /// Seconds a lost track is kept, predicted, before it is dropped.
    pub max_lost_s: f64,
    /// Ground points kept per track.
    pub trajectory_len: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            high_score: 0.5,
            new_track_score: 0.6,
            high_iou: 0.2,
            low_iou: 0.5,
            tentative_iou: 0.3,
            confirm_hits: 2,
            max_lost_s: 2.0,
            trajectory_len: 600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackState {
    /// Seen once; not reported until confirmed.
    Tentative,
    Confirmed,
    /// Not seen in the last update(s); kept on its prediction.
    Lost,
}

/// Where a track touched the ground (bottom centre of its box) at a moment of the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundPoint {
    pub pts_90k: i64,
    pub x: f32,
    pub y: f32,
}

/// The sighting with the best score: the frame to show as the track's picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestSighting {
    pub sequence: u64,
    pub pts_90k: i64,
    pub bbox: [f32; 4],
    pub score: f32,
}

/// One followed object.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: u64,
    pub state: TrackState,
    filter: BoxFilter,
    votes: [f32; 7],
    pub hits: u32,
    pub first_pts_90k: i64,
    pub last_seen_pts_90k: i64,
    pub trajectory: VecDeque<GroundPoint>,
    pub best: BestSighting,
    /// Score of the last matched detection.
    pub score: f32,
}

impl Track {
    /// The class seen most (weighted by score).
    pub fn class(&self) -> ObjectClass {
        let (index, _) = self
            .votes
            .iter()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |best, (i, &v)| if v > best.1 { (i, v) } else { best },
            );
        CLASSES[index]
    }

    /// The box now (measured and filtered, or predicted while lost).
    pub fn bbox(&self) -> [f32; 4] {
        self.filter.bbox()
    }

    /// Velocity of the box centre, pixels per second.
    pub fn velocity(&self) -> (f32, f32) {
        self.filter.velocity()
    }

    /// Where it touches the ground now: the bottom centre of its box.
    pub fn ground_point(&self) -> (f32, f32) {
        let b = self.bbox();
        ((b[0] + b[2]) / 2.0, b[3])
    }
}

const CLASSES: [ObjectClass; 7] = [
    ObjectClass::Person,
    ObjectClass::Bicycle,
    ObjectClass::Car,
    ObjectClass::Motorbike,
    ObjectClass::Bus,
    ObjectClass::Truck,
    ObjectClass::TrafficLight,
];

fn class_index(class: ObjectClass) -> usize {
    CLASSES.iter().position(|c| *c == class).unwrap_or(0)
}

/// Classes the detector confuses with each other share a group; tracks match within a group.
fn class_group(class: ObjectClass) -> u8 {
    match class {
        ObjectClass::Car | ObjectClass::Bus | ObjectClass::Truck => 0,
        ObjectClass::Motorbike | ObjectClass::Bicycle => 1,
        ObjectClass::Person => 2,
        ObjectClass::TrafficLight => 3,
    }
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    crate::detect::postprocess::iou(a, b)
}

/// The tracker of one camera.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    config: TrackerConfig,
    tracks: Vec<Track>,
    next_id: u64,
    last_pts: Option<i64>,
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            next_id: 1,
            last_pts: None,
        }
    }

    /// Every track, tentative and lost ones included.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Confirmed tracks matched in the update at `pts_90k`.
    pub fn seen_at(&self, pts_90k: i64) -> impl Iterator<Item = &Track> {
        self.active()
            .filter(move |t| t.last_seen_pts_90k == pts_90k)
    }

    /// Confirmed tracks seen in the last update.
    pub fn active(&self) -> impl Iterator<Item = &Track> {
        self.tracks
            .iter()
            .filter(|t| t.state == TrackState::Confirmed)
    }

    /// The confirmed track whose box overlaps each object most (IoU ≥ 0.5), if any.
    pub fn label(&self, objects: &[ObjectDetection]) -> Vec<Option<u64>> {
        objects
            .iter()
            .map(|o| {
                self.active()
                    .map(|t| (t.id, iou(&o.bbox, &t.bbox())))
                    .filter(|(_, overlap)| *overlap >= 0.5)
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(id, _)| id)
            })
            .collect()
    }

    /// Takes the detections of the frame `sequence` at `pts_90k`.
    pub fn update(&mut self, sequence: u64, pts_90k: i64, detections: &[ObjectDetection]) {
        let c = self.config;
        // Time going backwards (a file starting over, a camera restarting): start afresh.
        if self.last_pts.is_some_and(|last| pts_90k < last) {
            self.tracks.clear();
        }
        let dt = self
            .last_pts
            .map_or(0.0, |last| (pts_90k - last).max(0) as f32 / 90_000.0);
        self.last_pts = Some(pts_90k);
        for track in &mut self.tracks {
            track.filter.predict(dt);
        }
        let high: Vec<usize> = (0..detections.len())
            .filter(|&i| detections[i].score >= c.high_score)
            .collect();
        let low: Vec<usize> = (0..detections.len())
            .filter(|&i| detections[i].score < c.high_score)
            .collect();
        let mut matched_track = vec![false; self.tracks.len()];
        let mut used = vec![false; detections.len()];

        // 1. Confident detections ↔ confirmed and lost tracks.
        let pool: Vec<usize> = (0..self.tracks.len())
            .filter(|&t| self.tracks[t].state != TrackState::Tentative)
            .collect();
        self.match_into(
            &pool,
            &high,
            detections,
            c.high_iou,
            &mut matched_track,
            &mut used,
            sequence,
            pts_90k,
        );
        // 2. Low detections ↔ confirmed tracks still unmatched (not the lost ones).
        let pool: Vec<usize> = (0..self.tracks.len())
            .filter(|&t| !matched_track[t] && self.tracks[t].state == TrackState::Confirmed)
            .collect();
        self.match_into(
            &pool,
            &low,
            detections,
            c.low_iou,
            &mut matched_track,
            &mut used,
            sequence,
            pts_90k,
        );
        // 3. Tentative tracks ↔ confident detections left.
        let pool: Vec<usize> = (0..self.tracks.len())
            .filter(|&t| self.tracks[t].state == TrackState::Tentative)
            .collect();
        let left: Vec<usize> = high.iter().copied().filter(|&d| !used[d]).collect();
        self.match_into(
            &pool,
            &left,
            detections,
            c.tentative_iou,
            &mut matched_track,
            &mut used,
            sequence,
            pts_90k,
        );

        // Unmatched: tentative tracks die, confirmed ones are lost, lost ones expire.
        let max_lost = (c.max_lost_s * 90_000.0) as i64;
        let mut index = 0;
        self.tracks.retain_mut(|track| {
            let matched = matched_track[index];
            index += 1;
            if matched {
                return true;
            }
            match track.state {
                TrackState::Tentative => false,
                TrackState::Confirmed => {
                    track.state = TrackState::Lost;
                    true
                }
                TrackState::Lost => pts_90k - track.last_seen_pts_90k <= max_lost,
            }
        });
        // New tracks from confident detections nobody took, unless the object already has a
        // track (the detector may box one vehicle as both car and truck).
        for &d in &high {
            let det = &detections[d];
            if used[d] || det.score < c.new_track_score {
                continue;
            }
            let group = class_group(det.class);
            let duplicate = self.tracks.iter().any(|t| {
                t.state != TrackState::Lost
                    && class_group(t.class()) == group
                    && iou(&t.bbox(), &det.bbox) >= DUPLICATE_IOU
            });
            if duplicate {
                continue;
            }
            let mut votes = [0f32; 7];
            votes[class_index(det.class)] = det.score;
            let filter = BoxFilter::new(det.bbox);
            let mut track = Track {
                id: self.next_id,
                state: if c.confirm_hits <= 1 {
                    TrackState::Confirmed
                } else {
                    TrackState::Tentative
                },
                filter,
                votes,
                hits: 1,
                first_pts_90k: pts_90k,
                last_seen_pts_90k: pts_90k,
                trajectory: VecDeque::new(),
                best: BestSighting {
                    sequence,
                    pts_90k,
                    bbox: det.bbox,
                    score: det.score,
                },
                score: det.score,
            };
            push_ground(&mut track, pts_90k, c.trajectory_len);
            self.next_id += 1;
            self.tracks.push(track);
        }
    }

    /// Matches `pool` tracks with `candidates` detections at IoU ≥ `min_iou` and updates them.
    #[allow(clippy::too_many_arguments)]
    fn match_into(
        &mut self,
        pool: &[usize],
        candidates: &[usize],
        detections: &[ObjectDetection],
        min_iou: f32,
        matched_track: &mut [bool],
        used: &mut [bool],
        sequence: u64,
        pts_90k: i64,
    ) {
        if pool.is_empty() || candidates.is_empty() {
            return;
        }
        let predicted: Vec<[f32; 4]> = pool.iter().map(|&t| self.tracks[t].bbox()).collect();
        let groups: Vec<u8> = pool
            .iter()
            .map(|&t| class_group(self.tracks[t].class()))
            .collect();
        let pairs = assign(pool.len(), candidates.len(), 1.0 - min_iou, |ti, di| {
            let det = &detections[candidates[di]];
            if used[candidates[di]] || class_group(det.class) != groups[ti] {
                return f32::INFINITY;
            }
            1.0 - iou(&predicted[ti], &det.bbox)
        });
        let config = self.config;
        for (ti, di) in pairs {
            let (t, d) = (pool[ti], candidates[di]);
            let det = &detections[d];
            let track = &mut self.tracks[t];
            track.filter.update(det.bbox);
            track.votes[class_index(det.class)] += det.score;
            track.hits += 1;
            track.score = det.score;
            track.last_seen_pts_90k = pts_90k;
            track.state = match track.state {
                TrackState::Tentative if track.hits < config.confirm_hits => TrackState::Tentative,
                _ => TrackState::Confirmed,
            };
            if det.score > track.best.score {
                track.best = BestSighting {
                    sequence,
                    pts_90k,
                    bbox: det.bbox,
                    score: det.score,
                };
            }
            push_ground(track, pts_90k, config.trajectory_len);
            matched_track[t] = true;
            used[d] = true;
        }
    }
}

fn push_ground(track: &mut Track, pts_90k: i64, keep: usize) {
    let (x, y) = track.ground_point();
    track.trajectory.push_back(GroundPoint { pts_90k, x, y });
    while track.trajectory.len() > keep.max(1) {
        track.trajectory.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(class: ObjectClass, score: f32, x: f32, y: f32, w: f32, h: f32) -> ObjectDetection {
        ObjectDetection {
            class,
            score,
            bbox: [x, y, x + w, y + h],
        }
    }

    const STEP: i64 = 18_000; // 5 per second

    #[test]
    fn two_cars_crossing_keep_their_identities() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        let mut ids: Vec<(u64, u64)> = Vec::new();
        // Car A drives right along y = 300, car B left along y = 330: their boxes overlap while
        // they pass each other.
        for step in 0..25 {
            let t = step as f32;
            let a = det(ObjectClass::Car, 0.9, 100.0 + 40.0 * t, 300.0, 120.0, 80.0);
            let b = det(
                ObjectClass::Car,
                0.85,
                1060.0 - 40.0 * t,
                330.0,
                120.0,
                80.0,
            );
            tracker.update(step, step as i64 * STEP, &[a, b]);
            let active: Vec<&Track> = tracker.active().collect();
            if step >= 1 {
                assert_eq!(active.len(), 2, "step {step}");
                // The track nearest each car (centre distance; they share x when passing).
                let id_of = |d: &ObjectDetection| {
                    let centre = |b: [f32; 4]| ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
                    let (dx, dy) = centre(d.bbox);
                    let distance = |t: &&&Track| {
                        let (tx, ty) = centre(t.bbox());
                        (tx - dx).powi(2) + (ty - dy).powi(2)
                    };
                    active
                        .iter()
                        .min_by(|p, q| distance(p).total_cmp(&distance(q)))
                        .unwrap()
                        .id
                };
                ids.push((id_of(&a), id_of(&b)));
            }
        }
        let first = ids[0];
        assert_ne!(first.0, first.1);
        assert!(
            ids.iter().all(|pair| *pair == first),
            "identity switch or fragmentation: {ids:?}"
        );
        let a = tracker.tracks().iter().find(|t| t.id == first.0).unwrap();
        assert_eq!(a.class(), ObjectClass::Car);
        assert!(a.velocity().0 > 150.0, "{:?}", a.velocity());
        assert_eq!(a.trajectory.len(), 25);
        assert_eq!(a.trajectory.back().unwrap().y, a.bbox()[3]);
    }

    #[test]
    fn a_lost_track_is_found_again_and_expires_after_its_time() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        let mut id = None;
        for step in 0..30 {
            let x = 200.0 + 20.0 * step as f32;
            // Hidden (e.g. behind a bus) for steps 10–14: one second at 5 per second.
            let seen: Vec<_> = if (10..15).contains(&step) {
                Vec::new()
            } else {
                vec![det(ObjectClass::Motorbike, 0.8, x, 400.0, 40.0, 70.0)]
            };
            tracker.update(step, step as i64 * STEP, &seen);
            if step == 5 {
                id = tracker.active().next().map(|t| t.id);
            }
            if step == 12 {
                assert_eq!(tracker.tracks()[0].state, TrackState::Lost);
            }
        }
        assert_eq!(tracker.active().count(), 1);
        assert_eq!(
            tracker.active().next().map(|t| t.id),
            id,
            "the same track after 1 s hidden"
        );
        // Gone for good: dropped after two seconds.
        for step in 30..42 {
            tracker.update(step, step as i64 * STEP, &[]);
        }
        assert!(tracker.tracks().is_empty());
    }

    #[test]
    fn low_scores_keep_a_track_but_never_start_one_and_one_sighting_is_not_a_track() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        // A single confident flash: tentative, never reported, then dropped.
        tracker.update(0, 0, &[det(ObjectClass::Car, 0.9, 10.0, 10.0, 50.0, 40.0)]);
        assert_eq!(tracker.active().count(), 0);
        tracker.update(1, STEP, &[]);
        assert!(tracker.tracks().is_empty());
        // Weak boxes alone start nothing.
        for step in 2..6 {
            tracker.update(
                step,
                step as i64 * STEP,
                &[det(ObjectClass::Car, 0.3, 10.0, 10.0, 50.0, 40.0)],
            );
        }
        assert!(tracker.tracks().is_empty());
        // A confirmed track continues through weak, jittery sightings.
        for step in 6..9 {
            tracker.update(
                step,
                step as i64 * STEP,
                &[det(ObjectClass::Car, 0.9, 300.0, 300.0, 80.0, 60.0)],
            );
        }
        let id = tracker.active().next().unwrap().id;
        for step in 9..20 {
            let jitter = if step % 2 == 0 { 4.0 } else { -4.0 };
            let weak = det(
                ObjectClass::Car,
                0.3,
                300.0 + jitter,
                300.0 - jitter,
                80.0,
                60.0,
            );
            tracker.update(step, step as i64 * STEP, &[weak]);
            assert_eq!(
                tracker.active().next().map(|t| t.id),
                Some(id),
                "step {step}"
            );
        }
        assert_eq!(tracker.active().next().unwrap().best.score, 0.9);
    }

    #[test]
    fn a_rider_does_not_take_the_motorbikes_track_and_the_class_is_the_majority() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        for step in 0..10 {
            let x = 100.0 + 15.0 * step as f32;
            // The detector calls the motorbike a bicycle once in a while.
            let class = if step % 4 == 3 {
                ObjectClass::Bicycle
            } else {
                ObjectClass::Motorbike
            };
            let bike = det(class, 0.8, x, 200.0, 50.0, 60.0);
            let rider = det(ObjectClass::Person, 0.85, x + 5.0, 170.0, 40.0, 70.0);
            tracker.update(step, step as i64 * STEP, &[bike, rider]);
        }
        let active: Vec<&Track> = tracker.active().collect();
        assert_eq!(active.len(), 2);
        let classes: Vec<ObjectClass> = active.iter().map(|t| t.class()).collect();
        assert!(
            classes.contains(&ObjectClass::Motorbike) && classes.contains(&ObjectClass::Person)
        );
        assert!(active.iter().all(|t| t.hits == 10));
    }

    #[test]
    fn one_vehicle_boxed_as_car_and_truck_is_one_track() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        for step in 0..5 {
            let car = det(ObjectClass::Car, 0.8, 600.0, 60.0, 120.0, 80.0);
            let truck = det(ObjectClass::Truck, 0.7, 602.0, 61.0, 118.0, 80.0);
            tracker.update(step, step as i64 * STEP, &[car, truck]);
        }
        assert_eq!(tracker.tracks().len(), 1);
        assert_eq!(tracker.active().next().unwrap().class(), ObjectClass::Car);
    }

    #[test]
    fn time_going_back_starts_afresh() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        for step in 0..3 {
            tracker.update(
                step,
                900_000 + step as i64 * STEP,
                &[det(ObjectClass::Car, 0.9, 0.0, 0.0, 50.0, 40.0)],
            );
        }
        assert_eq!(tracker.active().count(), 1);
        tracker.update(3, 0, &[]);
        assert!(tracker.tracks().is_empty());
    }
}
