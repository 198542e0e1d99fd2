//! A small ONNX graph executor on candle (CPU) for networks the console runs as they are
//! exported, without a hand-built module per layer: the operators of the licence-plate
//! detector (Conv, Sigmoid, Mul, Add, Sub, Pow, Concat, Slice, Reshape, Transpose, nearest
//! Resize, MaxPool) and of the PP-OCRv4 text recogniser (BatchNormalization, Clip,
//! HardSigmoid, Relu, GlobalAveragePool, AveragePool, MatMul, Softmax, ReduceMean, Sqrt, Div,
//! Squeeze, and the shape arithmetic of Shape and Cast), run node by node in graph order.
//! Shapes computed in the graph are integer values beside the tensors. An operator or
//! attribute it does not know is an error naming the node, never a silent wrong answer.

use super::graph_fusion::{self, Fusion};
use super::onnx::{Initializer, Model, Node};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("node {index} ({op}): {message}")]
    Node {
        index: usize,
        op: String,
        message: String,
    },
    #[error("the graph never produces {0}")]
    Missing(String),
}

/// A loaded graph: its nodes and its constants as tensors.
pub struct Graph {
    nodes: Vec<Node>,
    constants: HashMap<String, Tensor>,
    /// Integer constants (shapes, slice bounds), by name.
    integers: HashMap<String, Vec<i64>>,
    /// Elementwise tails and folded convolutions ([`graph_fusion`]).
    fusion: Fusion,
    device: Device,
}

fn tensor_of(init: &Initializer, device: &Device) -> Option<Tensor> {
    let dims: Vec<usize> = init.dims.iter().map(|&d| d.max(0) as usize).collect();
    let values = init.to_f32()?;
    Tensor::from_vec(values, dims, device).ok()
}

/// The initializers of `model`: float tensors on `device`, and integer lists (shapes, slice
/// bounds), by name.
pub(super) fn constants_of(
    model: &Model,
    device: &Device,
) -> (HashMap<String, Tensor>, HashMap<String, Vec<i64>>) {
    let mut constants = HashMap::new();
    let mut integers = HashMap::new();
    for init in &model.initializers {
        if let Some(values) = init.to_i64() {
            integers.insert(init.name.clone(), values);
        } else if let Some(t) = tensor_of(init, device) {
            constants.insert(init.name.clone(), t);
        }
    }
    (constants, integers)
}

impl Graph {
    /// The graph of `model` with its elementwise chains fused ([`graph_fusion`]).
    pub fn new(model: &Model, device: &Device) -> Self {
        let mut graph = Self::unfused(model, device);
        graph.fusion = graph_fusion::fuse(&graph.nodes, &graph.constants);
        graph
    }

    /// The graph run node by node as exported: the reference the fused graph is tested and
    /// measured against.
    pub fn unfused(model: &Model, device: &Device) -> Self {
        let (constants, integers) = constants_of(model, device);
        Self {
            fusion: Fusion {
                absorbed: vec![false; model.nodes.len()],
                ..Fusion::default()
            },
            nodes: model.nodes.clone(),
            constants,
            integers,
            device: device.clone(),
        }
    }

    /// A node of shape arithmetic (Shape, and Cast, Slice, Concat, Squeeze or Unsqueeze of
    /// integer values): its integer result, or `None` for a node on tensors.
    fn integer_node(
        &self,
        node: &Node,
        int_values: &HashMap<&str, Vec<i64>>,
        values: &HashMap<&str, Tensor>,
    ) -> Option<Result<Vec<i64>, String>> {
        let first = node.inputs.first()?;
        let is_int = |name: &str| int_values.contains_key(name) || self.integers.contains_key(name);
        let ints = |name: &str| -> Result<&Vec<i64>, String> {
            int_values
                .get(name)
                .or_else(|| self.integers.get(name))
                .ok_or_else(|| format!("{name} is not an integer value"))
        };
        let tensor = |name: &str| values.get(name).or_else(|| self.constants.get(name));
        match node.op_type.as_str() {
            "Shape" => Some(match tensor(first) {
                Some(t) => Ok(t.dims().iter().map(|&d| d as i64).collect()),
                None => ints(first).map(|v| vec![v.len() as i64]),
            }),
            "Cast" => {
                let to = node.int("to").unwrap_or(1);
                let integer_type = matches!(to, 2..=7 | 12 | 13);
                match (is_int(first), integer_type) {
                    (true, true) => Some(ints(first).cloned()),
                    (false, true) => Some(
                        tensor(first)
                            .ok_or_else(|| format!("input {first} is not known"))
                            .and_then(|t| {
                                t.flatten_all()
                                    .and_then(|t| t.to_vec1::<f32>())
                                    .map_err(|e| e.to_string())
                            })
                            .map(|v| v.into_iter().map(|x| x as i64).collect()),
                    ),
                    _ => None,
                }
            }
            "Slice" if is_int(first) => Some((|| {
                let data = ints(first)?;
                let input = |i: usize| node.inputs.get(i).filter(|n| !n.is_empty());
                let (Some(starts), Some(ends)) = (input(1), input(2)) else {
                    return Err("needs starts and ends".to_owned());
                };
                let (start, end) = (ints(starts)?, ints(ends)?);
                if input(3)
                    .map(|a| ints(a))
                    .transpose()?
                    .is_some_and(|a| a.iter().any(|&a| a != 0 && a != -1))
                    || input(4)
                        .map(|s| ints(s))
                        .transpose()?
                        .is_some_and(|s| s.iter().any(|&s| s != 1))
                {
                    return Err("an integer list is sliced on its only axis, by steps of 1".into());
                }
                let size = data.len() as i64;
                let clamp = |v: i64| {
                    if v < 0 {
                        (v + size).max(0)
                    } else {
                        v.min(size)
                    }
                };
                let (s, e) = (
                    clamp(*start.first().unwrap_or(&0)),
                    clamp(*end.first().unwrap_or(&size)),
                );
                Ok(data[s as usize..e.max(s) as usize].to_vec())
            })()),
            "Concat" if node.inputs.iter().all(|n| is_int(n)) => Some(
                node.inputs
                    .iter()
                    .map(|n| ints(n).cloned())
                    .collect::<Result<Vec<_>, _>>()
                    .map(|parts| parts.concat()),
            ),
            "Squeeze" | "Unsqueeze" if is_int(first) => Some(ints(first).cloned()),
            _ => None,
        }
    }

    /// Runs the graph on `input` (named `input_name`) up to `output_name` and returns it.
    pub fn run(
        &self,
        input_name: &str,
        input: Tensor,
        output_name: &str,
    ) -> Result<Tensor, GraphError> {
        let mut values: HashMap<&str, Tensor> = HashMap::new();
        // Integer values computed in the graph (shapes and what is made of them).
        let mut int_values: HashMap<&str, Vec<i64>> = HashMap::new();
        values.insert(input_name, input);
        for (index, node) in self.nodes.iter().enumerate() {
            if self.fusion.absorbed[index] {
                continue;
            }
            let fail = |message: String| GraphError::Node {
                index,
                op: node.op_type.clone(),
                message,
            };
            // Integer arithmetic on shapes first: these nodes give integer values.
            if let Some(result) = self.integer_node(node, &int_values, &values) {
                let result = result.map_err(fail)?;
                if let Some(name) = node.outputs.first() {
                    int_values.insert(name.as_str(), result);
                }
                continue;
            }
            let ints = |name: &str| -> Result<&Vec<i64>, GraphError> {
                int_values
                    .get(name)
                    .or_else(|| self.integers.get(name))
                    .ok_or_else(|| fail(format!("{name} is not an integer value")))
            };
            let get = |name: &str| -> Result<Tensor, GraphError> {
                if let Some(t) = values.get(name).or_else(|| self.constants.get(name)) {
                    return Ok(t.clone());
                }
                // An integer value where a tensor is wanted: as f32, one dimension.
                let v = ints(name)?;
                let floats: Vec<f32> = v.iter().map(|&i| i as f32).collect();
                Tensor::from_vec(floats, v.len(), &self.device).map_err(|e| fail(e.to_string()))
            };
            let c = |r: candle_core::Result<Tensor>| r.map_err(|e| fail(e.to_string()));
            let out = match node.op_type.as_str() {
                "Conv" => {
                    let x = get(&node.inputs[0])?;
                    let (w, bias) = match self.fusion.folded.get(&index) {
                        Some((w, b)) => (w.clone(), Some(b.clone())),
                        None => (
                            get(&node.inputs[1])?,
                            node.inputs
                                .get(2)
                                .filter(|b| !b.is_empty())
                                .map(|b| get(b))
                                .transpose()?,
                        ),
                    };
                    c(conv(&x, &w, bias.as_ref(), node).map_err(candle_core::Error::msg))?
                }
                "Sigmoid" => c(candle_nn::ops::sigmoid(&get(&node.inputs[0])?))?,
                "Mul" | "Add" | "Sub" => {
                    let (a, b) = (get(&node.inputs[0])?, get(&node.inputs[1])?);
                    match node.op_type.as_str() {
                        "Mul" => c(a.broadcast_mul(&b))?,
                        "Add" => c(a.broadcast_add(&b))?,
                        _ => c(a.broadcast_sub(&b))?,
                    }
                }
                "Pow" => {
                    let a = get(&node.inputs[0])?;
                    let b = get(&node.inputs[1])?;
                    if b.elem_count() != 1 {
                        return Err(fail("only a constant exponent is supported".into()));
                    }
                    let e = b
                        .flatten_all()
                        .and_then(|t| t.to_vec1::<f32>())
                        .map_err(|e| fail(e.to_string()))?[0];
                    if e == 2.0 {
                        c(a.sqr())?
                    } else {
                        c(a.powf(f64::from(e)))?
                    }
                }
                "Concat" => {
                    let parts: Vec<Tensor> = node
                        .inputs
                        .iter()
                        .map(|n| get(n))
                        .collect::<Result<_, _>>()?;
                    let rank = parts[0].rank() as i64;
                    let axis = node.int("axis").unwrap_or(0);
                    let axis = if axis < 0 { axis + rank } else { axis } as usize;
                    c(Tensor::cat(&parts, axis))?
                }
                "Slice" => {
                    let x = get(&node.inputs[0])?;
                    let starts = ints(&node.inputs[1])?;
                    let ends = ints(&node.inputs[2])?;
                    let axes = match node.inputs.get(3) {
                        Some(n) => ints(n)?.clone(),
                        None => (0..starts.len() as i64).collect(),
                    };
                    if let Some(steps) = node.inputs.get(4)
                        && ints(steps)?.iter().any(|s| *s != 1)
                    {
                        return Err(fail("only steps of 1 are supported".into()));
                    }
                    let mut y = x;
                    for ((start, end), axis) in starts.iter().zip(ends).zip(&axes) {
                        let rank = y.rank() as i64;
                        let axis = if *axis < 0 { axis + rank } else { *axis } as usize;
                        let size = y.dim(axis).map_err(|e| fail(e.to_string()))? as i64;
                        let clamp = |v: i64| {
                            if v < 0 {
                                (v + size).max(0)
                            } else {
                                v.min(size)
                            }
                        };
                        let (s, e) = (clamp(*start), clamp(*end));
                        y = c(y.narrow(axis, s as usize, (e - s).max(0) as usize))?;
                    }
                    y
                }
                "Reshape" => {
                    let x = get(&node.inputs[0])?;
                    let spec = ints(&node.inputs[1])?;
                    let total = x.elem_count();
                    let mut dims: Vec<usize> = spec
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| match d {
                            0 => x.dim(i).unwrap_or(1),
                            d if d > 0 => d as usize,
                            _ => 0,
                        })
                        .collect();
                    if let Some(free) = spec.iter().position(|&d| d == -1) {
                        let known: usize = dims
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != free)
                            .map(|(_, d)| *d)
                            .product();
                        dims[free] = total / known.max(1);
                    }
                    c(x.contiguous().and_then(|t| t.reshape(dims)))?
                }
                "Transpose" => {
                    let x = get(&node.inputs[0])?;
                    let perm: Vec<usize> = node
                        .ints("perm")
                        .map(|p| p.iter().map(|&v| v as usize).collect())
                        .unwrap_or_else(|| (0..x.rank()).rev().collect());
                    c(x.permute(perm).and_then(|t| t.contiguous()))?
                }
                "Resize" => {
                    // Nearest, asymmetric, floor: an integer scale repeats each pixel.
                    let x = get(&node.inputs[0])?;
                    let scales = node
                        .inputs
                        .get(2)
                        .and_then(|n| self.constants.get(n))
                        .ok_or_else(|| fail("needs constant scales".into()))?;
                    let s: Vec<f32> = scales.to_vec1::<f32>().map_err(|e| fail(e.to_string()))?;
                    let (_, _, h, w) = x.dims4().map_err(|e| fail(e.to_string()))?;
                    c(x.upsample_nearest2d(h * s[2] as usize, w * s[3] as usize))?
                }
                "MaxPool" => {
                    let x = get(&node.inputs[0])?;
                    let k = node.ints("kernel_shape").unwrap_or(&[2, 2]);
                    let s = node.ints("strides").unwrap_or(&[2, 2]);
                    if node.ints("pads").is_some_and(|p| p.iter().any(|v| *v != 0)) {
                        return Err(fail("padded pooling is not supported".into()));
                    }
                    c(x.max_pool2d_with_stride(
                        (k[0] as usize, k[1] as usize),
                        (s[0] as usize, s[1] as usize),
                    ))?
                }
                "Relu" => c(get(&node.inputs[0])?.relu())?,
                "Sqrt" => c(get(&node.inputs[0])?.sqrt())?,
                "Div" => c(get(&node.inputs[0])?.broadcast_div(&get(&node.inputs[1])?))?,
                "Clip" => {
                    let x = get(&node.inputs[0])?;
                    let bound = |i: usize, attr: &str, default: f32| -> Result<f32, GraphError> {
                        match node.inputs.get(i).filter(|n| !n.is_empty()) {
                            Some(n) => scalar(&get(n)?).map_err(fail),
                            None => Ok(node.float(attr).unwrap_or(default)),
                        }
                    };
                    let (lo, hi) = (bound(1, "min", f32::MIN)?, bound(2, "max", f32::MAX)?);
                    c(x.clamp(lo, hi))?
                }
                "HardSigmoid" => {
                    let x = get(&node.inputs[0])?;
                    let alpha = f64::from(node.float("alpha").unwrap_or(0.2));
                    let beta = f64::from(node.float("beta").unwrap_or(0.5));
                    c(x.affine(alpha, beta).and_then(|t| t.clamp(0f32, 1f32)))?
                }
                "BatchNormalization" => {
                    let x = get(&node.inputs[0])?;
                    let [scale, bias, mean, var] =
                        [1, 2, 3, 4].map(|i| node.inputs.get(i).map(|n| get(n)));
                    let (Some(scale), Some(bias), Some(mean), Some(var)) = (scale, bias, mean, var)
                    else {
                        return Err(fail("needs scale, bias, mean and variance".into()));
                    };
                    let epsilon = f64::from(node.float("epsilon").unwrap_or(1e-5));
                    let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
                    // y = x·a + b, a = scale / √(var + ε), b = bias − mean·a (per channel).
                    let a = c(var
                        .affine(1.0, epsilon)
                        .and_then(|v| v.sqrt())
                        .and_then(|v| scale.div(&v)))?;
                    let b = c(bias.sub(&c(mean.mul(&a))?))?;
                    let mut shape = vec![1usize; x.rank()];
                    shape[1] = a.elem_count();
                    let (a, b) = (c(a.reshape(shape.clone()))?, c(b.reshape(shape))?);
                    c(x.broadcast_mul(&a).and_then(|t| t.broadcast_add(&b)))?
                }
                "GlobalAveragePool" => {
                    let x = get(&node.inputs[0])?;
                    c(x.mean_keepdim(3).and_then(|t| t.mean_keepdim(2)))?
                }
                "AveragePool" => {
                    let x = get(&node.inputs[0])?;
                    let k = node.ints("kernel_shape").unwrap_or(&[2, 2]);
                    let s = node.ints("strides").unwrap_or(k);
                    if node.ints("pads").is_some_and(|p| p.iter().any(|v| *v != 0))
                        || node
                            .ints("ceil_mode")
                            .is_some_and(|m| m.first() == Some(&1))
                    {
                        return Err(fail("padded or ceil-mode pooling is not supported".into()));
                    }
                    c(x.avg_pool2d_with_stride(
                        (k[0] as usize, k[1] as usize),
                        (s[0] as usize, s[1] as usize),
                    ))?
                }
                "MatMul" => {
                    let (a, b) = (get(&node.inputs[0])?, get(&node.inputs[1])?);
                    c(super::matmul::matmul(&a, &b))?
                }
                "Softmax" => {
                    let x = get(&node.inputs[0])?;
                    let axis = node.int("axis").unwrap_or(-1);
                    let axis = axis_of(axis, x.rank()).map_err(fail)?;
                    if axis + 1 == x.rank() {
                        c(candle_nn::ops::softmax_last_dim(
                            &x.contiguous().map_err(|e| fail(e.to_string()))?,
                        ))?
                    } else {
                        c(candle_nn::ops::softmax(&x, axis))?
                    }
                }
                "ReduceMean" => {
                    let x = get(&node.inputs[0])?;
                    let keep = node.int("keepdims") != Some(0);
                    let mut axes: Vec<usize> = match node.ints("axes") {
                        Some(a) => a
                            .iter()
                            .map(|&a| axis_of(a, x.rank()))
                            .collect::<Result<_, _>>()
                            .map_err(fail)?,
                        None => (0..x.rank()).collect(),
                    };
                    axes.sort_unstable();
                    let mut y = x;
                    for &axis in axes.iter().rev() {
                        y = c(if keep {
                            y.mean_keepdim(axis)
                        } else {
                            y.mean(axis)
                        })?;
                    }
                    y
                }
                "Squeeze" | "Unsqueeze" => {
                    let x = get(&node.inputs[0])?;
                    let axes: Vec<i64> = match node.ints("axes") {
                        Some(a) => a.to_vec(),
                        None => match node.inputs.get(1) {
                            Some(n) => ints(n)?.clone(),
                            None if node.op_type == "Squeeze" => (0..x.rank() as i64)
                                .filter(|&a| x.dim(a as usize).is_ok_and(|d| d == 1))
                                .collect(),
                            None => return Err(fail("needs axes".into())),
                        },
                    };
                    let rank = if node.op_type == "Squeeze" {
                        x.rank()
                    } else {
                        x.rank() + axes.len()
                    };
                    let mut axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| axis_of(a, rank))
                        .collect::<Result<_, _>>()
                        .map_err(fail)?;
                    axes.sort_unstable();
                    let mut y = x;
                    if node.op_type == "Squeeze" {
                        for &axis in axes.iter().rev() {
                            y = c(y.squeeze(axis))?;
                        }
                    } else {
                        for &axis in &axes {
                            y = c(y.unsqueeze(axis))?;
                        }
                    }
                    y
                }
                "Cast" => {
                    // Integer inputs were dealt with above; a float stays f32.
                    let to = node.int("to").unwrap_or(1);
                    if to != 1 {
                        return Err(fail(format!("a float tensor cast to type {to}")));
                    }
                    get(&node.inputs[0])?
                }
                other => return Err(fail(format!("operator {other} is not supported"))),
            };
            match self.fusion.tails.get(&index) {
                Some(tail) => {
                    let out = c(graph_fusion::apply(&tail.steps, out))?;
                    values.insert(tail.output.as_str(), out);
                }
                None => {
                    if let Some(name) = node.outputs.first() {
                        values.insert(name.as_str(), out);
                    }
                }
            }
            // A value inside the graph asked for: what follows it is not run.
            if values.contains_key(output_name) {
                break;
            }
        }
        values
            .remove(output_name)
            .ok_or_else(|| GraphError::Missing(output_name.to_owned()))
            .and_then(|t| {
                t.to_dtype(DType::F32)
                    .map_err(|e| GraphError::Missing(e.to_string()))
            })
    }
}

/// The one value of a tensor of one element.
fn scalar(t: &Tensor) -> Result<f32, String> {
    let v = t
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(|e| e.to_string())?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(format!("{} values where one was expected", v.len())),
    }
}

/// A possibly negative ONNX axis as an index below `rank`.
fn axis_of(axis: i64, rank: usize) -> Result<usize, String> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    usize::try_from(a)
        .ok()
        .filter(|&a| a < rank)
        .ok_or_else(|| format!("axis {axis} of a tensor of rank {rank}"))
}

/// ONNX Conv: padding per side, strides per axis. Depthwise convolutions (one input channel per
/// group, as many groups as channels) run on [`super::depthwise_any`]; other groups on candle,
/// whose convolution takes one stride and one padding (a padding per side is applied first).
fn conv(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, node: &Node) -> Result<Tensor, String> {
    let e = |e: candle_core::Error| e.to_string();
    let pads = node.ints("pads").unwrap_or(&[0, 0, 0, 0]);
    let strides = node.ints("strides").unwrap_or(&[1, 1]);
    let dilations = node.ints("dilations").unwrap_or(&[1, 1]);
    let group = node.int("group").unwrap_or(1) as usize;
    let [top, left, bottom, right] = match pads {
        [t, l, b, r] => [*t, *l, *b, *r].map(|p| p.max(0) as usize),
        _ => return Err(format!("pads {pads:?}")),
    };
    let (sh, sw) = match strides {
        [h, w] => (*h as usize, *w as usize),
        _ => return Err(format!("strides {strides:?}")),
    };
    if dilations.iter().any(|d| *d != 1) {
        return Err("dilated convolutions are not supported".into());
    }
    let (_, channels, _, _) = x.dims4().map_err(e)?;
    let (_, per_group, kh, kw) = w.dims4().map_err(e)?;
    let depthwise = group == channels && per_group == 1 && group > 1;
    if let Some(b) = bias
        && depthwise
        && (kh, kw) == (3, 3)
        && [top, left, bottom, right] == [1; 4]
        && sh == sw
        && (sh == 1 || sh == 2)
    {
        // The detector's tuned 3×3 kernel, bias added as it finishes.
        return super::depthwise::depthwise3x3(x, w, b, sh, super::fast_math::Act::Linear)
            .map_err(e);
    }
    if group == 1 {
        let out = w.dim(0).map_err(e)?;
        let zeros;
        let b = match bias {
            Some(b) => b,
            None => {
                zeros = Tensor::zeros(out, w.dtype(), w.device()).map_err(e)?;
                &zeros
            }
        };
        if (kh, kw, sh, sw) == (1, 1, 1, 1) && [top, left, bottom, right] == [0; 4] {
            // A 1×1 convolution is the detector's matrix product, bias added as it finishes
            // (on candle it was an im2col copy and the `gemm` crate, at a third of the rate).
            let w = w.reshape((out, channels)).map_err(e)?;
            return super::pointwise::pointwise(&[x], &w, b, super::fast_math::Act::Linear, None)
                .map_err(e);
        }
        // Any other convolution of one group: unfolded, then the same matrix product.
        return super::unfold::convolution(x, w, b, (sh, sw), [top, left, bottom, right])
            .map_err(e);
    }
    let y = if depthwise {
        super::depthwise_any::depthwise(x, w, (sh, sw), [top, left, bottom, right]).map_err(e)?
    } else {
        if sh != sw {
            return Err(format!(
                "strides {sh}×{sw} on a convolution of {group} groups"
            ));
        }
        let symmetric = top == bottom && left == right && top == left;
        let (x, pad) = if symmetric {
            (x.clone(), top)
        } else {
            (
                x.pad_with_zeros(2, top, bottom)
                    .and_then(|t| t.pad_with_zeros(3, left, right))
                    .map_err(e)?,
                0,
            )
        };
        x.conv2d(w, pad, sh, 1, group).map_err(e)?
    };
    match bias {
        Some(b) => {
            let n = b.elem_count();
            y.broadcast_add(&b.reshape((1, n, 1, 1)).map_err(e)?)
                .map_err(e)
        }
        None => Ok(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv_node(pads: [i64; 4], strides: [i64; 2], group: i64) -> Node {
        Node {
            op_type: "Conv".into(),
            inputs: vec!["x".into(), "w".into()],
            outputs: vec!["y".into()],
            int_attributes: vec![
                ("pads".into(), pads.to_vec()),
                ("strides".into(), strides.to_vec()),
                ("group".into(), vec![group]),
            ],
            float_attributes: Vec::new(),
            tensor_attributes: Vec::new(),
        }
    }

    #[test]
    fn a_one_by_one_convolution_on_the_matrix_product_equals_candles() {
        let device = Device::Cpu;
        let x = Tensor::randn(0f32, 1., (2, 12, 5, 9), &device).unwrap();
        let w = Tensor::randn(0f32, 1., (20, 12, 1, 1), &device).unwrap();
        let b = Tensor::randn(0f32, 1., 20, &device).unwrap();
        let node = conv_node([0; 4], [1, 1], 1);
        let want = x.conv2d(&w, 0, 1, 1, 1).unwrap();
        let ours = conv(&x, &w, None, &node).unwrap();
        assert!(crate::detect::max_abs_diff(&ours, &want) < 1e-4);
        let with_bias = conv(&x, &w, Some(&b), &node).unwrap();
        let want = want
            .broadcast_add(&b.reshape((1, 20, 1, 1)).unwrap())
            .unwrap();
        assert!(crate::detect::max_abs_diff(&with_bias, &want) < 1e-4);
        // A 1×1 convolution with a stride still runs on candle, and agrees.
        let strided = conv(&x, &w, None, &conv_node([0; 4], [2, 2], 1)).unwrap();
        let want = x.conv2d(&w, 0, 2, 1, 1).unwrap();
        assert!(crate::detect::max_abs_diff(&strided, &want) < 1e-4);
    }
}
