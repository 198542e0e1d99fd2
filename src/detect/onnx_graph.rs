//! A small ONNX graph executor on candle (CPU) for networks the console runs as they are
//! exported, without a hand-built module per layer: the operators of the licence-plate
//! detector (Conv, Sigmoid, Mul, Add, Sub, Pow, Concat, Slice, Reshape, Transpose, nearest
//! Resize, MaxPool), run node by node in graph order. An operator or attribute it does not
//! know is an error naming the node, never a silent wrong answer.

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
}

fn tensor_of(init: &Initializer, device: &Device) -> Option<Tensor> {
    let dims: Vec<usize> = init.dims.iter().map(|&d| d.max(0) as usize).collect();
    let values = init.to_f32()?;
    Tensor::from_vec(values, dims, device).ok()
}

impl Graph {
    pub fn new(model: &Model, device: &Device) -> Self {
        let mut constants = HashMap::new();
        let mut integers = HashMap::new();
        for init in &model.initializers {
            if let Some(values) = init.to_i64() {
                integers.insert(init.name.clone(), values);
            } else if let Some(t) = tensor_of(init, device) {
                constants.insert(init.name.clone(), t);
            }
        }
        Self {
            nodes: model.nodes.clone(),
            constants,
            integers,
        }
    }

    /// Runs the graph on `input` (named `input_name`) and returns `output_name`.
    pub fn run(
        &self,
        input_name: &str,
        input: Tensor,
        output_name: &str,
    ) -> Result<Tensor, GraphError> {
        let mut values: HashMap<&str, Tensor> = HashMap::new();
        values.insert(input_name, input);
        for (index, node) in self.nodes.iter().enumerate() {
            let fail = |message: String| GraphError::Node {
                index,
                op: node.op_type.clone(),
                message,
            };
            let get = |name: &str| -> Result<Tensor, GraphError> {
                values
                    .get(name)
                    .or_else(|| self.constants.get(name))
                    .cloned()
                    .ok_or_else(|| fail(format!("input {name} is not known")))
            };
            let ints = |name: &str| -> Result<&Vec<i64>, GraphError> {
                self.integers
                    .get(name)
                    .ok_or_else(|| fail(format!("{name} is not an integer constant")))
            };
            let c = |r: candle_core::Result<Tensor>| r.map_err(|e| fail(e.to_string()));
            let out = match node.op_type.as_str() {
                "Conv" => {
                    let x = get(&node.inputs[0])?;
                    let w = get(&node.inputs[1])?;
                    let pads = node.ints("pads").unwrap_or(&[0, 0, 0, 0]);
                    let strides = node.ints("strides").unwrap_or(&[1, 1]);
                    let dilations = node.ints("dilations").unwrap_or(&[1, 1]);
                    let group = node
                        .ints("group")
                        .and_then(|g| g.first())
                        .copied()
                        .unwrap_or(1);
                    let symmetric = pads.iter().all(|p| *p == pads[0]);
                    if !symmetric || strides[0] != strides[1] || dilations[0] != dilations[1] {
                        return Err(fail("asymmetric padding, strides or dilations".into()));
                    }
                    let y = c(x.conv2d(
                        &w,
                        pads[0] as usize,
                        strides[0] as usize,
                        dilations[0] as usize,
                        group as usize,
                    ))?;
                    match node.inputs.get(2) {
                        Some(b) => {
                            let b = get(b)?;
                            let n = b.dims1().map_err(|e| fail(e.to_string()))?;
                            c(y.broadcast_add(&c(b.reshape((1, n, 1, 1)))?))?
                        }
                        None => y,
                    }
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
                    let axis = node
                        .ints("axis")
                        .and_then(|a| a.first())
                        .copied()
                        .unwrap_or(0);
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
                other => return Err(fail(format!("operator {other} is not supported"))),
            };
            if let Some(name) = node.outputs.first() {
                values.insert(name.as_str(), out);
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
