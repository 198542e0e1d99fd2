//! The text recogniser: PaddleOCR's PP-OCRv4 recognition network (SVTR-LCNet, CTC; Apache-2.0,
//! `resources/models/ppocr-v4/`) run by the ONNX graph executor on one row of a plate up to
//! its last layer, whose 6 625 outputs per step are computed only for the blank and the
//! plate's characters (separators counted as blank; `output_layer`), for the grammar-held
//! decoder.

use super::ctc::Steps;
use super::output_layer::PlateOutputLayer;
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

/// The network's output: per step, the softmax over its 6 625 characters.
const OUTPUT: &str = "softmax_11.tmp_0";

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
    /// The last layer, for the blank (with `-`, `.` and the space) and `PLATE_CHARACTERS`.
    output: PlateOutputLayer,
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
        let output = PlateOutputLayer::find(&model, OUTPUT, &blanks, &columns)
            .map_err(|e| read_error(format!("its output layer: {e}")))?;
        Ok(Self {
            graph: Graph::new(&model, &Device::Cpu),
            output,
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
        let features = self
            .graph
            .run("x", Self::input(row)?, &self.output.features)?;
        let values: Vec<f32> = features.flatten_all()?.to_vec1()?;
        if !values.len().is_multiple_of(self.output.channels()) {
            return Err(RecogniserError::Run(GraphError::Missing(format!(
                "{} features for steps of {}",
                values.len(),
                self.output.channels()
            ))));
        }
        Ok(self.output.steps(&values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: the whole network's softmax over 6 625 characters, cut to the blank's
    /// group and the plate's characters, renormalised.
    fn by_definition(recogniser: &TextRecogniser, row: &RgbImage) -> Vec<f32> {
        let model = Model::parse(crate::detect::bundled::TEXT_RECOGNISER).expect("the model");
        let list: Vec<&str> = model
            .metadata("character")
            .expect("characters")
            .split('\n')
            .collect();
        let column = |c: char| list.iter().position(|&e| e == c.to_string()).map(|i| i + 1);
        let mut blanks = vec![0, list.len() + 1];
        blanks.extend(['-', '.'].into_iter().filter_map(column));
        let columns: Vec<usize> = PLATE_CHARACTERS.chars().filter_map(column).collect();
        let input = TextRecogniser::input(row).expect("input");
        let output = recogniser.graph.run("x", input, OUTPUT).expect("run");
        let steps: Vec<Vec<f32>> = output.squeeze(0).and_then(|t| t.to_vec2()).expect("2-D");
        let mut out = Vec::new();
        for step in &steps {
            let mut chosen = vec![blanks.iter().map(|&c| step[c]).sum::<f32>()];
            chosen.extend(columns.iter().map(|&c| step[c]));
            let total: f32 = chosen.iter().sum();
            out.extend(chosen.iter().map(|p| p / total));
        }
        out
    }

    #[test]
    fn the_cut_output_layer_gives_the_whole_softmax_renormalised() {
        use crate::domain::PlateColour;
        use crate::plates::synth::{Difficulty, Rng, SynthLayout, generate};
        let recogniser = TextRecogniser::load(Path::new("/nonexistent")).expect("built-in");
        let mut rng = Rng::new(5);
        for layout in [SynthLayout::OneRowCar, SynthLayout::Motorbike] {
            let plate = generate(
                &mut rng,
                layout,
                PlateColour::Yellow,
                &Difficulty::clean(40.0),
            );
            let steps = recogniser.recognise(&plate.picture).expect("recognise");
            let expected = by_definition(&recogniser, &plate.picture);
            assert_eq!(steps.columns, Steps::COLUMNS);
            assert_eq!(steps.probabilities.len(), expected.len());
            assert!(steps.len() >= 5, "{} steps", steps.len());
            for (a, b) in steps.probabilities.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-5, "{a} against {b}");
            }
            // The probabilities are not all alike: some step is sure of a character.
            assert!(steps.probabilities.iter().any(|&p| p > 0.9));
        }
    }
}
