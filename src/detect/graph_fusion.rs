//! Load-time rewriting of an ONNX graph for [`super::onnx_graph`]: the chains of elementwise
//! nodes that follow a convolution or another tensor node (constant scale and shift, clip,
//! ReLU, hard sigmoid, batch normalisation, and the hard-swish and swish patterns exported as
//! several nodes) become one tail applied in one pass per step to the head's output, and the
//! constant scales and shifts right after a convolution are folded into its weights and bias.
//! PP-OCRv4's recogniser is such chains: each convolution is followed by a scale, a shift, a
//! hard swish in five nodes and another scale and shift, each a full pass with an allocation
//! when run node by node. A value used outside its chain (or twice) ends the chain, so every
//! value another node reads is still produced.

use super::onnx::Node;
use candle_core::Tensor;
use std::collections::HashMap;

/// One elementwise step of a tail.
#[derive(Debug, Clone, PartialEq)]
pub enum Elementwise {
    /// `x·scale + shift`.
    Affine { scale: f32, shift: f32 },
    /// `x·scale[c] + shift[c]` along axis 1 (a batch normalisation).
    ChannelAffine { scale: Vec<f32>, shift: Vec<f32> },
    /// `x` held within `lo..=hi`.
    Clip { lo: f32, hi: f32 },
    /// `x · clamp(x·scale + shift, lo, hi)`: hard swish (`x·clip(x+3, 0, 6)`, its division by 6
    /// a following affine step) or `x · HardSigmoid(x)`.
    TimesClipped {
        scale: f32,
        shift: f32,
        lo: f32,
        hi: f32,
    },
    /// `x · σ(β·x)`.
    Swish { beta: f32 },
}

/// The elementwise steps after a head node, and the value the last of them produces.
#[derive(Debug, Clone)]
pub struct Tail {
    pub steps: Vec<Elementwise>,
    pub output: String,
}

/// What fusion made of a graph's nodes.
#[derive(Default)]
pub struct Fusion {
    /// By head node index: the tail run after it.
    pub tails: HashMap<usize, Tail>,
    /// Nodes taken into a tail (not run on their own).
    pub absorbed: Vec<bool>,
    /// By convolution node index, where its tail began with scales or shifts: its weights
    /// and bias (zeros when it had none) with them folded in.
    pub folded: HashMap<usize, (Tensor, Tensor)>,
}

/// Nodes whose output is always a tensor (never the integer shape arithmetic), so a tail
/// may follow them.
const HEADS: &[&str] = &[
    "Conv",
    "MatMul",
    "BatchNormalization",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Sigmoid",
    "Relu",
    "Clip",
    "HardSigmoid",
    "GlobalAveragePool",
    "AveragePool",
];

struct Wiring<'a> {
    nodes: &'a [Node],
    constants: &'a HashMap<String, Tensor>,
    /// By value name: the nodes that read it (once per input naming it).
    readers: HashMap<&'a str, Vec<usize>>,
}

impl Wiring<'_> {
    fn scalar(&self, name: &str) -> Option<f32> {
        let t = self.constants.get(name)?;
        if t.elem_count() != 1 {
            return None;
        }
        t.flatten_all()
            .ok()?
            .to_vec1::<f32>()
            .ok()?
            .first()
            .copied()
    }

    fn vector(&self, name: &str) -> Option<Vec<f32>> {
        self.constants.get(name)?.flatten_all().ok()?.to_vec1().ok()
    }

    /// The only reader of `value`, if exactly one node reads it, once.
    fn only_reader(&self, value: &str) -> Option<usize> {
        match self.readers.get(value).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    /// The other input of a two-input node that reads `value`.
    fn other_input<'n>(&self, node: &'n Node, value: &str) -> Option<(&'n str, bool)> {
        match node.inputs.as_slice() {
            [a, b] if a == value && b != value => Some((b.as_str(), false)),
            [a, b] if b == value && a != value => Some((a.as_str(), true)),
            _ => None,
        }
    }

    /// The steps node `index` applies to `value` when it is elementwise with constants.
    fn steps_of(&self, index: usize, value: &str) -> Option<Vec<Elementwise>> {
        let node = &self.nodes[index];
        if node.outputs.len() != 1 {
            return None;
        }
        let affine = |scale, shift| Some(vec![Elementwise::Affine { scale, shift }]);
        match node.op_type.as_str() {
            "Mul" | "Add" | "Sub" | "Div" => {
                let (other, value_second) = self.other_input(node, value)?;
                let c = self.scalar(other)?;
                match (node.op_type.as_str(), value_second) {
                    ("Mul", _) => affine(c, 0.0),
                    ("Add", _) => affine(1.0, c),
                    ("Sub", false) => affine(1.0, -c),
                    ("Sub", true) => affine(-1.0, c),
                    ("Div", false) if c != 0.0 => affine(1.0 / c, 0.0),
                    _ => None,
                }
            }
            "Clip" if node.inputs.first().is_some_and(|i| i == value) => {
                let bound = |i: usize, attr: &str, default: f32| -> Option<f32> {
                    match node.inputs.get(i).filter(|n| !n.is_empty()) {
                        Some(n) => self.scalar(n),
                        None => Some(node.float(attr).unwrap_or(default)),
                    }
                };
                let (lo, hi) = (
                    bound(1, "min", f32::NEG_INFINITY)?,
                    bound(2, "max", f32::INFINITY)?,
                );
                Some(vec![Elementwise::Clip { lo, hi }])
            }
            "Relu" => Some(vec![Elementwise::Clip {
                lo: 0.0,
                hi: f32::INFINITY,
            }]),
            "HardSigmoid" => Some(vec![
                Elementwise::Affine {
                    scale: node.float("alpha").unwrap_or(0.2),
                    shift: node.float("beta").unwrap_or(0.5),
                },
                Elementwise::Clip { lo: 0.0, hi: 1.0 },
            ]),
            "BatchNormalization" if node.inputs.first().is_some_and(|i| i == value) => {
                let [scale, bias, mean, var] =
                    [1, 2, 3, 4].map(|i| node.inputs.get(i).and_then(|n| self.vector(n)));
                let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
                let n = scale.len();
                if [bias.len(), mean.len(), var.len()] != [n; 3] {
                    return None;
                }
                let epsilon = node.float("epsilon").unwrap_or(1e-5);
                // y = x·a + b, a = scale / √(var + ε), b = bias − mean·a.
                let a: Vec<f32> = (0..n)
                    .map(|c| scale[c] / (var[c] + epsilon).sqrt())
                    .collect();
                let b = (0..n).map(|c| bias[c] - mean[c] * a[c]).collect();
                Some(vec![Elementwise::ChannelAffine { scale: a, shift: b }])
            }
            _ => None,
        }
    }

    /// A gate read by `value`'s two readers `first` and `second`: `value · f(value)` where
    /// `f` is a chain of one or more nodes from one reader ending in the other: hard swish
    /// (`Add → Clip → Mul`), `HardSigmoid → Mul`, swish (`[Mul →] Sigmoid → Mul`). Its step,
    /// the nodes it takes and the value it produces.
    fn gate(&self, value: &str, pair: [usize; 2]) -> Option<(Elementwise, Vec<usize>, String)> {
        'orientation: for [start, end] in [pair, [pair[1], pair[0]]] {
            let closing = &self.nodes[end];
            if closing.op_type != "Mul" || closing.outputs.len() != 1 {
                continue;
            }
            // Walk from `start` through single readers until the closing Mul.
            let mut chain = vec![start];
            let mut at = start;
            loop {
                let next = self.nodes[at]
                    .outputs
                    .first()
                    .and_then(|out| self.only_reader(out));
                match next {
                    Some(next) if next == end => break,
                    Some(next) if chain.len() < 3 => {
                        chain.push(next);
                        at = next;
                    }
                    _ => continue 'orientation,
                }
            }
            let gate_out = self.nodes[at].outputs.first()?;
            if self.other_input(closing, value).map(|(o, _)| o) != Some(gate_out.as_str()) {
                continue;
            }
            let ops: Vec<&str> = chain
                .iter()
                .map(|&i| self.nodes[i].op_type.as_str())
                .collect();
            let step = match ops.as_slice() {
                ["Add", "Clip"] | ["HardSigmoid"] => {
                    let mut steps = self.steps_of(chain[0], value)?;
                    if chain.len() == 2 {
                        steps.extend(
                            self.steps_of(chain[1], self.nodes[chain[0]].outputs.first()?)?,
                        );
                    }
                    match steps.as_slice() {
                        [
                            Elementwise::Affine { scale, shift },
                            Elementwise::Clip { lo, hi },
                        ] => Elementwise::TimesClipped {
                            scale: *scale,
                            shift: *shift,
                            lo: *lo,
                            hi: *hi,
                        },
                        _ => return None,
                    }
                }
                ["Sigmoid"] if self.nodes[start].inputs.first()? == value => {
                    Elementwise::Swish { beta: 1.0 }
                }
                ["Mul", "Sigmoid"] => match self.steps_of(start, value)?.as_slice() {
                    [Elementwise::Affine { scale, shift }] if *shift == 0.0 => {
                        Elementwise::Swish { beta: *scale }
                    }
                    _ => return None,
                },
                _ => return None,
            };
            chain.push(end);
            return Some((step, chain, closing.outputs.first()?.clone()));
        }
        None
    }
}

/// Finds the tails of `nodes` and folds what can be folded into their convolutions.
pub fn fuse(nodes: &[Node], constants: &HashMap<String, Tensor>) -> Fusion {
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, node) in nodes.iter().enumerate() {
        for input in &node.inputs {
            readers.entry(input.as_str()).or_default().push(index);
        }
    }
    let wiring = Wiring {
        nodes,
        constants,
        readers,
    };
    let mut fusion = Fusion {
        absorbed: vec![false; nodes.len()],
        ..Fusion::default()
    };
    for (index, node) in nodes.iter().enumerate() {
        if fusion.absorbed[index] || !HEADS.contains(&node.op_type.as_str()) {
            continue;
        }
        let Some(mut value) = node.outputs.first().cloned() else {
            continue;
        };
        let mut steps = Vec::new();
        loop {
            let readers = wiring
                .readers
                .get(value.as_str())
                .map_or(&[][..], Vec::as_slice);
            let taken = match readers {
                [one] if !fusion.absorbed[*one] => wiring
                    .steps_of(*one, &value)
                    .map(|s| (s, vec![*one], nodes[*one].outputs[0].clone())),
                [a, b] if !fusion.absorbed[*a] && !fusion.absorbed[*b] => wiring
                    .gate(&value, [*a, *b])
                    .map(|(s, taken, out)| (vec![s], taken, out)),
                _ => None,
            };
            let Some((new_steps, taken, out)) = taken else {
                break;
            };
            steps.extend(new_steps);
            for t in taken {
                fusion.absorbed[t] = true;
            }
            value = out;
        }
        if node.op_type == "Conv"
            && let Some(folded) = fold_into_conv(node, constants, &mut steps)
        {
            fusion.folded.insert(index, folded);
        }
        if value != node.outputs[0] || !steps.is_empty() {
            fusion.tails.insert(
                index,
                Tail {
                    steps,
                    output: value,
                },
            );
        }
    }
    fusion
}

/// The convolution's weights and bias with the leading affine steps of `steps` folded in
/// (they are removed from `steps`); `None` when `steps` begins with none or its weights are
/// not constants.
fn fold_into_conv(
    node: &Node,
    constants: &HashMap<String, Tensor>,
    steps: &mut Vec<Elementwise>,
) -> Option<(Tensor, Tensor)> {
    let weights = constants.get(node.inputs.get(1)?)?;
    let dims = weights.dims().to_vec();
    let out_channels = *dims.first()?;
    let leading = steps
        .iter()
        .take_while(|s| match s {
            Elementwise::Affine { .. } => true,
            Elementwise::ChannelAffine { scale, shift } => {
                scale.len() == out_channels && shift.len() == out_channels
            }
            _ => false,
        })
        .count();
    if leading == 0 {
        return None; // the exported weights serve as they are
    }
    let per_output = weights.elem_count() / out_channels.max(1);
    let mut w: Vec<f32> = weights.flatten_all().ok()?.to_vec1().ok()?;
    let mut b: Vec<f32> = match node.inputs.get(2).filter(|n| !n.is_empty()) {
        Some(name) => constants.get(name)?.flatten_all().ok()?.to_vec1().ok()?,
        None => vec![0.0; out_channels],
    };
    if b.len() != out_channels {
        return None;
    }
    for step in steps.drain(..leading) {
        for o in 0..out_channels {
            let (scale, shift) = match &step {
                Elementwise::Affine { scale, shift } => (*scale, *shift),
                Elementwise::ChannelAffine { scale, shift } => (scale[o], shift[o]),
                _ => unreachable!("only affine steps are folded"),
            };
            w[o * per_output..(o + 1) * per_output]
                .iter_mut()
                .for_each(|v| *v *= scale);
            b[o] = b[o] * scale + shift;
        }
    }
    let device = weights.device();
    Some((
        Tensor::from_vec(w, dims, device).ok()?,
        Tensor::from_vec(b, out_channels, device).ok()?,
    ))
}

/// Runs `steps` on `x`: on the CPU over its values where they are (a tensor not laid out in
/// one piece: over a copy), every step on a run of them (a channel's plane, or 4096 values
/// when no step is per channel) while it is in the first-level cache, compiled for the widest
/// vector instructions the processor has; elsewhere with candle's ops.
///
/// `x`'s storage is changed: no other tensor still read may share it (a head's output, made
/// by its node, never does; a test's clone does, so tests pass `x.copy()`).
pub fn apply(steps: &[Elementwise], x: Tensor) -> candle_core::Result<Tensor> {
    if steps.is_empty() {
        return Ok(x);
    }
    if !super::host::native(x.device()) {
        return apply_with_ops(steps, x);
    }
    let dims = x.dims().to_vec();
    let channels = dims.get(1).copied().unwrap_or(0);
    let per_channel = steps
        .iter()
        .any(|s| matches!(s, Elementwise::ChannelAffine { .. }));
    for step in steps {
        if let Elementwise::ChannelAffine { scale, .. } = step
            && scale.len() != channels
        {
            candle_core::bail!(
                "a batch normalisation of {} channels on {dims:?}",
                scale.len()
            );
        }
    }
    let run = if per_channel {
        dims.iter().skip(2).product::<usize>().max(1)
    } else {
        4096
    };
    let runs = Runs {
        steps,
        run,
        channels: if per_channel { channels } else { 0 },
    };
    // A head's output is a tensor of its own (never a view of another value), so its values
    // are changed where they are; a tensor that is not laid out in one piece is copied.
    if x.is_contiguous() && x.dtype() == candle_core::DType::F32 {
        x.inplace_op1(&runs)?;
        return Ok(x);
    }
    let mut values: Vec<f32> = x.flatten_all()?.to_vec1()?;
    runs.apply(&mut values);
    Tensor::from_vec(values, dims, x.device())
}

/// The steps of a tail over a tensor's values in runs (a channel's plane when `channels` is
/// not 0, which gives each run's channel).
struct Runs<'a> {
    steps: &'a [Elementwise],
    run: usize,
    channels: usize,
}

impl Runs<'_> {
    fn apply(&self, values: &mut [f32]) {
        super::fast_math::with_best_simd(
            #[inline(always)]
            |_| {
                for (i, values) in values.chunks_mut(self.run).enumerate() {
                    let channel = if self.channels > 0 {
                        i % self.channels
                    } else {
                        0
                    };
                    for step in self.steps {
                        apply_step(step, values, channel);
                    }
                }
            },
        );
    }
}

impl candle_core::InplaceOp1 for Runs<'_> {
    fn name(&self) -> &'static str {
        "elementwise tail"
    }

    fn cpu_fwd(
        &self,
        storage: &mut candle_core::CpuStorage,
        layout: &candle_core::Layout,
    ) -> candle_core::Result<()> {
        let candle_core::CpuStorage::F32(values) = storage else {
            candle_core::bail!("an elementwise tail on a tensor that is not f32");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("an elementwise tail in place on a tensor not in one piece");
        };
        self.apply(&mut values[start..end]);
        Ok(())
    }
}

/// One step on `values`, all of channel `channel` when the step is per channel.
#[inline(always)]
fn apply_step(step: &Elementwise, values: &mut [f32], channel: usize) {
    match step {
        Elementwise::Affine { scale, shift } => {
            let (a, b) = (*scale, *shift);
            values.iter_mut().for_each(|v| *v = *v * a + b);
        }
        Elementwise::ChannelAffine { scale, shift } => {
            let (a, b) = (scale[channel], shift[channel]);
            values.iter_mut().for_each(|v| *v = *v * a + b);
        }
        Elementwise::Clip { lo, hi } => {
            let (lo, hi) = (*lo, *hi);
            values.iter_mut().for_each(|v| *v = v.max(lo).min(hi));
        }
        Elementwise::TimesClipped {
            scale,
            shift,
            lo,
            hi,
        } => {
            let (a, b, lo, hi) = (*scale, *shift, *lo, *hi);
            values
                .iter_mut()
                .for_each(|v| *v *= (*v * a + b).max(lo).min(hi));
        }
        // SiLU: the detector's AVX-512 kernel where there is one.
        Elementwise::Swish { beta } if *beta == 1.0 => {
            super::fast_math::finish(values, 0.0, super::fast_math::Act::Silu, None)
        }
        Elementwise::Swish { beta } => {
            let beta = *beta;
            values
                .iter_mut()
                .for_each(|v| *v *= super::fast_math::sigmoid(*v * beta));
        }
    }
}

/// The same as [`apply`] with candle's ops (other devices, and the reference in tests).
pub fn apply_with_ops(steps: &[Elementwise], mut x: Tensor) -> candle_core::Result<Tensor> {
    for step in steps {
        x = match step {
            Elementwise::Affine { scale, shift } => {
                x.affine(f64::from(*scale), f64::from(*shift))?
            }
            Elementwise::ChannelAffine { scale, shift } => {
                let mut shape = vec![1usize; x.rank()];
                if shape.len() < 2 {
                    candle_core::bail!("a batch normalisation on {:?}", x.dims());
                }
                shape[1] = scale.len();
                let a = Tensor::from_slice(scale, shape.clone(), x.device())?;
                let b = Tensor::from_slice(shift, shape, x.device())?;
                x.broadcast_mul(&a)?.broadcast_add(&b)?
            }
            Elementwise::Clip { lo, hi } => x.clamp(*lo, *hi)?,
            Elementwise::TimesClipped {
                scale,
                shift,
                lo,
                hi,
            } => {
                let gate = x
                    .affine(f64::from(*scale), f64::from(*shift))?
                    .clamp(*lo, *hi)?;
                x.mul(&gate)?
            }
            Elementwise::Swish { beta } => {
                let gate = candle_nn::ops::sigmoid(&x.affine(f64::from(*beta), 0.0)?)?;
                x.mul(&gate)?
            }
        };
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::onnx::Model;
    use crate::detect::onnx_graph::Graph;
    use candle_core::Device;

    fn every_step() -> Vec<Elementwise> {
        vec![
            Elementwise::Affine {
                scale: 1.7,
                shift: -0.3,
            },
            Elementwise::ChannelAffine {
                scale: vec![0.5, -2.0, 1.5],
                shift: vec![0.1, 0.2, -0.4],
            },
            Elementwise::TimesClipped {
                scale: 1.0,
                shift: 3.0,
                lo: 0.0,
                hi: 6.0,
            },
            Elementwise::Clip { lo: -1.0, hi: 4.0 },
            Elementwise::Swish { beta: 1.3 },
            // SiLU, on the detector's kernel.
            Elementwise::Swish { beta: 1.0 },
        ]
    }

    #[test]
    fn each_step_in_place_equals_candles_ops() {
        let x = Tensor::randn(0f32, 2., (2, 3, 5, 7), &Device::Cpu).unwrap();
        for step in every_step() {
            let steps = [step];
            let ours = apply(&steps, x.copy().unwrap()).unwrap();
            let reference = apply_with_ops(&steps, x.clone()).unwrap();
            let diff = crate::detect::max_abs_diff(&ours, &reference);
            assert!(diff < 1e-5, "{:?}: {diff}", steps[0]);
        }
        let all = every_step();
        let diff = crate::detect::max_abs_diff(
            &apply(&all, x.copy().unwrap()).unwrap(),
            &apply_with_ops(&all, x).unwrap(),
        );
        assert!(diff < 1e-4, "all steps: {diff}");
    }

    #[test]
    fn a_tensor_in_one_piece_is_changed_in_place_a_view_across_it_through_a_copy() {
        let x = Tensor::randn(0f32, 2., (1, 3, 4, 6), &Device::Cpu).unwrap();
        let before: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let steps = [Elementwise::Affine {
            scale: 2.0,
            shift: 1.0,
        }];
        // A transposed view is not in one piece: its source keeps its values.
        let view = x.transpose(2, 3).unwrap();
        let ours = apply(&steps, view.clone()).unwrap();
        let diff = crate::detect::max_abs_diff(&ours, &apply_with_ops(&steps, view).unwrap());
        assert!(diff < 1e-6, "{diff}");
        let after: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(before, after);
        // A tensor in one piece is changed where it is: the result shares its storage.
        let shared = x.clone();
        let ours = apply(&steps, x).unwrap();
        let expected: Vec<f32> = before.iter().map(|v| v * 2.0 + 1.0).collect();
        let changed: Vec<f32> = shared.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(changed, expected);
        assert_eq!(
            ours.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            expected
        );
    }

    #[test]
    fn a_channel_step_refuses_a_tensor_of_other_channels() {
        let x = Tensor::zeros((1, 4, 2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
        let step = Elementwise::ChannelAffine {
            scale: vec![1.0; 3],
            shift: vec![0.0; 3],
        };
        assert!(apply(&[step], x).is_err());
    }

    /// The recogniser fused (scales folded into its convolutions, hard swish and swish
    /// tails) answers what it answers node by node, and fusion took most of its nodes.
    #[test]
    fn the_fused_recogniser_answers_as_the_exported_graph() {
        let model = Model::parse(crate::detect::bundled::TEXT_RECOGNISER).unwrap();
        let (constants, _) = crate::detect::onnx_graph::constants_of(&model, &Device::Cpu);
        let fusion = fuse(&model.nodes, &constants);
        let absorbed = fusion.absorbed.iter().filter(|a| **a).count();
        let hard_swishes = fusion
            .tails
            .values()
            .flat_map(|t| &t.steps)
            .filter(|s| matches!(s, Elementwise::TimesClipped { .. }))
            .count();
        assert!(
            absorbed >= 200,
            "{absorbed} of {} nodes absorbed",
            model.nodes.len()
        );
        assert!(hard_swishes >= 25, "{hard_swishes} hard swishes");
        // No scale or shift is left right after a convolution: all folded.
        for (index, tail) in &fusion.tails {
            if model.nodes[*index].op_type == "Conv" {
                assert!(
                    !matches!(tail.steps.first(), Some(Elementwise::Affine { .. })),
                    "node {index}: {:?}",
                    tail.steps
                );
            }
        }
        let input = Tensor::randn(0f32, 0.5, (1, 3, 48, 160), &Device::Cpu).unwrap();
        let run = |graph: Graph| graph.run("x", input.clone(), "softmax_11.tmp_0").unwrap();
        let fused = run(Graph::new(&model, &Device::Cpu));
        let exported = run(Graph::unfused(&model, &Device::Cpu));
        assert_eq!(fused.dims(), exported.dims());
        let diff = crate::detect::max_abs_diff(&fused, &exported);
        assert!(diff < 1e-4, "{diff}");
    }
}
