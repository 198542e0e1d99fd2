//! The data that flows through the video pipeline: encoded units in, YUV frames out.

/// Codecs the console decodes: H.264 and H.265 video, and JPEG stills (camera snapshots,
/// evidence photos, test pictures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    H264,
    H265,
    Jpeg,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "H.264",
            Codec::H265 => "H.265",
            Codec::Jpeg => "JPEG",
        }
    }
}

/// One encoded access unit (a whole picture) as the source delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedUnit {
    /// Bitstream bytes, in the form the source's [`super::DecoderConfig`] announces.
    pub data: Vec<u8>,
    /// Presentation time on a 90 kHz clock, from the stream's own timestamps.
    pub pts_90k: i64,
    /// Decoding time on the same clock, where the source knows it (containers); RTSP gives
    /// presentation times only.
    pub dts_90k: Option<i64>,
    /// True for an IDR/IRAP picture, where decoding can start.
    pub keyframe: bool,
}

/// YCbCr → RGB matrix of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourMatrix {
    Bt601,
    Bt709,
}

/// How to turn a frame's samples into colours (from the stream's VUI, BT.601 limited when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourInfo {
    pub matrix: ColourMatrix,
    /// True for full range (0–255), false for limited (16–235 luma).
    pub full_range: bool,
}

/// A decoded picture in planar YUV 4:2:0, planes tightly packed (no row padding).
#[derive(Debug, Clone, PartialEq)]
pub struct YuvFrame {
    pub width: u32,
    pub height: u32,
    /// `width × height` luma samples.
    pub y: Vec<u8>,
    /// `⌈width/2⌉ × ⌈height/2⌉` samples each.
    pub u: Vec<u8>,
    pub v: Vec<u8>,
    pub pts_90k: i64,
    pub colour: ColourInfo,
}

impl YuvFrame {
    /// Width and height of the chroma planes.
    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Mean luma, 0–255: a cheap fingerprint for tests and for "black picture" checks.
    pub fn mean_luma(&self) -> f64 {
        if self.y.is_empty() {
            return 0.0;
        }
        self.y.iter().map(|&v| f64::from(v)).sum::<f64>() / self.y.len() as f64
    }
}
