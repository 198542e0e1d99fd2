//! YOLOX-nano in candle: Focus stem, CSPDarknet with depthwise-separable convolutions, SPP,
//! PAFPN and the decoupled head, with the weights of the ONNX file taken convolution by
//! convolution in graph order and checked (shape, groups, stride) as they are taken. Batch norm
//! is already folded into the convolutions in the exported file.

use super::fast_math::Act;
use super::onnx::{Model, Node};
use super::pooling::{spp_pools, upsample2};
use candle_core::{DType, Device, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("the model is not YOLOX-nano: {0}")]
    NotYoloxNano(String),
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

type Result<T> = std::result::Result<T, NetworkError>;

/// Hands out the model's convolutions in graph order, checking each against expectations.
struct Convs<'a> {
    model: &'a Model,
    nodes: Vec<&'a Node>,
    next: usize,
    device: &'a Device,
}

impl<'a> Convs<'a> {
    fn new(model: &'a Model, device: &'a Device) -> Self {
        let nodes = model.nodes.iter().filter(|n| n.op_type == "Conv").collect();
        Self {
            model,
            nodes,
            next: 0,
            device,
        }
    }

    /// The next convolution: `out` channels, `inp` input channels, kernel `k`, `stride`,
    /// depthwise or not; followed by SiLU when `act`.
    fn take(
        &mut self,
        inp: usize,
        out: usize,
        k: usize,
        stride: usize,
        depthwise: bool,
        act: bool,
    ) -> Result<Conv> {
        let index = self.next;
        self.next += 1;
        let node = self
            .nodes
            .get(index)
            .ok_or_else(|| NetworkError::NotYoloxNano(format!("only {index} convolutions")))?;
        let groups = if depthwise { inp } else { 1 };
        let expected = [out as i64, (inp / groups) as i64, k as i64, k as i64];
        let weight = node
            .inputs
            .get(1)
            .and_then(|name| self.model.initializer(name))
            .ok_or_else(|| {
                NetworkError::NotYoloxNano(format!("convolution {index} has no weight"))
            })?;
        let bias = node
            .inputs
            .get(2)
            .and_then(|name| self.model.initializer(name))
            .ok_or_else(|| {
                NetworkError::NotYoloxNano(format!("convolution {index} has no bias"))
            })?;
        let attrs_ok = node.ints("group").unwrap_or(&[1]) == [groups as i64]
            && node.ints("strides").unwrap_or(&[1, 1]) == [stride as i64, stride as i64];
        if weight.dims != expected || bias.dims != [out as i64] || !attrs_ok {
            return Err(NetworkError::NotYoloxNano(format!(
                "convolution {index} ({}) has weight {:?}, groups {:?}, strides {:?}; expected {expected:?}, groups {groups}, stride {stride}",
                weight.name,
                weight.dims,
                node.ints("group"),
                node.ints("strides")
            )));
        }
        let w = weight.to_f32().ok_or_else(|| {
            NetworkError::NotYoloxNano(format!("{} is not float data", weight.name))
        })?;
        let b = bias.to_f32().ok_or_else(|| {
            NetworkError::NotYoloxNano(format!("{} is not float data", bias.name))
        })?;
        Ok(Conv {
            weight: Tensor::from_vec(w, (out, inp / groups, k, k), self.device)?,
            bias: Tensor::from_vec(b, out, self.device)?,
            padding: k / 2,
            stride,
            groups,
            act: if act { Act::Silu } else { Act::Linear },
        })
    }

    fn base(&mut self, inp: usize, out: usize, k: usize, stride: usize) -> Result<Conv> {
        self.take(inp, out, k, stride, false, true)
    }

    fn dw(&mut self, inp: usize, out: usize, stride: usize) -> Result<DwConv> {
        Ok(DwConv {
            depthwise: self.take(inp, inp, 3, stride, true, true)?,
            pointwise: self.base(inp, out, 1, 1)?,
        })
    }

    fn csp(&mut self, inp: usize, out: usize, n: usize, shortcut: bool) -> Result<Csp> {
        let hidden = out / 2;
        let conv1 = self.base(inp, hidden, 1, 1)?;
        let conv2 = self.base(inp, hidden, 1, 1)?;
        let mut blocks = Vec::with_capacity(n);
        for _ in 0..n {
            blocks.push(Bottleneck {
                conv1: self.base(hidden, hidden, 1, 1)?,
                conv2: self.dw(hidden, hidden, 1)?,
                shortcut,
            });
        }
        let conv3 = self.base(2 * hidden, out, 1, 1)?;
        Ok(Csp {
            conv1,
            conv2,
            blocks,
            conv3,
        })
    }

    /// The initializer names of the next convolution's weight and bias.
    fn next_names(&self) -> (String, String) {
        let inputs = self.nodes.get(self.next).map(|n| n.inputs.as_slice());
        let name = |i: usize| {
            inputs
                .and_then(|inputs| inputs.get(i))
                .cloned()
                .unwrap_or_default()
        };
        (name(1), name(2))
    }

    /// A depthwise-separable convolution whose pointwise half is also handed out as a layer.
    fn dw_named(&mut self) -> Result<(DwConv, (String, String))> {
        let depthwise = self.take(64, 64, 3, 1, true, true)?;
        let names = self.next_names();
        let pointwise = self.base(64, 64, 1, 1)?;
        Ok((
            DwConv {
                depthwise,
                pointwise,
            },
            names,
        ))
    }

    fn head_level(&mut self, inp: usize) -> Result<HeadLevel> {
        let stem = self.base(inp, 64, 1, 1)?;
        let cls_first = self.dw(64, 64, 1)?;
        let (cls_last, cls_point_names) = self.dw_named()?;
        let cls = [cls_first, cls_last];
        let cls_names = self.next_names();
        // Class scores leave the network through the sigmoid, applied with the product.
        let cls_pred = Conv {
            act: Act::Sigmoid,
            ..self.take(64, 80, 1, 1, false, false)?
        };
        let reg_first = self.dw(64, 64, 1)?;
        let (reg_last, reg_point_names) = self.dw_named()?;
        let reg = [reg_first, reg_last];
        let reg_names = self.next_names();
        let reg_pred = self.take(64, 4, 1, 1, false, false)?;
        let obj_names = self.next_names();
        let obj_pred = self.take(64, 1, 1, 1, false, false)?;
        let layer = |conv: &Conv, (weight_name, bias_name): (String, String)| -> Result<Layer> {
            Ok(Layer {
                weight_name,
                bias_name,
                weight: conv.weight.flatten_all()?.to_vec1()?,
                bias: conv.bias.to_vec1()?,
            })
        };
        let predictions = HeadPredictions {
            cls: layer(&cls_pred, cls_names)?,
            reg: layer(&reg_pred, reg_names)?,
            obj: layer(&obj_pred, obj_names)?,
            cls_point: layer(&cls[1].pointwise, cls_point_names)?,
            reg_point: layer(&reg[1].pointwise, reg_point_names)?,
        };
        let reg_obj_pred = Conv {
            weight: Tensor::cat(&[&reg_pred.weight, &obj_pred.weight], 0)?,
            bias: Tensor::cat(&[&reg_pred.bias, &obj_pred.bias], 0)?,
            ..reg_pred
        };
        Ok(HeadLevel {
            stem,
            cls,
            cls_pred,
            reg,
            reg_obj_pred,
            predictions,
        })
    }
}

struct Conv {
    weight: Tensor,
    bias: Tensor,
    padding: usize,
    stride: usize,
    groups: usize,
    act: Act,
}

impl Conv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_all(&[x], None)
    }

    /// Over `inputs` side by side in channels, then `+ residual`: only 1×1 convolutions take
    /// several inputs or a residual.
    fn forward_all(&self, inputs: &[&Tensor], residual: Option<&Tensor>) -> Result<Tensor> {
        let (out_channels, in_channels, k, _) = self.weight.dims4()?;
        if k == 1 && self.stride == 1 && self.groups == 1 {
            let weight = self.weight.reshape((out_channels, in_channels))?;
            return Ok(super::pointwise::pointwise(
                inputs, &weight, &self.bias, self.act, residual,
            )?);
        }
        let (&[x], None) = (inputs, residual) else {
            return Err(NetworkError::NotYoloxNano(
                "only 1×1 convolutions take several inputs or a residual".into(),
            ));
        };
        if self.groups > 1 {
            return Ok(super::depthwise::depthwise3x3(
                x,
                &self.weight,
                &self.bias,
                self.stride,
                self.act,
            )?);
        }
        if k == 3 && self.stride == 1 && self.padding == 1 {
            return Ok(super::stem::conv3x3(x, &self.weight, &self.bias, self.act)?);
        }
        let y = x
            .conv2d(&self.weight, self.padding, self.stride, 1, self.groups)?
            .broadcast_add(&self.bias.reshape((1, out_channels, 1, 1))?)?;
        Ok(self.act.on_tensor(y)?)
    }
}

struct DwConv {
    depthwise: Conv,
    pointwise: Conv,
}

impl DwConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.pointwise.forward(&self.depthwise.forward(x)?)
    }
}

struct Bottleneck {
    conv1: Conv,
    conv2: DwConv,
    shortcut: bool,
}

struct Csp {
    conv1: Conv,
    conv2: Conv,
    blocks: Vec<Bottleneck>,
    conv3: Conv,
}

impl Csp {
    /// Over `inputs` side by side in channels.
    fn forward(&self, inputs: &[&Tensor]) -> Result<Tensor> {
        let mut a = self.conv1.forward_all(inputs, None)?;
        let b = self.conv2.forward_all(inputs, None)?;
        for block in &self.blocks {
            let hidden = block.conv2.depthwise.forward(&block.conv1.forward(&a)?)?;
            let residual = block.shortcut.then_some(&a);
            a = block.conv2.pointwise.forward_all(&[&hidden], residual)?;
        }
        self.conv3.forward_all(&[&a, &b], None)
    }
}

struct HeadLevel {
    stem: Conv,
    cls: [DwConv; 2],
    cls_pred: Conv,
    reg: [DwConv; 2],
    /// Box regression (4) and objectness (1) together: both read the regression branch.
    reg_obj_pred: Conv,
    predictions: HeadPredictions,
}

/// A 1×1 prediction layer over the head's 64 features, as the ONNX file names and holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub weight_name: String,
    pub bias_name: String,
    /// `outputs × 64`, row-major.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// One head level's prediction layers: classes (80, over the class branch), box (4) and
/// objectness (1, both over the regression branch). What `detect train` tunes.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadPredictions {
    pub cls: Layer,
    pub reg: Layer,
    pub obj: Layer,
    /// The 1×1 convolutions (64 → 64, then SiLU) before them, of the class and the regression
    /// branch: tuned too when training reads the features before them
    /// ([`YoloxNano::head_features`] with `before_point`).
    pub cls_point: Layer,
    pub reg_point: Layer,
}

/// Channels of the head's branches.
pub const HEAD_FEATURES: usize = 64;

/// Strides of the head's three levels.
pub const HEAD_STRIDES: [usize; 3] = [8, 16, 32];

impl HeadLevel {
    /// The regression and class branches' features, each `[batch, 64, h, w]`, from the inputs
    /// of their last 1×1 convolutions.
    fn features(&self, (reg, cls): (Tensor, Tensor)) -> Result<(Tensor, Tensor)> {
        Ok((
            self.reg[1].pointwise.forward(&reg)?,
            self.cls[1].pointwise.forward(&cls)?,
        ))
    }

    /// The inputs of the branches' last 1×1 convolutions (their depthwise halves' outputs),
    /// regression then class, each `[batch, 64, h, w]`.
    fn point_inputs(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let x = self.stem.forward(x)?;
        let cls = self.cls[1].depthwise.forward(&self.cls[0].forward(&x)?)?;
        let reg = self.reg[1].depthwise.forward(&self.reg[0].forward(&x)?)?;
        Ok((reg, cls))
    }

    /// Box regression with the objectness logit `[batch, 5, h, w]` and class scores
    /// `[batch, 80, h, w]`.
    fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (reg, cls) = self.features(self.point_inputs(x)?)?;
        Ok((
            self.reg_obj_pred.forward(&reg)?,
            self.cls_pred.forward(&cls)?,
        ))
    }
}

/// The network with its weights.
pub struct YoloxNano {
    stem: Conv,
    dark2: (DwConv, Csp),
    dark3: (DwConv, Csp),
    dark4: (DwConv, Csp),
    dark5: (DwConv, Conv, Conv, Csp),
    lateral0: Conv,
    c3_p4: Csp,
    reduce1: Conv,
    c3_p3: Csp,
    bu2: DwConv,
    c3_n3: Csp,
    bu1: DwConv,
    c3_n4: Csp,
    heads: [HeadLevel; 3],
    device: Device,
}

/// Input side of the network, in pixels.
pub const INPUT_SIZE: usize = 416;

impl YoloxNano {
    /// Builds the network from the model's convolutions, in graph order.
    pub fn from_model(model: &Model, device: &Device) -> Result<Self> {
        let convs = model.nodes.iter().filter(|n| n.op_type == "Conv").count();
        if convs != 113 {
            return Err(NetworkError::NotYoloxNano(format!(
                "{convs} convolutions, YOLOX-nano has 113"
            )));
        }
        let mut c = Convs::new(model, device);
        let stem = c.base(12, 16, 3, 1)?;
        let dark2 = (c.dw(16, 32, 2)?, c.csp(32, 32, 1, true)?);
        let dark3 = (c.dw(32, 64, 2)?, c.csp(64, 64, 3, true)?);
        let dark4 = (c.dw(64, 128, 2)?, c.csp(128, 128, 3, true)?);
        let dark5 = (
            c.dw(128, 256, 2)?,
            c.base(256, 128, 1, 1)?,
            c.base(512, 256, 1, 1)?,
            c.csp(256, 256, 1, false)?,
        );
        let lateral0 = c.base(256, 128, 1, 1)?;
        let c3_p4 = c.csp(256, 128, 1, false)?;
        let reduce1 = c.base(128, 64, 1, 1)?;
        let c3_p3 = c.csp(128, 64, 1, false)?;
        let bu2 = c.dw(64, 64, 2)?;
        let c3_n3 = c.csp(128, 128, 1, false)?;
        let bu1 = c.dw(128, 128, 2)?;
        let c3_n4 = c.csp(256, 256, 1, false)?;
        let heads = [c.head_level(64)?, c.head_level(128)?, c.head_level(256)?];
        Ok(Self {
            stem,
            dark2,
            dark3,
            dark4,
            dark5,
            lateral0,
            c3_p4,
            reduce1,
            c3_p3,
            bu2,
            c3_n3,
            bu1,
            c3_n4,
            heads,
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `images`: `[batch, 3, h, w]` BGR 0–255, sides multiples of 32 (416 × 416 as exported).
    /// Returns `[batch, rows, 85]` (3549 rows at 416 × 416) like the ONNX graph.
    pub fn forward(&self, images: &Tensor) -> Result<Tensor> {
        let [pan2, pan1, pan0] = self.neck(images)?;
        let levels = [
            self.heads[0].forward(&pan2)?,
            self.heads[1].forward(&pan1)?,
            self.heads[2].forward(&pan0)?,
        ];
        Ok(super::head::head_rows(&levels)?)
    }

    /// The head's regression and class features at strides 8, 16 and 32, each
    /// `[batch, 64, h, w]`: what the prediction layers read, or with `before_point` the inputs
    /// of the branches' last 1×1 convolutions.
    pub fn head_features(
        &self,
        images: &Tensor,
        before_point: bool,
    ) -> Result<Vec<(Tensor, Tensor)>> {
        let necks = self.neck(images)?;
        self.heads
            .iter()
            .zip(&necks)
            .map(|(head, x)| {
                let inputs = head.point_inputs(x)?;
                if before_point {
                    Ok(inputs)
                } else {
                    head.features(inputs)
                }
            })
            .collect()
    }

    /// The prediction layers of the three levels.
    pub fn head_predictions(&self) -> [&HeadPredictions; 3] {
        [
            &self.heads[0].predictions,
            &self.heads[1].predictions,
            &self.heads[2].predictions,
        ]
    }

    /// The three levels' inputs to the head.
    fn neck(&self, images: &Tensor) -> Result<[Tensor; 3]> {
        let x = super::stem::focus(images)?;
        let x = self.stem.forward(&x)?;
        let x = self.dark2.1.forward(&[&self.dark2.0.forward(&x)?])?;
        let c3 = self.dark3.1.forward(&[&self.dark3.0.forward(&x)?])?;
        let c4 = self.dark4.1.forward(&[&self.dark4.0.forward(&c3)?])?;
        let x = self.dark5.0.forward(&c4)?;
        let x = self.dark5.1.forward(&x)?;
        let pooled = spp_pools(&x)?;
        let x = self
            .dark5
            .2
            .forward_all(&[&x, &pooled[0], &pooled[1], &pooled[2]], None)?;
        let c5 = self.dark5.3.forward(&[&x])?;

        let fpn0 = self.lateral0.forward(&c5)?;
        let x = self.c3_p4.forward(&[&upsample2(&fpn0)?, &c4])?;
        let fpn1 = self.reduce1.forward(&x)?;
        let pan2 = self.c3_p3.forward(&[&upsample2(&fpn1)?, &c3])?;
        let pan1 = self.c3_n3.forward(&[&self.bu2.forward(&pan2)?, &fpn1])?;
        let pan0 = self.c3_n4.forward(&[&self.bu1.forward(&pan1)?, &fpn0])?;
        Ok([pan2, pan1, pan0])
    }
}

/// A `[batch, 3, height, width]` f32 tensor from BGR planar data, picture after picture
/// (`(width, height)`: 416 × 416 for whole pictures, multiples of 32 for regions).
pub fn input_tensor(
    bgr_planar: Vec<f32>,
    batch: usize,
    (width, height): (usize, usize),
    device: &Device,
) -> Result<Tensor> {
    Ok(Tensor::from_vec(bgr_planar, (batch, 3, height, width), device)?.to_dtype(DType::F32)?)
}
