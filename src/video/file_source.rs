//! Recorded video as a source: MP4 (and other containers) or raw Annex B H.264/H.265 files,
//! demuxed with libavformat, giving [`EncodedUnit`]s with 90 kHz timestamps. Pacing at the
//! file's frame rate is the caller's choice, so tests can read as fast as they like.

use super::SourceError;
use super::decoder::DecoderConfig;
use super::frame::{Codec, EncodedUnit};
use super::source::{StreamInfo, VideoSource};
use ffmpeg_next as ffmpeg;
use std::path::{Path, PathBuf};

pub struct FileSource {
    path: PathBuf,
    input: ffmpeg::format::context::Input,
    stream_index: usize,
    config: DecoderConfig,
    /// Stream time base as numerator/denominator seconds.
    time_base: (i64, i64),
    frame_rate: Option<f64>,
    dimensions: (u32, u32),
    units_read: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        super::init();
        let open_error = |message: String| SourceError::Open {
            path: path.to_owned(),
            message,
        };
        let input = ffmpeg::format::input(&path).map_err(|e| open_error(e.to_string()))?;
        let stream = input
            .streams()
            .best(ffmpeg::media::Type::Video)
            .ok_or_else(|| SourceError::NoVideo {
                path: path.to_owned(),
            })?;
        let parameters = stream.parameters();
        let codec = match parameters.id() {
            ffmpeg::codec::Id::H264 => Codec::H264,
            ffmpeg::codec::Id::HEVC => Codec::H265,
            ffmpeg::codec::Id::MJPEG => Codec::Jpeg,
            other => {
                return Err(SourceError::UnsupportedCodec {
                    path: path.to_owned(),
                    codec: format!("{other:?}"),
                });
            }
        };
        let time_base = stream.time_base();
        let rate = stream.avg_frame_rate();
        let frame_rate = (rate.denominator() != 0 && rate.numerator() > 0)
            .then(|| f64::from(rate.numerator()) / f64::from(rate.denominator()));
        let stream_index = stream.index();
        // Dimensions come from the codec parameters (known after probing the header).
        let dimensions = ffmpeg::codec::context::Context::from_parameters(parameters.clone())
            .ok()
            .and_then(|c| c.decoder().video().ok())
            .map_or((0, 0), |v| (v.width(), v.height()));
        Ok(Self {
            path: path.to_owned(),
            stream_index,
            config: DecoderConfig::Container(codec, parameters),
            time_base: (
                i64::from(time_base.numerator()),
                i64::from(time_base.denominator()).max(1),
            ),
            frame_rate,
            dimensions,
            units_read: 0,
            input,
        })
    }

    pub fn decoder_config(&self) -> DecoderConfig {
        self.config.clone()
    }

    pub fn codec(&self) -> Codec {
        self.config.codec()
    }

    /// Frames per second declared by the file, if any.
    pub fn frame_rate(&self) -> Option<f64> {
        self.frame_rate
    }

    /// Width and height declared by the file's header (0×0 when unknown).
    pub fn dimensions(&self) -> (u32, u32) {
        self.dimensions
    }

    /// The next encoded unit of the video stream, `None` at the end of the file.
    pub fn next_unit(&mut self) -> Option<Result<EncodedUnit, SourceError>> {
        loop {
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => return None,
                Err(e) => {
                    return Some(Err(SourceError::Read {
                        path: self.path.clone(),
                        message: e.to_string(),
                    }));
                }
            }
            if packet.stream() != self.stream_index {
                continue;
            }
            let Some(data) = packet.data() else { continue };
            let pts_90k = match packet.pts().or(packet.dts()) {
                Some(pts) => pts * 90_000 * self.time_base.0 / self.time_base.1,
                // Raw Annex B has no timestamps: count frames at the declared rate.
                None => {
                    let fps = self.frame_rate.unwrap_or(25.0);
                    (self.units_read as f64 * 90_000.0 / fps) as i64
                }
            };
            self.units_read += 1;
            let dts_90k = packet
                .dts()
                .map(|dts| dts * 90_000 * self.time_base.0 / self.time_base.1);
            return Some(Ok(EncodedUnit {
                data: data.to_vec(),
                pts_90k,
                dts_90k,
                keyframe: packet.is_key(),
            }));
        }
    }
}

impl VideoSource for FileSource {
    fn info(&self) -> StreamInfo {
        StreamInfo {
            codec: self.codec(),
            dimensions: self.dimensions,
            frame_rate: self.frame_rate,
            codec_string: None,
        }
    }

    fn decoder_config(&self) -> DecoderConfig {
        self.config.clone()
    }

    fn next_unit(&mut self) -> Option<Result<EncodedUnit, SourceError>> {
        FileSource::next_unit(self)
    }
}
