//! The licence-plate detector (HyperLPR's YOLOv5-face-style network, run by the graph
//! executor): finds plates in a picture, with their four corners and whether they have one
//! row or two, for the plate close-up of the evidence. Trained on Chinese plates: its boxes
//! on Vietnamese plates are a help to the reviewer, never a decision.

use super::onnx::Model;
use super::onnx_graph::{Graph, GraphError};
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// Where the model is under the models folder, and its SHA-256 (models/README.md).
pub const PLATE_FILE: &str = "plate-hyperlpr/y5fu_320x_sim.onnx";
pub const PLATE_SHA256: &str = "2a985dc63a5cc947ec36d18503d6fc0fd54525b9dba17f2fe29a71e86b44456d";

const SIZE: u32 = 320;

#[derive(Debug, thiserror::Error)]
pub enum PlateError {
    #[error("no plate model at {0}")]
    Missing(PathBuf),
    #[error("plate model {path} is not the expected file (SHA-256 {actual})")]
    Checksum { path: PathBuf, actual: String },
    #[error("plate model {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("plate detection failed: {0}")]
    Run(#[from] GraphError),
    #[error("plate detection failed: {0}")]
    Tensor(#[from] candle_core::Error),
}

/// A plate found in a picture (pixels of that picture).
#[derive(Debug, Clone, PartialEq)]
pub struct PlateBox {
    pub bbox: [f32; 4],
    /// Corners: top left, top right, bottom right, bottom left.
    pub corners: [[f32; 2]; 4],
    pub score: f32,
    pub two_rows: bool,
}

pub struct PlateDetector {
    graph: Graph,
    device: Device,
}

impl PlateDetector {
    /// Loads `models_dir/plate-hyperlpr/y5fu_320x_sim.onnx`, or the copy built into the
    /// program when there is no such file, after checking its SHA-256.
    pub fn load(models_dir: &Path) -> Result<Self, PlateError> {
        let path = models_dir.join(PLATE_FILE);
        let (bytes, path) = if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|_| PlateError::Missing(path.clone()))?;
            (std::borrow::Cow::Owned(bytes), path)
        } else {
            let built_in = PathBuf::from("(built in)");
            (std::borrow::Cow::Borrowed(super::bundled::PLATE), built_in)
        };
        let actual = super::detector::sha256_hex(&bytes);
        if actual != PLATE_SHA256 {
            return Err(PlateError::Checksum { path, actual });
        }
        let model = Model::parse(&bytes).map_err(|e| PlateError::Read {
            path: path.clone(),
            message: format!("{e:?}"),
        })?;
        let device = Device::Cpu;
        Ok(Self {
            graph: Graph::new(&model, &device),
            device,
        })
    }

    /// The raw output `[6300, 15]` for an input tensor `[1, 3, 320, 320]`.
    pub fn run(&self, input: Tensor) -> Result<Tensor, PlateError> {
        Ok(self.graph.run("input", input, "output")?.squeeze(0)?)
    }

    /// Plates in `picture` scoring at least `min_score`, best first, overlapping ones merged.
    pub fn detect(&self, picture: &RgbImage, min_score: f32) -> Result<Vec<PlateBox>, PlateError> {
        let (w, h) = picture.dimensions();
        let scale = (SIZE as f32 / w.max(1) as f32).min(SIZE as f32 / h.max(1) as f32);
        let (nw, nh) = (
            ((w as f32 * scale).round() as u32).clamp(1, SIZE),
            ((h as f32 * scale).round() as u32).clamp(1, SIZE),
        );
        let resized =
            image::imageops::resize(picture, nw, nh, image::imageops::FilterType::Triangle);
        let (px, py) = ((SIZE - nw) / 2, (SIZE - nh) / 2);
        let mut data = vec![0f32; (3 * SIZE * SIZE) as usize];
        for (x, y, p) in resized.enumerate_pixels() {
            for c in 0..3 {
                let at = (c * SIZE * SIZE + (y + py) * SIZE + (x + px)) as usize;
                data[at] = f32::from(p.0[c as usize]) / 255.0;
            }
        }
        let input = Tensor::from_vec(data, (1, 3, SIZE as usize, SIZE as usize), &self.device)?;
        let rows: Vec<Vec<f32>> = self.run(input)?.to_vec2()?;
        let back = |v: f32, pad: u32| (v - pad as f32) / scale;
        let mut found: Vec<PlateBox> = rows
            .iter()
            .filter_map(|r| {
                let class = r[13].max(r[14]);
                let score = r[4] * class;
                (score >= min_score).then(|| {
                    let (cx, cy, bw, bh) = (r[0], r[1], r[2], r[3]);
                    let corner = |i: usize| [back(r[5 + 2 * i], px), back(r[6 + 2 * i], py)];
                    PlateBox {
                        bbox: [
                            back(cx - bw / 2.0, px),
                            back(cy - bh / 2.0, py),
                            back(cx + bw / 2.0, px),
                            back(cy + bh / 2.0, py),
                        ],
                        corners: [corner(0), corner(1), corner(2), corner(3)],
                        score,
                        two_rows: r[14] > r[13],
                    }
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<PlateBox> = Vec::new();
        for plate in found {
            if kept.iter().all(|k| iou(&k.bbox, &plate.bbox) < 0.4) {
                kept.push(plate);
            }
        }
        Ok(kept)
    }
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    inter / (area(a) + area(b) - inter).max(1e-6)
}
