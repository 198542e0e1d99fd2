//! One recording segment: a fragmented MP4 written with libavformat without re-encoding
//! (`frag_keyframe+empty_moov`, `frag_duration` half a second: the header first, then a
//! fragment at every keyframe and at least every half second, each flushed as it is written),
//! so a file cut short by a crash or a power loss still plays up to its last whole fragment.

use super::RecordError;
use crate::video::EncodedUnit;
use ffmpeg_next as ffmpeg;
use std::path::{Path, PathBuf};

/// Ticks of the 90 kHz clock that a decoding time is put before its presentation time when the
/// source gives none (enough for the B-frames cameras use).
const DTS_LEAD_90K: i64 = 10_800;

pub struct SegmentWriter {
    output: ffmpeg::format::context::Output,
    path: PathBuf,
    time_base: ffmpeg::Rational,
    /// Stream time (90 kHz) of the segment's zero.
    base_90k: Option<i64>,
    last_dts: Option<i64>,
    first_pts: Option<i64>,
    last_pts: Option<i64>,
    units: u64,
    skipped: u64,
}

/// What a finished segment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    pub path: PathBuf,
    pub units: u64,
    pub size_bytes: u64,
    /// The stream time of its zero, and of its first and last pictures (90 kHz).
    pub base_90k: i64,
    pub first_pts_90k: i64,
    pub last_pts_90k: i64,
    /// Units that could not be placed (out of order without decoding times).
    pub skipped: u64,
}

impl SegmentWriter {
    /// Creates `path` (and its folder) for a video stream with `parameters`.
    pub fn create(path: &Path, parameters: ffmpeg::codec::Parameters) -> Result<Self, RecordError> {
        crate::video::init();
        let fail = |message: String| RecordError::Write {
            path: path.to_owned(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let mut output =
            ffmpeg::format::output_as(&path, "mp4").map_err(|e| fail(e.to_string()))?;
        {
            let mut stream = output
                .add_stream(ffmpeg::codec::Id::None)
                .map_err(|e| fail(e.to_string()))?;
            stream.set_parameters(parameters);
            stream.set_time_base((1, 90_000));
        }
        // SAFETY: the output has exactly one stream, just added; clearing its codec tag lets
        // the MP4 muxer choose the tag for the codec (a tag from another container is refused).
        unsafe {
            (*(*output
                .stream(0)
                .ok_or_else(|| fail("no stream".into()))?
                .as_ptr())
            .codecpar)
                .codec_tag = 0;
        }
        let mut options = ffmpeg::Dictionary::new();
        options.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
        options.set("frag_duration", "500000");
        options.set("flush_packets", "1");
        output
            .write_header_with(options)
            .map_err(|e| fail(format!("cannot start the file: {e}")))?;
        let time_base = output
            .stream(0)
            .map_or(ffmpeg::Rational::new(1, 90_000), |s| s.time_base());
        Ok(Self {
            output,
            path: path.to_owned(),
            time_base,
            base_90k: None,
            last_dts: None,
            first_pts: None,
            last_pts: None,
            units: 0,
            skipped: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stream time of the segment's zero, once the first unit is written.
    pub fn base_90k(&self) -> Option<i64> {
        self.base_90k
    }

    /// Appends one unit (the first must be a keyframe).
    pub fn write(&mut self, unit: &EncodedUnit) -> Result<(), RecordError> {
        let dts = match unit.dts_90k {
            Some(dts) => dts,
            None => unit.pts_90k - DTS_LEAD_90K,
        };
        let dts = match self.last_dts {
            Some(last) if dts <= last => last + 1,
            _ => dts,
        };
        if dts > unit.pts_90k {
            self.skipped += 1;
            return Ok(());
        }
        let base = *self.base_90k.get_or_insert(dts);
        self.last_dts = Some(dts);
        self.first_pts.get_or_insert(unit.pts_90k);
        self.last_pts = Some(self.last_pts.map_or(unit.pts_90k, |p| p.max(unit.pts_90k)));
        let mut packet = ffmpeg::Packet::copy(&unit.data);
        packet.set_stream(0);
        packet.set_pts(Some(unit.pts_90k - base));
        packet.set_dts(Some(dts - base));
        if unit.keyframe {
            packet.set_flags(ffmpeg::packet::Flags::KEY);
        }
        packet.rescale_ts(ffmpeg::Rational::new(1, 90_000), self.time_base);
        packet
            .write(&mut self.output)
            .map_err(|e| RecordError::Write {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        self.units += 1;
        Ok(())
    }

    /// Forces what was written to the disk.
    pub fn sync(&self) -> Result<(), RecordError> {
        sync_file(&self.path)
    }

    /// Ends the file (trailer), forces it to the disk and says what it holds.
    pub fn finish(mut self) -> Result<SegmentSummary, RecordError> {
        self.output
            .write_trailer()
            .map_err(|e| RecordError::Write {
                path: self.path.clone(),
                message: format!("cannot end the file: {e}"),
            })?;
        drop(self.output);
        sync_file(&self.path)?;
        let size_bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        Ok(SegmentSummary {
            path: self.path,
            units: self.units,
            size_bytes,
            base_90k: self.base_90k.unwrap_or(0),
            first_pts_90k: self.first_pts.unwrap_or(0),
            last_pts_90k: self.last_pts.unwrap_or(0),
            skipped: self.skipped,
        })
    }
}

/// fsync of a file's data, then of its folder (so a new file's name survives a power cut).
pub fn sync_file(path: &Path) -> Result<(), RecordError> {
    let fail = |e: std::io::Error| RecordError::Write {
        path: path.to_owned(),
        message: format!("cannot force to disk: {e}"),
    };
    std::fs::File::open(path)
        .and_then(|f| f.sync_data())
        .map_err(fail)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
    }
    Ok(())
}
