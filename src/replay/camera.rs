//! One camera's recordings as a replayable picture at any moment: the segments covering the
//! span are read unit by unit (a segment's units are kept in memory once read, so a seek
//! decodes from the keyframe before the moment, not from the segment's start), each picture
//! placed on the wall clock (UTC ms) from its segment's start, so cameras recorded apart play
//! in lock-step by time alone.

use super::ReplayError;
use crate::recording::SegmentUnits;
use crate::store::RecordingRow;
use crate::video::{Decoder, YuvFrame};
use std::collections::VecDeque;
use std::sync::Arc;

/// A decoded picture and when it was taken.
#[derive(Debug, Clone)]
pub struct RecordedFrame {
    pub utc_ms: i64,
    pub frame: Arc<YuvFrame>,
}

/// The segment being decoded.
struct Cursor {
    segment: usize,
    /// Its units, in file order, and their place on the wall clock.
    read: SegmentUnits,
    next: usize,
    decoder: Decoder,
}

pub struct RecordedCamera {
    pub camera: String,
    segments: Vec<RecordingRow>,
    cursor: Option<Cursor>,
    /// Decoded pictures ahead of (and the one at) the last moment asked for.
    decoded: VecDeque<RecordedFrame>,
    /// Nothing more to decode after the cursor.
    ended: bool,
    /// The last moment asked for.
    last_t: Option<i64>,
}

impl RecordedCamera {
    /// The recordings of `camera` among `segments` (any order; lost and deleted ones are
    /// left out).
    pub fn new(camera: &str, segments: &[RecordingRow]) -> Self {
        let mut own: Vec<RecordingRow> = segments
            .iter()
            .filter(|s| s.camera_code == camera && !matches!(s.state.as_str(), "lost" | "deleted"))
            .cloned()
            .collect();
        own.sort_by_key(|s| s.started_ms);
        Self {
            camera: camera.to_owned(),
            segments: own,
            cursor: None,
            decoded: VecDeque::new(),
            ended: false,
            last_t: None,
        }
    }

    /// The span the recordings cover, UTC ms.
    pub fn span(&self) -> Option<(i64, i64)> {
        let first = self.segments.first()?;
        let last = self.segments.last()?;
        Some((first.started_ms, last.ended_ms.unwrap_or(last.started_ms)))
    }

    /// Opens segment `index` positioned at the keyframe at or before `t_ms`.
    fn open(&mut self, index: usize, t_ms: i64) -> Result<(), ReplayError> {
        let segment = &self.segments[index];
        let fail = |message: String| ReplayError::Read {
            path: segment.path.clone(),
            message,
        };
        let read = SegmentUnits::read(segment).map_err(|e| fail(e.to_string()))?;
        let decoder = Decoder::new(&read.config).map_err(|e| fail(e.to_string()))?;
        let next = read
            .units
            .iter()
            .rposition(|u| u.keyframe && read.utc_ms(u.pts_90k) <= t_ms)
            .unwrap_or(0);
        self.cursor = Some(Cursor {
            segment: index,
            read,
            next,
            decoder,
        });
        self.ended = false;
        Ok(())
    }

    /// Starts again from the segment holding `t_ms` (or the first after it).
    fn seek(&mut self, t_ms: i64) -> Result<(), ReplayError> {
        self.decoded.clear();
        // The segment holding `t`, else the first after it.
        let index = self
            .segments
            .iter()
            .rposition(|s| s.started_ms <= t_ms && s.ended_ms.is_none_or(|end| end >= t_ms))
            .or_else(|| self.segments.iter().position(|s| s.started_ms > t_ms));
        match index {
            Some(i) => self.open(i, t_ms),
            None => {
                self.cursor = None;
                self.ended = true;
                Ok(())
            }
        }
    }

    /// Decodes one more unit (or moves to the next segment); false when nothing is left.
    fn decode_more(&mut self) -> Result<bool, ReplayError> {
        let Some(cursor) = &mut self.cursor else {
            return Ok(false);
        };
        let mut frames = Vec::new();
        if cursor.next < cursor.read.units.len() {
            let _ = cursor
                .decoder
                .decode(&cursor.read.units[cursor.next], &mut frames);
            cursor.next += 1;
        } else {
            let _ = cursor.decoder.finish(&mut frames);
            let following = cursor.segment + 1;
            let (zero, started) = (cursor.read.zero_90k, cursor.read.started_ms);
            self.push(frames, zero, started);
            if following < self.segments.len() {
                let at = self.segments[following].started_ms;
                self.open(following, at)?;
                return Ok(true);
            }
            self.cursor = None;
            self.ended = true;
            return Ok(false);
        }
        let (zero, started) = (cursor.read.zero_90k, cursor.read.started_ms);
        self.push(frames, zero, started);
        Ok(true)
    }

    fn push(&mut self, frames: Vec<YuvFrame>, zero_90k: i64, started_ms: i64) {
        for frame in frames {
            let utc_ms = started_ms + (frame.pts_90k - zero_90k) / 90;
            // Pictures come out in presentation order; keep the queue sorted regardless.
            let at = self.decoded.partition_point(|f| f.utc_ms <= utc_ms);
            self.decoded.insert(
                at,
                RecordedFrame {
                    utc_ms,
                    frame: Arc::new(frame),
                },
            );
        }
    }

    /// The picture shown at `t_ms`: the last one taken at or before it. `None` before the
    /// recordings begin or in a gap longer than a second.
    pub fn frame_at(&mut self, t_ms: i64) -> Result<Option<RecordedFrame>, ReplayError> {
        let backwards = self.last_t.is_some_and(|last| t_ms < last)
            && self.decoded.front().is_none_or(|f| f.utc_ms > t_ms);
        let never_opened = self.cursor.is_none() && !self.ended && self.last_t.is_none();
        let reached = self.decoded.back().map(|f| f.utc_ms).or_else(|| {
            let c = self.cursor.as_ref()?;
            c.read.units.get(c.next).map(|u| c.read.utc_ms(u.pts_90k))
        });
        let far_ahead = reached.is_some_and(|at| t_ms - at > 3_000);
        if backwards || never_opened || far_ahead {
            self.seek(t_ms)?;
        }
        self.last_t = Some(t_ms);
        // Decode until a picture after `t` is known (so the one at `t` is final).
        while self.decoded.back().is_none_or(|f| f.utc_ms <= t_ms) {
            if !self.decode_more()? {
                break;
            }
        }
        while self.decoded.len() > 1 && self.decoded[1].utc_ms <= t_ms {
            self.decoded.pop_front();
        }
        Ok(self
            .decoded
            .front()
            .filter(|f| f.utc_ms <= t_ms && t_ms - f.utc_ms <= 1_000)
            .cloned())
    }
}
