//! Tracker cost (criterion; `cargo bench --bench tracking`): one update of a camera's tracker
//! with 100 boxes of 100 objects moving across a 1920×1080 picture (jittered, 5 updates a
//! second), once the tracks are established. Target: ≤ 1 ms an update on one core.

use criterion::{Criterion, criterion_group, criterion_main};
use dienbien_dispatch::detect::detector::ObjectDetection;
use dienbien_dispatch::domain::ObjectClass;
use dienbien_dispatch::tracking::{Tracker, TrackerConfig};
use std::hint::black_box;

/// The detections of frame `step`: 100 objects on a 10 × 10 grid of lanes, each moving at its
/// own speed, with a few pixels of deterministic jitter.
fn frame(step: u64) -> Vec<ObjectDetection> {
    (0..100u64)
        .map(|i| {
            let (row, col) = ((i / 10) as f32, (i % 10) as f32);
            let speed = 4.0 + (i % 7) as f32;
            let jitter = ((i * 31 + step * 17) % 7) as f32 - 3.0;
            let x = (col * 190.0 + speed * step as f32) % 1800.0 + jitter;
            let y = row * 105.0 + jitter;
            let class = [
                ObjectClass::Car,
                ObjectClass::Motorbike,
                ObjectClass::Person,
            ][i as usize % 3];
            ObjectDetection {
                class,
                score: 0.6 + ((i * 13) % 39) as f32 / 100.0,
                bbox: [x, y, x + 60.0, y + 80.0],
            }
        })
        .collect()
}

fn tracker_update(c: &mut Criterion) {
    let frames: Vec<Vec<ObjectDetection>> = (0..200).map(frame).collect();
    let mut tracker = Tracker::new(TrackerConfig::default());
    for (step, detections) in frames.iter().enumerate().take(10) {
        tracker.update(step as u64, step as i64 * 18_000, detections);
    }
    assert!(tracker.active().count() >= 90, "the tracks are established");
    let mut step = 10u64;
    c.bench_function("tracker update, 100 boxes", |b| {
        b.iter(|| {
            let detections = &frames[(step % 200) as usize];
            tracker.update(step, step as i64 * 18_000, black_box(detections));
            step += 1;
        });
    });
}

criterion_group!(benches, tracker_update);
criterion_main!(benches);
