//! Video: encoded access units from a source (file now; RTSP next), decoded with libavcodec
//! into planar YUV 4:2:0 frames. It knows nothing of the GPU, the UI or the database; frames
//! stay YUV (the wall converts them to RGB in a shader).

mod decoder;
mod file_source;
mod frame;

pub use decoder::{DecodeError, Decoder, DecoderConfig, DecoderStats};
pub use file_source::{FileSource, SourceError};
pub use frame::{Codec, ColourInfo, ColourMatrix, EncodedUnit, YuvFrame};

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
