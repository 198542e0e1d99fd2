//! The detector a console or a command uses: finds and verifies the model file, builds the
//! network on a device, and turns RGB pictures into detections of the console's classes.

use super::bundled::{self, ModelSource};
use super::onnx::{Model, OnnxError};
use super::postprocess::{self, Detection};
use super::preprocess::{
    InputWindow, Letterboxed, PictureCrop, letterbox, letterbox_into, letterbox_window,
};
use super::search::{SearchScale, Span, join_tiles};
use super::team::Team;
use super::yolox::{NetworkError, YoloxNano, input_tensor};
use crate::domain::ObjectClass;
use candle_core::Device;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where YOLOX-nano lies inside a models folder.
pub const YOLOX_NANO_FILE: &str = "yolox-nano/yolox_nano.onnx";

/// SHA-256 of the YOLOX-nano files known to be good: the upstream release (YOLOX 0.1.1rc0
/// asset `yolox_nano.onnx`) and another export of the same trained network.
pub const YOLOX_NANO_SHA256: [&str; 2] = [
    "c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d",
    "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14",
];

/// Where the weights tuned to Vietnamese traffic lie inside a models folder.
pub const YOLOX_NANO_VN_FILE: &str = "yolox-nano-vn/yolox_nano_vn.onnx";

/// SHA-256 of the tuned weights that ship with the program (`detect train`, its record in
/// `resources/models/yolox-nano-vn/TRAINING.md`).
pub const YOLOX_NANO_VN_SHA256: [&str; 1] = [VN_SHA256];

const VN_SHA256: &str = "27894e9ffab25336e4f70271564d2759fcc2ecacda9de983abc5b61d70136db5";

/// Which weights the detector runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// YOLOX-nano's prediction layers tuned to Vietnamese traffic (the default).
    #[default]
    Vietnam,
    /// YOLOX-nano as trained on COCO.
    Coco,
}

impl Weights {
    /// `vietnam` or `coco`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Vietnam, Self::Coco]
            .into_iter()
            .find(|w| w.code() == text.trim())
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Vietnam => "vietnam",
            Self::Coco => "coco",
        }
    }

    /// The file's place in a models folder, its built-in copy and the checksums accepted.
    fn files(self) -> (&'static str, &'static [u8], &'static [&'static str]) {
        match self {
            Self::Vietnam => (
                YOLOX_NANO_VN_FILE,
                bundled::YOLOX_NANO_VN,
                &YOLOX_NANO_VN_SHA256,
            ),
            Self::Coco => (YOLOX_NANO_FILE, bundled::YOLOX_NANO, &YOLOX_NANO_SHA256),
        }
    }
}

/// Default thresholds (YOLOX's demo values for the score, its NMS IoU).
pub const SCORE_THRESHOLD: f32 = 0.25;
pub const NMS_IOU: f32 = 0.45;

#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error(
        "model {path} is not a known YOLOX-nano file (SHA-256 {actual}); expected one of {expected}"
    )]
    Checksum {
        path: PathBuf,
        actual: String,
        expected: String,
    },
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A detection of a class the console uses, in picture pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectDetection {
    pub class: ObjectClass,
    pub score: f32,
    /// x1, y1, x2, y2.
    pub bbox: [f32; 4],
}

impl ObjectDetection {
    /// The detection as the command line prints it: class code, score to 4 decimals, box
    /// corners rounded to whole pixels.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "class": self.class.code(),
            "score": (f64::from(self.score) * 10_000.0).round() / 10_000.0,
            "x1": self.bbox[0].round(), "y1": self.bbox[1].round(),
            "x2": self.bbox[2].round(), "y2": self.bbox[3].round(),
        })
    }
}

pub struct Detector {
    net: YoloxNano,
    /// The CPU threads the network runs on: the calling thread and helpers that wait between
    /// the pass's steps by spinning (see [`Team`]); none on a GPU.
    team: Option<Team>,
}

impl Detector {
    /// Loads the default weights (tuned to Vietnamese traffic) after checking their SHA-256, on
    /// the preferred device (see [`preferred_device`]).
    pub fn load(models_dir: &Path) -> Result<Self, DetectorError> {
        Self::load_weights(models_dir, Weights::default(), &preferred_device())
    }

    /// Loads `weights` onto `device`: the file in `models_dir` when there is one (checked),
    /// else the copy built into the program (checked too).
    pub fn load_weights(
        models_dir: &Path,
        weights: Weights,
        device: &Device,
    ) -> Result<Self, DetectorError> {
        let (file, built_in, known) = weights.files();
        let path = models_dir.join(file);
        let (model, source) = if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|source| DetectorError::Read {
                path: path.clone(),
                source,
            })?;
            (
                checked_model(&bytes, &path, known)?,
                ModelSource::File(path),
            )
        } else {
            let model = checked_model(built_in, Path::new("(built in)"), known)?;
            (model, ModelSource::BuiltIn)
        };
        tracing::info!(weights = weights.code(), "detector weights");
        Self::build(&model, device, &source)
    }

    /// A detector of a model not (yet) known by its checksum: what `detect train` measures
    /// while it tunes. The console and the engine load only checked files ([`Self::load_on`]).
    pub fn from_unchecked_bytes(bytes: &[u8], device: &Device) -> Result<Self, DetectorError> {
        let model = Model::parse(bytes).map_err(|(reason, offset)| {
            DetectorError::Onnx(OnnxError::Malformed {
                path: "(model being tuned)".into(),
                reason,
                offset,
            })
        })?;
        Self::build(&model, device, &ModelSource::BuiltIn)
    }

    fn build(model: &Model, device: &Device, source: &ModelSource) -> Result<Self, DetectorError> {
        let net = YoloxNano::from_model(model, device)?;
        let threads = std::env::var("DISPATCH_DETECT_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let team = if device.is_cpu() {
            match Team::new(threads) {
                Ok(team) => Some(team),
                Err(e) => {
                    tracing::warn!(error = %e, "no helper threads for the detector: one thread");
                    None
                }
            }
        } else {
            None
        };
        tracing::info!(
            model = %source,
            device = if device.is_cpu() { "CPU" } else { "GPU" },
            product_kernel = ?super::product::Kernel::current(),
            threads = team.as_ref().map_or(1, Team::threads),
            "detector loaded"
        );
        Ok(Self { net, team })
    }

    /// The device in words: "CUDA GPU 0" or "CPU".
    pub fn device_name(&self) -> &'static str {
        if self.net.device().is_cuda() {
            "CUDA GPU 0"
        } else {
            "CPU"
        }
    }

    pub fn is_gpu(&self) -> bool {
        !self.net.device().is_cpu()
    }

    /// Detections in an RGB picture (`width × height × 3` bytes).
    pub fn detect_rgb(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Vec<ObjectDetection>, DetectorError> {
        Ok(self
            .detect_batch(&[RgbPicture { rgb, width, height }])?
            .pop()
            .unwrap_or_default())
    }

    /// Detections in several pictures at once (one pass of the network over a batch), each
    /// fitted into 416 × 416.
    pub fn detect_batch(
        &self,
        pictures: &[RgbPicture],
    ) -> Result<Vec<Vec<ObjectDetection>>, DetectorError> {
        let boxed: Vec<Letterboxed> = pictures
            .iter()
            .map(|p| letterbox(p.rgb, p.width, p.height))
            .collect();
        self.run(boxed)
    }

    /// Detections in `window` of the input of `crop`'s picture (see
    /// [`super::preprocess::window_for`]), in picture pixels: a region costs in proportion to
    /// its window's area, and sees what a whole-picture search sees there.
    pub fn detect_window(
        &self,
        crop: &PictureCrop,
        window: InputWindow,
    ) -> Result<Vec<ObjectDetection>, DetectorError> {
        let boxed = letterbox_window(crop, window);
        Ok(self.run(vec![boxed])?.pop().unwrap_or_default())
    }

    /// Detections in `region` (left, top, right, bottom) of `picture`, searched at `scale`: the
    /// region cut into the scale's tiles, each fitted into its input; boxes in picture pixels.
    pub fn detect_scaled(
        &self,
        picture: RgbPicture,
        region: Span,
        scale: SearchScale,
    ) -> Result<Vec<ObjectDetection>, DetectorError> {
        let region = (
            region.0.min(picture.width),
            region.1.min(picture.height),
            region.2.min(picture.width),
            region.3.min(picture.height),
        );
        if region.2 <= region.0 || region.3 <= region.1 {
            return Ok(Vec::new());
        }
        if scale == SearchScale::DEFAULT && region == (0, 0, picture.width, picture.height) {
            // Exactly the whole-picture search (the square input of the reference contract).
            return self.detect_rgb(picture.rgb, picture.width, picture.height);
        }
        let tiles = scale.tiles(region);
        // Tiles whose inputs have one size run as one batch.
        let mut batches: Vec<(Vec<Letterboxed>, Vec<Span>)> = Vec::new();
        for tile in &tiles {
            // A tile that is the whole picture (a region already cropped) is read in place.
            let whole = *tile == (0, 0, picture.width, picture.height);
            let copied = if whole {
                Vec::new()
            } else {
                crop(picture, *tile)
            };
            let rgb = if whole { picture.rgb } else { &copied };
            let boxed = letterbox_into(rgb, tile.2 - tile.0, tile.3 - tile.1, scale.input);
            let size = (boxed.input_width, boxed.input_height);
            match batches
                .iter_mut()
                .find(|(b, _)| (b[0].input_width, b[0].input_height) == size)
            {
                Some((inputs, placed)) => {
                    inputs.push(boxed);
                    placed.push(*tile);
                }
                None => batches.push((vec![boxed], vec![*tile])),
            }
        }
        let mut found = Vec::new();
        for (inputs, placed) in batches {
            for (objects, tile) in self.run(inputs)?.into_iter().zip(placed) {
                let offset = [tile.0 as f32, tile.1 as f32, tile.0 as f32, tile.1 as f32];
                found.extend(objects.into_iter().map(|mut o| {
                    for (v, o) in o.bbox.iter_mut().zip(offset) {
                        *v += o;
                    }
                    (o, tile)
                }));
            }
        }
        Ok(join_tiles(found, region))
    }

    /// Runs inputs of one size as a batch.
    fn run(&self, boxed: Vec<Letterboxed>) -> Result<Vec<Vec<ObjectDetection>>, DetectorError> {
        let Some(first) = boxed.first() else {
            return Ok(Vec::new());
        };
        let size = (first.input_width, first.input_height);
        if boxed
            .iter()
            .any(|b| (b.input_width, b.input_height) != size)
        {
            return Err(DetectorError::Network(NetworkError::NotYoloxNano(
                "a batch needs inputs of one size".into(),
            )));
        }
        let count = boxed.len();
        let mut planes = Vec::with_capacity(count * 3 * size.0 * size.1);
        let mut placements = Vec::with_capacity(count);
        for b in boxed {
            planes.extend_from_slice(&b.bgr_planar);
            placements.push((b.scale, b.origin));
        }
        let input = input_tensor(planes, count, size, self.net.device())?;
        let forward = || -> Result<Vec<f32>, DetectorError> {
            Ok(self
                .net
                .forward(&input)?
                .flatten_all()
                .map_err(NetworkError::from)?
                .to_vec1()
                .map_err(NetworkError::from)?)
        };
        let rows = match &self.team {
            Some(team) => team.run(forward)?,
            None => forward()?,
        };
        let per_picture = rows.len() / count;
        Ok(rows
            .chunks(per_picture.max(1))
            .zip(placements)
            .map(|(rows, (scale, (ox, oy)))| {
                postprocess::decode(rows, size, 1.0, SCORE_THRESHOLD, NMS_IOU)
                    .into_iter()
                    .filter_map(|mut d| {
                        // From window pixels to whole-input pixels to picture pixels.
                        let offset = [ox as f32, oy as f32, ox as f32, oy as f32];
                        for (v, o) in d.bbox.iter_mut().zip(offset) {
                            *v = (*v + o) / scale;
                        }
                        to_object(d)
                    })
                    .collect()
            })
            .collect())
    }
}

/// An RGB picture (`width × height × 3` bytes, row-major).
#[derive(Debug, Clone, Copy)]
pub struct RgbPicture<'a> {
    pub rgb: &'a [u8],
    pub width: usize,
    pub height: usize,
}

/// The pixels of `rect` (left, top, right, bottom, inside the picture) as a picture of their own.
fn crop(picture: RgbPicture, (left, top, right, bottom): Span) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((right - left) * (bottom - top) * 3);
    for y in top..bottom {
        let row = y * picture.width;
        if let Some(pixels) = picture.rgb.get((row + left) * 3..(row + right) * 3) {
            rgb.extend_from_slice(pixels);
        }
    }
    rgb
}

/// The first CUDA GPU when the build has the `cuda` feature and the machine has one; the CPU
/// otherwise (with the reason logged when a GPU was expected).
pub fn preferred_device() -> Device {
    match Device::cuda_if_available(0) {
        Ok(device) => {
            if cfg!(feature = "cuda") && device.is_cpu() {
                tracing::warn!("built with CUDA but no GPU is available; detecting on the CPU");
            }
            device
        }
        Err(e) => {
            tracing::warn!(error = %e, "CUDA device unusable; detecting on the CPU");
            Device::Cpu
        }
    }
}

/// The model in `bytes` (read from `path`, or built in), if they are a file `known` lists.
fn checked_model(bytes: &[u8], path: &Path, known: &[&str]) -> Result<Model, DetectorError> {
    let actual = sha256_hex(bytes);
    if !known.contains(&actual.as_str()) {
        return Err(DetectorError::Checksum {
            path: path.to_owned(),
            actual,
            expected: known.join(", "),
        });
    }
    Model::parse(bytes).map_err(|(reason, offset)| {
        DetectorError::Onnx(OnnxError::Malformed {
            path: path.display().to_string(),
            reason,
            offset,
        })
    })
}

fn to_object(d: Detection) -> Option<ObjectDetection> {
    Some(ObjectDetection {
        class: ObjectClass::from_coco(d.class)?,
        score: d.score,
        bbox: d.bbox,
    })
}

/// SHA-256 of `bytes` as 64 lowercase hex digits (how models/README.md lists the models).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CPU's model name as the kernel reports it ("unknown CPU" where it does not): every
/// figure names the machine that measured it.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
