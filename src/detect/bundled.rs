//! The models that ship inside the program (all Apache-2.0; `LICENSES/` and the About box):
//! what runs when the models folder holds no file of that name. A file there still wins, and is
//! checked like these.

/// YOLOX-nano, COCO weights (Megvii), `resources/models/yolox-nano/`.
pub const YOLOX_NANO: &[u8] = include_bytes!("../../resources/models/yolox-nano/yolox_nano.onnx");

/// YOLOX-nano with its prediction layers tuned to Vietnamese traffic (`detect train`),
/// `resources/models/yolox-nano-vn/`.
pub const YOLOX_NANO_VN: &[u8] =
    include_bytes!("../../resources/models/yolox-nano-vn/yolox_nano_vn.onnx");

/// The HyperLPR plate detector, `resources/models/plate-hyperlpr/`.
pub const PLATE: &[u8] = include_bytes!("../../resources/models/plate-hyperlpr/y5fu_320x_sim.onnx");

/// PaddleOCR's PP-OCRv4 text recogniser (plate reading), `resources/models/ppocr-v4/`.
pub const TEXT_RECOGNISER: &[u8] =
    include_bytes!("../../resources/models/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx");

/// Where a model came from: a file, or the copy built into the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    File(std::path::PathBuf),
    BuiltIn,
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::File(path) => write!(f, "{}", path.display()),
            ModelSource::BuiltIn => f.write_str("the copy built into the program"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::detector::{YOLOX_NANO_SHA256, YOLOX_NANO_VN_SHA256, sha256_hex};
    use crate::detect::plate::PLATE_SHA256;

    #[test]
    fn the_built_in_models_are_the_known_files() {
        assert!(YOLOX_NANO_SHA256.contains(&sha256_hex(YOLOX_NANO).as_str()));
        assert!(YOLOX_NANO_VN_SHA256.contains(&sha256_hex(YOLOX_NANO_VN).as_str()));
        assert_eq!(sha256_hex(PLATE), PLATE_SHA256);
        assert_eq!(
            sha256_hex(TEXT_RECOGNISER),
            crate::plates::recogniser::RECOGNISER_SHA256
        );
    }
}
