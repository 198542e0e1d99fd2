//! The latest-frame slot between a stream's worker and the display: the worker replaces the
//! frame, the UI takes the newest one when it draws. A frame replaced before it was shown is
//! counted as dropped, never lost silently.

use crate::video::YuvFrame;
use std::sync::{Arc, Mutex};

/// A frame with its sequence number in the stream.
#[derive(Debug, Clone)]
pub struct SlotFrame {
    pub sequence: u64,
    pub frame: Arc<YuvFrame>,
}

#[derive(Debug, Default)]
struct SlotInner {
    latest: Option<SlotFrame>,
    taken_sequence: Option<u64>,
    next_sequence: u64,
    dropped: u64,
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

    /// Puts a new frame in the slot, replacing the previous one.
    pub fn publish(&self, frame: Arc<YuvFrame>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let unshown = inner
            .latest
            .as_ref()
            .is_some_and(|l| Some(l.sequence) != inner.taken_sequence);
        if unshown {
            inner.dropped += 1;
        }
        let sequence = inner.next_sequence;
        inner.next_sequence += 1;
        inner.latest = Some(SlotFrame { sequence, frame });
    }

    /// The newest frame, if it is newer than `seen` (a sequence the reader already has).
    pub fn take_newer(&self, seen: Option<u64>) -> Option<SlotFrame> {
        let mut inner = self.inner.lock().ok()?;
        let latest = inner.latest.clone()?;
        if seen.is_some_and(|s| s >= latest.sequence) {
            return None;
        }
        inner.taken_sequence = Some(latest.sequence);
        Some(latest)
    }

    /// The newest frame, marked as shown (a display redraws it until a newer one arrives).
    pub fn show_latest(&self) -> Option<SlotFrame> {
        let mut inner = self.inner.lock().ok()?;
        let latest = inner.latest.clone()?;
        inner.taken_sequence = Some(latest.sequence);
        Some(latest)
    }

    /// The newest frame whether or not it was seen, without marking it shown.
    pub fn latest(&self) -> Option<SlotFrame> {
        self.inner.lock().ok()?.latest.clone()
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
        assert_eq!(slot.dropped(), 1);
    }
}
