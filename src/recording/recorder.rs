//! A camera's continuous recording: units go into segment files, each starting at a keyframe
//! and rolled at the first keyframe after `segment_s`; the file is forced to disk at least
//! once a second and when it is closed. Each opened and closed segment is reported as an
//! event for the index (the caller stores it: the file is on disk before its row).

use super::segment::{SegmentSummary, SegmentWriter};
use super::{RecordError, segment_path};
use crate::video::{DecoderConfig, EncodedUnit, annexb_parameters, parameter_sets};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often an open segment is forced to disk.
const SYNC_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    pub camera: String,
    /// The recordings folder (segments go under CAMERA/DATE/).
    pub dir: PathBuf,
    /// Seconds of video a segment holds (it ends at the next keyframe after).
    pub segment_s: f64,
}

/// A segment began or ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentEvent {
    Opened {
        camera: String,
        path: PathBuf,
        /// UTC ms of its first picture.
        started_ms: i64,
    },
    Closed {
        path: PathBuf,
        /// UTC ms of its last picture.
        ended_ms: i64,
        summary: SegmentSummary,
    },
}

struct Open {
    writer: SegmentWriter,
    started_ms: i64,
    first_pts: i64,
    last_wall_ms: i64,
    last_sync: Instant,
}

pub struct Recorder {
    config: RecorderConfig,
    source: DecoderConfig,
    open: Option<Open>,
    /// Parameter sets seen last (Annex B sources carry them in band).
    parameter_sets: Option<Vec<u8>>,
}

impl Recorder {
    pub fn new(config: RecorderConfig, source: DecoderConfig) -> Self {
        Self {
            config,
            source,
            open: None,
            parameter_sets: None,
        }
    }

    /// Records `unit`, taken at `wall_ms`; `dimensions` of the stream when known.
    pub fn push(
        &mut self,
        unit: &EncodedUnit,
        wall_ms: i64,
        dimensions: (u32, u32),
    ) -> Result<Vec<SegmentEvent>, RecordError> {
        let mut events = Vec::new();
        if unit.keyframe
            && let DecoderConfig::AnnexB(codec) = &self.source
            && let Some(sets) = parameter_sets(*codec, &unit.data)
        {
            self.parameter_sets = Some(sets);
        }
        let roll = unit.keyframe
            && self.open.as_ref().is_none_or(|o| {
                (unit.pts_90k - o.first_pts) as f64 / 90_000.0 >= self.config.segment_s
                    || unit.pts_90k < o.first_pts
            });
        if roll {
            events.extend(self.close()?);
            if let Some(open) = self.start(unit, wall_ms, dimensions)? {
                events.push(SegmentEvent::Opened {
                    camera: self.config.camera.clone(),
                    path: open.writer.path().to_owned(),
                    started_ms: open.started_ms,
                });
                self.open = Some(open);
            }
        }
        let Some(open) = &mut self.open else {
            return Ok(events); // waiting for a keyframe
        };
        open.writer.write(unit)?;
        open.last_wall_ms = wall_ms;
        if open.last_sync.elapsed() >= SYNC_EVERY {
            open.writer.sync()?;
            open.last_sync = Instant::now();
        }
        Ok(events)
    }

    fn start(
        &self,
        unit: &EncodedUnit,
        wall_ms: i64,
        dimensions: (u32, u32),
    ) -> Result<Option<Open>, RecordError> {
        let parameters = match &self.source {
            DecoderConfig::Container(_, parameters) => parameters.clone(),
            DecoderConfig::AnnexB(codec) => match &self.parameter_sets {
                Some(sets) if dimensions.0 > 0 && dimensions.1 > 0 => {
                    annexb_parameters(*codec, dimensions.0, dimensions.1, sets)
                }
                // No parameter sets or size yet: wait for the next keyframe.
                _ => return Ok(None),
            },
        };
        let path = segment_path(&self.config.dir, &self.config.camera, wall_ms);
        if let Some(problem) = crate::domain::safe_path::code_problem(&self.config.camera) {
            return Err(RecordError::Write {
                path,
                message: format!("camera code {problem}; nothing recorded"),
            });
        }
        let writer = SegmentWriter::create(&path, parameters)?;
        Ok(Some(Open {
            writer,
            started_ms: wall_ms,
            first_pts: unit.pts_90k,
            last_wall_ms: wall_ms,
            last_sync: Instant::now(),
        }))
    }

    /// Ends the open segment, if any.
    pub fn close(&mut self) -> Result<Option<SegmentEvent>, RecordError> {
        let Some(open) = self.open.take() else {
            return Ok(None);
        };
        let summary = open.writer.finish()?;
        Ok(Some(SegmentEvent::Closed {
            path: summary.path.clone(),
            ended_ms: open.last_wall_ms,
            summary,
        }))
    }

    /// The folder segments go in.
    pub fn dir(&self) -> &Path {
        &self.config.dir
    }
}
