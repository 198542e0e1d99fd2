//! Video: encoded access units from a source (a file or an RTSP camera), decoded with libavcodec
//! into planar YUV 4:2:0 frames. It knows nothing of the GPU, the UI or the database; frames
//! stay YUV (the wall converts them to RGB in a shader).

mod colour;
mod decoder;
mod file_source;
mod frame;
pub mod limits;
mod parameter_sets;
mod rtsp_source;
mod source;

pub use colour::ConversionParams;
pub use decoder::{DecodeError, Decoder, DecoderConfig, DecoderStats};
pub use file_source::FileSource;
pub use frame::{Codec, ColourInfo, ColourMatrix, EncodedUnit, YuvFrame};
pub use parameter_sets::{annexb_parameters, nal_units, parameter_sets};
pub use rtsp_source::{RtspOptions, RtspSource};
pub use source::{
    CLOCK_TOLERANCE_MS, StreamInfo, VideoSource, local_time, open, open_with_samples,
};

/// Why a source could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open {path}: {message}")]
    Open {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{path} has no video stream")]
    NoVideo { path: std::path::PathBuf },
    #[error("{path}: codec {codec} is not supported (H.264, H.265 or JPEG only)")]
    UnsupportedCodec {
        path: std::path::PathBuf,
        codec: String,
    },
    #[error("{path}: read error: {message}")]
    Read {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{url}: the camera refused the credentials: {message}")]
    Auth { url: String, message: String },
    #[error("{url}: {message}")]
    Rtsp { url: String, message: String },
    #[error("{url}: {source}")]
    Sample {
        url: String,
        source: crate::samples::SampleError,
    },
}

/// Initialises libav* once per process (logging quietened to errors).
pub fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if let Err(e) = ffmpeg_next::init() {
            tracing::error!(error = %e, "libavcodec failed to initialise");
        }
        ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Error);
    });
}
