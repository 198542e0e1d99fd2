//! The text recogniser: PaddleOCR's PP-OCRv4 recognition network (SVTR-LCNet, CTC; Apache-2.0,
//! `resources/models/ppocr-v4/`) run by the ONNX graph executor on one row of a plate. Its
//! 6 625 outputs per step are cut down to the blank and the plate's characters (separators
//! counted as blank), renormalised, for the grammar-held decoder.

use super::ctc::Steps;
use crate::detect::onnx::Model;
use crate::detect::onnx_graph::{Graph, GraphError};
use crate::domain::plate_grammar::PLATE_CHARACTERS;
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// Where the model is under the models folder, and its SHA-256.
pub const RECOGNISER_FILE: &str = "ppocr-v4/ch_PP-OCRv4_rec_infer.onnx";
pub const RECOGNISER_SHA256: &str =
    "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b";

/// The network's input height; the width follows the row's aspect.
const HEIGHT: u32 = 48;
/// Widest input (a row longer than 10:1 is squeezed).
const MAX_WIDTH: u32 = 480;

#[derive(Debug, thiserror::Error)]
pub enum RecogniserError {
    #[error("text recogniser {path} is not the expected file (SHA-256 {actual})")]
    Checksum { path: PathBuf, actual: String },
    #[error("text recogniser {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("text recognition failed: {0}")]
    Run(#[from] GraphError),
    #[error("text recognition failed: {0}")]
    Tensor(#[from] candle_core::Error),
}

pub struct TextRecogniser {
    graph: Graph,
    /// Output column of each of `PLATE_CHARACTERS`.
    columns: Vec<usize>,
    /// Output columns counted as blank: the blank, `-`, `.` and the space.
    blanks: Vec<usize>,
    /// Where the weights came from, for messages.
    pub source: crate::detect::bundled::ModelSource,
}

impl TextRecogniser {
    /// Loads `models_dir/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx`, or the copy built into the
    /// program when there is no such file, after checking its SHA-256.
    pub fn load(models_dir: &Path) -> Result<Self, RecogniserError> {
        use crate::detect::bundled::ModelSource;
        let path = models_dir.join(RECOGNISER_FILE);
        let (bytes, source) = if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| RecogniserError::Read {
                path: path.clone(),
                message: e.to_string(),
            })?;
            (std::borrow::Cow::Owned(bytes), ModelSource::File(path))
        } else {
            (
                std::borrow::Cow::Borrowed(crate::detect::bundled::TEXT_RECOGNISER),
                ModelSource::BuiltIn,
            )
        };
        let shown = PathBuf::from(source.to_string());
        let actual = crate::detect::detector::sha256_hex(&bytes);
        if actual != RECOGNISER_SHA256 {
            return Err(RecogniserError::Checksum {
                path: shown,
                actual,
            });
        }
        let read_error = |message: String| RecogniserError::Read {
            path: shown.clone(),
            message,
        };
        let model = Model::parse(&bytes).map_err(|(reason, at)| {
            read_error(format!("not a valid ONNX file: {reason} (at byte {at})"))
        })?;
        let list: Vec<&str> = model
            .metadata("character")
            .ok_or_else(|| read_error("no character list in its metadata".into()))?
            .split('\n')
            .collect();
        // Output 0 is the blank, 1..=N the list, N+1 the space.
        let column = |c: char| {
            let text = c.to_string();
            list.iter().position(|&e| e == text).map(|i| i + 1)
        };
        let columns = PLATE_CHARACTERS
            .chars()
            .map(|c| column(c).ok_or_else(|| read_error(format!("its character list lacks {c}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut blanks = vec![0, list.len() + 1];
        blanks.extend(['-', '.'].into_iter().filter_map(column));
        Ok(Self {
            graph: Graph::new(&model, &Device::Cpu),
            columns,
            blanks,
            source,
        })
    }

    /// The network's input for a row: 48 pixels high, the width by its aspect (a multiple of
    /// 8, at most 480), BGR scaled to −1…1.
    pub fn input(row: &RgbImage) -> Result<Tensor, candle_core::Error> {
        let (w, h) = row.dimensions();
        let width =
            ((HEIGHT as f32 * w as f32 / h.max(1) as f32).round() as u32).clamp(16, MAX_WIDTH);
        let width = width.div_ceil(8) * 8;
        let resized =
            image::imageops::resize(row, width, HEIGHT, image::imageops::FilterType::Triangle);
        let plane = (HEIGHT * width) as usize;
        let mut data = vec![0f32; 3 * plane];
        for (x, y, p) in resized.enumerate_pixels() {
            let at = (y * width + x) as usize;
            for (c, channel) in [2usize, 1, 0].into_iter().enumerate() {
                data[c * plane + at] = f32::from(p.0[channel]) / 127.5 - 1.0;
            }
        }
        Tensor::from_vec(data, (1, 3, HEIGHT as usize, width as usize), &Device::Cpu)
    }

    /// Per step, the blank's and each plate character's probability.
    pub fn recognise(&self, row: &RgbImage) -> Result<Steps, RecogniserError> {
        let output = self.graph.run("x", Self::input(row)?, "softmax_11.tmp_0")?;
        let rows: Vec<Vec<f32>> = output.squeeze(0)?.to_vec2()?;
        let mut probabilities = Vec::with_capacity(rows.len() * Steps::COLUMNS);
        for step in &rows {
            let blank: f32 = self.blanks.iter().filter_map(|&c| step.get(c)).sum();
            let start = probabilities.len();
            probabilities.push(blank);
            probabilities.extend(
                self.columns
                    .iter()
                    .map(|&c| step.get(c).copied().unwrap_or(0.0)),
            );
            let total: f32 = probabilities[start..].iter().sum();
            for p in &mut probabilities[start..] {
                *p /= total.max(1e-12);
            }
        }
        Ok(Steps {
            columns: Steps::COLUMNS,
            probabilities,
        })
    }
}
