//! The latest-frame slot between a stream's worker and its readers (the display, the detector):
//! the worker publishes, readers take the newest frame, or, when the display waits for the
//! detector, the newest frame up to a sequence from a short history. Frames the display skips
//! are counted as dropped, never lost silently.

use super::doorbell::Doorbell;
use crate::video::YuvFrame;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A frame with its sequence number in the stream.
#[derive(Debug, Clone)]
pub struct SlotFrame {
    pub sequence: u64,
    pub frame: Arc<YuvFrame>,
    /// When the picture was taken, UTC milliseconds: the camera's own clock where its RTCP
    /// sender reports say, the arrival here otherwise.
    pub wall_ms: i64,
}

#[derive(Debug, Default)]
struct SlotInner {
    /// The newest frames, oldest first; never more than `history` (at least the latest).
    recent: VecDeque<SlotFrame>,
    history: usize,
    taken_sequence: Option<u64>,
    next_sequence: u64,
    dropped: u64,
    doorbell: Option<Doorbell>,
}

impl SlotInner {
    fn latest(&self) -> Option<SlotFrame> {
        self.recent.back().cloned()
    }

    /// Marks `sequence` shown, counting the kept frames the display skipped to get there
    /// (frames that left the history unseen were counted as they left).
    fn mark_shown(&mut self, sequence: u64) {
        let taken = self.taken_sequence;
        let skipped = self
            .recent
            .iter()
            .filter(|f| f.sequence < sequence && taken.is_none_or(|t| f.sequence > t))
            .count();
        self.dropped += skipped as u64;
        if taken.is_none_or(|t| sequence > t) {
            self.taken_sequence = Some(sequence);
        }
    }

    /// Drops the oldest frames beyond the history, counting those never shown nor passed.
    fn trim(&mut self) {
        while self.recent.len() > self.history.max(1) {
            if let Some(old) = self.recent.pop_front()
                && self.taken_sequence.is_none_or(|t| old.sequence > t)
            {
                self.dropped += 1;
            }
        }
    }
}

/// Shared by one worker (writer) and any number of readers.
#[derive(Debug, Clone, Default)]
pub struct FrameSlot {
    inner: Arc<Mutex<SlotInner>>,
}

impl FrameSlot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the newest `frames` frames (at least one) for [`FrameSlot::show_up_to`].
    pub fn keep_history(&self, frames: usize) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.history = frames.max(1);
            inner.trim();
        }
    }

    /// Rings `doorbell` after each published frame.
    pub fn set_doorbell(&self, doorbell: Doorbell) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.doorbell = Some(doorbell);
        }
    }

    /// Adds a new frame that arrived now; the oldest beyond the history falls out.
    pub fn publish(&self, frame: Arc<YuvFrame>) {
        self.publish_at(frame, crate::clock::now_utc_ms());
    }

    /// Adds a new frame taken at `wall_ms` (UTC milliseconds).
    pub fn publish_at(&self, frame: Arc<YuvFrame>, wall_ms: i64) {
        let doorbell = {
            let Ok(mut inner) = self.inner.lock() else {
                return;
            };
            let sequence = inner.next_sequence;
            inner.next_sequence += 1;
            inner.recent.push_back(SlotFrame {
                sequence,
                frame,
                wall_ms,
            });
            inner.trim();
            inner.doorbell.clone()
        };
        if let Some(doorbell) = doorbell {
            doorbell.ring();
        }
    }

    /// The newest frame, if it is newer than `seen` (a sequence the reader already has).
    pub fn take_newer(&self, seen: Option<u64>) -> Option<SlotFrame> {
        let mut inner = self.inner.lock().ok()?;
        let latest = inner.latest()?;
        if seen.is_some_and(|s| s >= latest.sequence) {
            return None;
        }
        inner.mark_shown(latest.sequence);
        Some(latest)
    }

    /// The newest frame, marked as shown (a display redraws it until a newer one arrives).
    pub fn show_latest(&self) -> Option<SlotFrame> {
        let mut inner = self.inner.lock().ok()?;
        let latest = inner.latest()?;
        inner.mark_shown(latest.sequence);
        Some(latest)
    }

    /// The newest kept frame whose sequence is at most `limit`, marked as shown.
    pub fn show_up_to(&self, limit: u64) -> Option<SlotFrame> {
        self.show_newest_where(|f| f.sequence <= limit)
    }

    /// The newest kept frame that `fits`, marked as shown.
    fn show_newest_where(&self, fits: impl Fn(&SlotFrame) -> bool) -> Option<SlotFrame> {
        let mut inner = self.inner.lock().ok()?;
        let chosen = inner.recent.iter().rev().find(|f| fits(f)).cloned()?;
        inner.mark_shown(chosen.sequence);
        Some(chosen)
    }

    /// The newest kept frame taken at `wall_ms` or before, marked as shown (a display that
    /// waits for what was found in its pictures elsewhere).
    pub fn show_taken_by(&self, wall_ms: i64) -> Option<SlotFrame> {
        self.show_newest_where(|f| f.wall_ms <= wall_ms)
    }

    /// The newest frame whether or not it was seen, without marking it shown.
    pub fn latest(&self) -> Option<SlotFrame> {
        self.inner.lock().ok()?.latest()
    }

    /// Frames replaced before anyone took them.
    pub fn dropped(&self) -> u64 {
        self.inner.lock().map_or(0, |i| i.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{ColourInfo, ColourMatrix};

    fn frame(luma: u8) -> Arc<YuvFrame> {
        Arc::new(YuvFrame {
            width: 2,
            height: 2,
            y: vec![luma; 4],
            u: vec![128],
            v: vec![128],
            pts_90k: i64::from(luma),
            colour: ColourInfo {
                matrix: ColourMatrix::Bt601,
                full_range: false,
            },
        })
    }

    #[test]
    fn readers_get_the_newest_frame_and_drops_are_counted() {
        let slot = FrameSlot::new();
        assert!(slot.take_newer(None).is_none());
        slot.publish(frame(1));
        slot.publish(frame(2)); // frame 1 never shown
        let got = slot.take_newer(None).unwrap();
        assert_eq!(got.frame.y[0], 2);
        assert_eq!(slot.dropped(), 1);
        assert!(
            slot.take_newer(Some(got.sequence)).is_none(),
            "nothing newer"
        );
        slot.publish(frame(3)); // frame 2 was shown: no drop
        assert_eq!(slot.dropped(), 1);
        assert_eq!(slot.take_newer(Some(got.sequence)).unwrap().frame.y[0], 3);
        // A display showing each frame as it comes drops nothing.
        slot.publish(frame(4));
        assert_eq!(slot.show_latest().unwrap().frame.y[0], 4);
        slot.publish(frame(5));
        assert_eq!(
            slot.dropped(),
            1,
            "frame 5 is not skipped until a later one is shown"
        );
    }

    #[test]
    fn a_delayed_display_takes_frames_from_the_history_and_counts_only_skips() {
        let slot = FrameSlot::new();
        slot.keep_history(3);
        let bell = Doorbell::new();
        slot.set_doorbell(bell.clone());
        for luma in 0..5 {
            slot.publish(frame(luma)); // sequences 0..=4; 2, 3, 4 kept
        }
        assert_eq!(bell.rings(), 5);
        assert!(
            slot.show_up_to(1).is_none(),
            "sequence 1 fell out of the history"
        );
        let shown = slot.show_up_to(3).unwrap();
        assert_eq!((shown.sequence, shown.frame.y[0]), (3, 3));
        assert_eq!(slot.dropped(), 3, "0, 1 and 2 were never shown");
        assert_eq!(slot.show_up_to(4).unwrap().sequence, 4);
        assert_eq!(slot.dropped(), 3);
        assert_eq!(slot.latest().unwrap().sequence, 4);
    }
}
