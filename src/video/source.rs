//! One interface for every video source (`file://` recordings and `rtsp://` cameras), so that
//! recorded incidents and sample clips play exactly like cameras.

use super::decoder::DecoderConfig;
use super::frame::{Codec, EncodedUnit};
use super::{FileSource, RtspOptions, RtspSource, SourceError};
use crate::domain::StreamUrl;
use crate::samples::SamplePlayback;
use std::path::PathBuf;

/// What a source says about its stream once opened.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    pub codec: Codec,
    /// Width and height from the stream's parameters; 0×0 when not yet known.
    pub dimensions: (u32, u32),
    pub frame_rate: Option<f64>,
    /// RFC 6381 codec string with profile and level (e.g. `avc1.64001F`), when known.
    pub codec_string: Option<String>,
}

/// A source of encoded units.
pub trait VideoSource: Send {
    fn info(&self) -> StreamInfo;
    fn decoder_config(&self) -> DecoderConfig;
    /// The next unit; `None` when the stream ended (end of file, server teardown).
    fn next_unit(&mut self) -> Option<Result<EncodedUnit, SourceError>>;
    /// RTP packets lost so far (0 for sources without a network).
    fn lost_packets(&self) -> u64 {
        0
    }
    /// When the camera took the picture with this `pts_90k`, by its own clock, when the
    /// source knows (RTCP sender reports); `None` otherwise.
    fn capture_time(&self, _pts_90k: i64) -> Option<std::time::SystemTime> {
        None
    }
    /// The camera's clock minus this workstation's (ms), as its last RTCP sender report
    /// showed; `None` where the source has no clock of its own.
    fn clock_offset_ms(&self) -> Option<i64> {
        None
    }
    /// When the picture with this `pts_90k` was taken, UTC ms, on this workstation's clock:
    /// the camera's own timing where the source knows it (corrected by its offset when that
    /// is more than [`CLOCK_TOLERANCE_MS`]: a camera whose clock is a month slow must not date
    /// its footage a month back), the arrival here (now) otherwise.
    fn capture_utc_ms(&self, pts_90k: i64) -> i64 {
        let Some(camera) = self.capture_time(pts_90k).map(crate::clock::utc_ms) else {
            return crate::clock::now_utc_ms();
        };
        local_time(camera, self.clock_offset_ms())
    }
}

/// How far a camera's clock may be from this workstation's before its times are corrected
/// (and the tile, the health and `engines` say so).
pub const CLOCK_TOLERANCE_MS: i64 = 2_000;

/// A time on a camera's clock, on this workstation's clock: corrected by `offset_ms` (camera
/// minus local) when that is beyond [`CLOCK_TOLERANCE_MS`].
pub fn local_time(camera_ms: i64, offset_ms: Option<i64>) -> i64 {
    match offset_ms {
        Some(offset) if offset.saturating_abs() > CLOCK_TOLERANCE_MS => {
            camera_ms.saturating_sub(offset)
        }
        _ => camera_ms,
    }
}

/// Opens the source a URL names: `file:///path` or `rtsp(s)://…` (a `sample://` address is
/// refused: see [`open_with_samples`]).
pub fn open(url: &StreamUrl, rtsp: &RtspOptions) -> Result<Box<dyn VideoSource>, SourceError> {
    open_with_samples(url, rtsp, &SamplePlayback::default())
}

/// As [`open`], playing a `sample://NAME` address from the built-in clip as `samples` says.
pub fn open_with_samples(
    url: &StreamUrl,
    rtsp: &RtspOptions,
    samples: &SamplePlayback,
) -> Result<Box<dyn VideoSource>, SourceError> {
    if let Some(name) = url.sample_name() {
        let path = samples
            .file_for(name)
            .map_err(|source| SourceError::Sample {
                url: url.to_string(),
                source,
            })?;
        return Ok(Box::new(FileSource::open(&path)?));
    }
    match url.scheme().to_ascii_lowercase().as_str() {
        "file" => {
            let path = PathBuf::from(url.as_str().split_once("://").map_or("", |(_, p)| p));
            Ok(Box::new(FileSource::open(&path)?))
        }
        _ => {
            url.check_supported().map_err(|e| SourceError::Rtsp {
                url: url.to_string(),
                message: e.to_string(),
            })?;
            Ok(Box::new(RtspSource::connect(url, rtsp)?))
        }
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn a_camera_clock_beyond_the_tolerance_is_corrected_to_the_workstations() {
        let local = 1_796_000_000_000_i64;
        // A month slow: its pictures are dated now, not a month back.
        let month = 31 * 86_400_000_i64;
        assert_eq!(local_time(local - month, Some(-month)), local);
        // Within two seconds the camera's own timing stands.
        assert_eq!(local_time(local + 1_500, Some(1_500)), local + 1_500);
        assert_eq!(local_time(local, None), local);
        // Nothing overflows, whatever the camera says.
        assert_eq!(local_time(i64::MIN, Some(i64::MAX)), i64::MIN);
        assert_eq!(local_time(i64::MAX, Some(i64::MIN)), i64::MAX);
    }
}
