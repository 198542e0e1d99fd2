//! Decoding with libavcodec: H.264 (Baseline, Main, High with B-frames) and H.265 into
//! [`YuvFrame`]s. After a decode error the decoder is flushed and skips to the next keyframe;
//! skipped units and errors are counted, never silent.

use super::frame::{Codec, ColourInfo, ColourMatrix, EncodedUnit, YuvFrame};
use ffmpeg_next as ffmpeg;

/// How to set up a decoder for a source.
#[derive(Clone)]
pub enum DecoderConfig {
    /// Annex B units with parameter sets in band (what retina delivers for RTSP).
    AnnexB(Codec),
    /// A container's stream parameters (codec and avcC/hvcC extradata; length-prefixed units).
    Container(Codec, ffmpeg::codec::Parameters),
}

impl DecoderConfig {
    pub fn codec(&self) -> Codec {
        match self {
            DecoderConfig::AnnexB(codec) | DecoderConfig::Container(codec, _) => *codec,
        }
    }
}

impl std::fmt::Debug for DecoderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecoderConfig::AnnexB(codec) => write!(f, "AnnexB({})", codec.name()),
            DecoderConfig::Container(codec, _) => write!(f, "Container({})", codec.name()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot open the {codec} decoder: {message}")]
    Open {
        codec: &'static str,
        message: String,
    },
    #[error("corrupt or undecodable data: {0}")]
    Corrupt(String),
    #[error("pixel format {0} is not supported (8-bit 4:2:0 only)")]
    UnsupportedPixelFormat(String),
    /// Beyond what a camera may send ([`super::limits`]); the stream is refused.
    #[error(transparent)]
    TooLarge(#[from] super::limits::LimitExceeded),
}

/// Counts of what the decoder could not use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    pub units_in: u64,
    pub frames_out: u64,
    /// Units dropped while waiting for a keyframe (at start or after an error).
    pub units_skipped: u64,
    pub errors: u64,
}

pub struct Decoder {
    inner: ffmpeg::decoder::Video,
    codec: Codec,
    waiting_for_keyframe: bool,
    stats: DecoderStats,
    frame: ffmpeg::frame::Video,
}

impl Decoder {
    pub fn new(config: &DecoderConfig) -> Result<Self, DecodeError> {
        super::init();
        let codec = config.codec();
        let open_error = |e: ffmpeg::Error| DecodeError::Open {
            codec: codec.name(),
            message: e.to_string(),
        };
        let context = match config {
            DecoderConfig::AnnexB(codec) => {
                let id = match codec {
                    Codec::H264 => ffmpeg::codec::Id::H264,
                    Codec::H265 => ffmpeg::codec::Id::HEVC,
                    Codec::Jpeg => ffmpeg::codec::Id::MJPEG,
                };
                let found = ffmpeg::decoder::find(id).ok_or(DecodeError::Open {
                    codec: codec.name(),
                    message: "this libavcodec has no such decoder".into(),
                })?;
                ffmpeg::codec::context::Context::new_with_codec(found)
            }
            DecoderConfig::Container(_, parameters) => {
                ffmpeg::codec::context::Context::from_parameters(parameters.clone())
                    .map_err(open_error)?
            }
        };
        let inner = context.decoder().video().map_err(open_error)?;
        Ok(Self {
            inner,
            codec,
            waiting_for_keyframe: true,
            stats: DecoderStats::default(),
            frame: ffmpeg::frame::Video::empty(),
        })
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Decodes one unit; frames that come out (in presentation order, possibly none while
    /// B-frames are reordered) are appended to `out`.
    pub fn decode(
        &mut self,
        unit: &EncodedUnit,
        out: &mut Vec<YuvFrame>,
    ) -> Result<(), DecodeError> {
        self.stats.units_in += 1;
        if self.waiting_for_keyframe {
            if !unit.keyframe {
                self.stats.units_skipped += 1;
                return Ok(());
            }
            self.waiting_for_keyframe = false;
        }
        let mut packet = ffmpeg::Packet::copy(&unit.data);
        packet.set_pts(Some(unit.pts_90k));
        if unit.keyframe {
            packet.set_flags(ffmpeg::codec::packet::Flags::KEY);
        }
        if let Err(e) = self.inner.send_packet(&packet) {
            return Err(self.failed(e));
        }
        self.receive(out)
    }

    /// Drains the frames still held for reordering (end of a file or stream).
    pub fn finish(&mut self, out: &mut Vec<YuvFrame>) -> Result<(), DecodeError> {
        if let Err(e) = self.inner.send_eof() {
            return Err(self.failed(e));
        }
        let result = self.receive(out);
        self.inner.flush();
        self.waiting_for_keyframe = true;
        result
    }

    fn receive(&mut self, out: &mut Vec<YuvFrame>) -> Result<(), DecodeError> {
        loop {
            match self.inner.receive_frame(&mut self.frame) {
                Ok(()) => {
                    // Checked before a buffer of the picture's size is made.
                    super::limits::check_picture(self.frame.width(), self.frame.height())?;
                    let frame = copy_frame(&self.frame)?;
                    self.stats.frames_out += 1;
                    out.push(frame);
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => {
                    return Ok(());
                }
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(e) => return Err(self.failed(e)),
            }
        }
    }

    /// Counts an error, resets the decoder and waits for the next keyframe.
    fn failed(&mut self, error: ffmpeg::Error) -> DecodeError {
        self.stats.errors += 1;
        self.inner.flush();
        self.waiting_for_keyframe = true;
        tracing::debug!(codec = self.codec.name(), %error, "decode error; waiting for a keyframe");
        DecodeError::Corrupt(error.to_string())
    }
}

fn copy_frame(frame: &ffmpeg::frame::Video) -> Result<YuvFrame, DecodeError> {
    use ffmpeg::format::Pixel;
    let format = frame.format();
    let full_range_format = match format {
        Pixel::YUV420P => false,
        Pixel::YUVJ420P => true,
        other => return Err(DecodeError::UnsupportedPixelFormat(format!("{other:?}"))),
    };
    let (width, height) = (frame.width(), frame.height());
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let plane = |index: usize, w: u32, h: u32| -> Result<Vec<u8>, DecodeError> {
        let stride = frame.stride(index);
        let data = frame.data(index);
        let mut packed = Vec::with_capacity((w * h) as usize);
        for row in 0..h as usize {
            let start = row * stride;
            let line = data
                .get(start..start + w as usize)
                .ok_or_else(|| DecodeError::Corrupt("frame plane shorter than its size".into()))?;
            packed.extend_from_slice(line);
        }
        Ok(packed)
    };
    let matrix = match frame.color_space() {
        ffmpeg::color::Space::BT709 => ColourMatrix::Bt709,
        _ => ColourMatrix::Bt601,
    };
    let full_range = full_range_format || frame.color_range() == ffmpeg::color::Range::JPEG;
    Ok(YuvFrame {
        width,
        height,
        y: plane(0, width, height)?,
        u: plane(1, cw, ch)?,
        v: plane(2, cw, ch)?,
        pts_90k: frame.pts().unwrap_or_default(),
        colour: ColourInfo { matrix, full_range },
    })
}
