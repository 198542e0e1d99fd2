//! The recogniser's output layer cut down to a plate's characters: the network ends in a
//! linear map from each step's features to 6 625 characters and a softmax over them; a plate
//! holds about forty of those, and the probabilities renormalised over that subset are the
//! softmax of the subset's logits alone, so only those columns of the linear map are computed
//! (exactly the same figures, a thirtieth of the layer's work).

use super::ctc::Steps;
use crate::detect::onnx::Model;

/// The linear map and softmax at the end of the recogniser, for the chosen columns only.
#[derive(Debug, Clone)]
pub struct PlateOutputLayer {
    /// The graph value the layer reads: per step, the features (`[1, steps, channels]`).
    pub features: String,
    channels: usize,
    /// Chosen columns: first the blank's group, then each plate character's.
    width: usize,
    blanks: usize,
    /// `channels × width`, row-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl PlateOutputLayer {
    /// Finds the `Softmax(Add(MatMul(features, W), b))` that gives `output` in `model` and
    /// keeps the columns `blanks` (summed into one blank) and `characters` (in order) of `W`
    /// and `b`. An error names what the graph lacks.
    pub fn find(
        model: &Model,
        output: &str,
        blanks: &[usize],
        characters: &[usize],
    ) -> Result<Self, String> {
        let producer = |name: &str, op: &str| {
            model
                .nodes
                .iter()
                .find(|n| n.op_type == op && n.outputs.first().is_some_and(|o| o == name))
                .ok_or_else(|| format!("no {op} gives {name}"))
        };
        let softmax = producer(output, "Softmax")?;
        let softmax_input = softmax.inputs.first().ok_or("a Softmax without input")?;
        let add = producer(softmax_input, "Add")?;
        let (sum_input, bias_name) = match add.inputs.as_slice() {
            [a, b] if model.initializer(b).is_some() => (a, b),
            [a, b] if model.initializer(a).is_some() => (b, a),
            _ => return Err("the output's Add has no constant bias".into()),
        };
        let matmul = producer(sum_input, "MatMul")?;
        let [features, weights_name] = matmul.inputs.as_slice() else {
            return Err("the output's MatMul does not have two inputs".into());
        };
        let floats = |name: &str| {
            let i = model
                .initializer(name)
                .ok_or_else(|| format!("{name} is not a constant"))?;
            let values = i.to_f32().ok_or_else(|| format!("{name} is not float"))?;
            Ok::<_, String>((i.dims.clone(), values))
        };
        let (dims, all_weights) = floats(weights_name)?;
        let (_, all_bias) = floats(bias_name)?;
        let [channels, classes] = dims.as_slice() else {
            return Err(format!(
                "{weights_name} has shape {dims:?}, not two dimensions"
            ));
        };
        let (channels, classes) = (*channels as usize, *classes as usize);
        if all_bias.len() != classes {
            return Err(format!(
                "{bias_name} has {} values for {classes}",
                all_bias.len()
            ));
        }
        let chosen: Vec<usize> = blanks.iter().chain(characters).copied().collect();
        if let Some(&c) = chosen.iter().find(|&&c| c >= classes) {
            return Err(format!("column {c} of {classes}"));
        }
        let width = chosen.len();
        let mut weights = vec![0f32; channels * width];
        for (row, out) in weights.chunks_exact_mut(width).enumerate() {
            for (slot, &c) in out.iter_mut().zip(&chosen) {
                *slot = all_weights[row * classes + c];
            }
        }
        Ok(Self {
            features: features.clone(),
            channels,
            width,
            blanks: blanks.len(),
            weights,
            bias: chosen.iter().map(|&c| all_bias[c]).collect(),
        })
    }

    /// How many feature values a step has.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Per step (`features` holds `channels` values a step), the blank's probability (its
    /// group's summed) then each character's, over the chosen columns only.
    pub fn steps(&self, features: &[f32]) -> Steps {
        let columns = 1 + self.width - self.blanks;
        let count = features.len() / self.channels.max(1);
        let mut probabilities = Vec::with_capacity(count * columns);
        let mut logits = vec![0f32; self.width];
        for step in features.chunks_exact(self.channels) {
            logits.copy_from_slice(&self.bias);
            for (&x, row) in step.iter().zip(self.weights.chunks_exact(self.width)) {
                for (l, &w) in logits.iter_mut().zip(row) {
                    *l += x * w;
                }
            }
            let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut total = 0f32;
            for l in &mut logits {
                *l = (*l - top).exp();
                total += *l;
            }
            let scale = 1.0 / total;
            probabilities.push(logits[..self.blanks].iter().sum::<f32>() * scale);
            probabilities.extend(logits[self.blanks..].iter().map(|&e| e * scale));
        }
        Steps {
            columns,
            probabilities,
        }
    }
}
