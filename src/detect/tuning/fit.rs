//! Fitting one head level's prediction layers to its samples with candle's autograd and AdamW:
//! binary cross-entropy for objectness and the seven classes, L1 for the box, as YOLOX weighs
//! them (the box × 5), summed and divided by the expected number of positive cells.

use super::{FEATURES, LevelSamples, Rng, TRAINED_CLASSES};
use crate::detect::yolox::HeadPredictions;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// Settings of the fit.
#[derive(Debug, Clone, Copy)]
pub struct FitConfig {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    /// The samples' features are the inputs of the branches' last 1×1 convolutions: those are
    /// fitted too (a hidden layer of 64 with SiLU per branch).
    pub through_point: bool,
    /// Give the 73 classes the console does not use no score at all (weights 0, bias −20), so
    /// that none of them takes a cell from the seven.
    pub mute_other_classes: bool,
}

/// The level's layers with the seven classes' rows, the box and the objectness fitted.
pub fn fit_level(
    layers: &HeadPredictions,
    samples: &LevelSamples,
    config: &FitConfig,
    rng: &mut Rng,
    mut progress: impl FnMut(usize, f32),
) -> candle_core::Result<HeadPredictions> {
    let device = Device::Cpu;
    let n = samples.len();
    if n == 0 {
        return Ok(layers.clone());
    }
    let features = Tensor::from_slice(&samples.features, (n, 2 * FEATURES), &device)?;
    let column = |v: &[f32], width: usize| Tensor::from_slice(v, (n, width), &device);
    let obj_t = column(&samples.obj_t, 1)?;
    let obj_w = column(&samples.obj_w, 1)?;
    let cls_t = column(&samples.cls_t, 7)?;
    let cls_w = column(&samples.cls_w, 1)?;
    let reg_t = column(&samples.reg_t, 4)?;
    let reg_w = column(&samples.reg_w, 1)?;

    let cls_rows: Vec<f32> = TRAINED_CLASSES
        .iter()
        .flat_map(|&c| {
            layers.cls.weight[c * FEATURES..(c + 1) * FEATURES]
                .iter()
                .copied()
        })
        .collect();
    let cls_bias: Vec<f32> = TRAINED_CLASSES
        .iter()
        .map(|&c| layers.cls.bias[c])
        .collect();
    let var = |values: &[f32], shape: (usize, usize)| {
        Var::from_tensor(&Tensor::from_slice(values, shape, &device)?)
    };
    let w_cls = var(&cls_rows, (7, FEATURES))?;
    let b_cls = var(&cls_bias, (1, 7))?;
    let w_reg = var(&layers.reg.weight, (4, FEATURES))?;
    let b_reg = var(&layers.reg.bias, (1, 4))?;
    let w_obj = var(&layers.obj.weight, (1, FEATURES))?;
    let b_obj = var(&layers.obj.bias, (1, 1))?;
    let p_cls = var(&layers.cls_point.weight, (FEATURES, FEATURES))?;
    let pb_cls = var(&layers.cls_point.bias, (1, FEATURES))?;
    let p_reg = var(&layers.reg_point.weight, (FEATURES, FEATURES))?;
    let pb_reg = var(&layers.reg_point.bias, (1, FEATURES))?;
    let mut vars = vec![
        w_cls.clone(),
        b_cls.clone(),
        w_reg.clone(),
        b_reg.clone(),
        w_obj.clone(),
        b_obj.clone(),
    ];
    if config.through_point {
        vars.extend([p_cls.clone(), pb_cls.clone(), p_reg.clone(), pb_reg.clone()]);
    }
    let hidden = |x: Tensor, w: &Var, b: &Var| -> candle_core::Result<Tensor> {
        if config.through_point {
            x.matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?
                .silu()
        } else {
            Ok(x)
        }
    };
    let mut optimiser = AdamW::new(
        vars,
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        },
    )?;
    let positive_share = (samples.positives() as f64 / n as f64).max(1.0 / n as f64);
    let mut order: Vec<u32> = (0..n as u32).collect();
    for epoch in 0..config.epochs {
        // Fisher–Yates with the seeded generator.
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let mut total = 0f32;
        let mut batches = 0;
        for chunk in order.chunks(config.batch.max(1)) {
            let index = Tensor::from_slice(chunk, chunk.len(), &device)?;
            let f = features.index_select(&index, 0)?;
            let f_reg = hidden(f.narrow(1, 0, FEATURES)?, &p_reg, &pb_reg)?;
            let f_cls = hidden(f.narrow(1, FEATURES, FEATURES)?, &p_cls, &pb_cls)?;
            let pick = |t: &Tensor| t.index_select(&index, 0);
            let obj = f_reg
                .matmul(&w_obj.as_tensor().t()?)?
                .broadcast_add(b_obj.as_tensor())?;
            let cls = f_cls
                .matmul(&w_cls.as_tensor().t()?)?
                .broadcast_add(b_cls.as_tensor())?;
            let reg = f_reg
                .matmul(&w_reg.as_tensor().t()?)?
                .broadcast_add(b_reg.as_tensor())?;
            let obj_loss = (bce_with_logits(&obj, &pick(&obj_t)?)? * pick(&obj_w)?)?.sum_all()?;
            let cls_loss = bce_with_logits(&cls, &pick(&cls_t)?)?
                .broadcast_mul(&pick(&cls_w)?)?
                .sum_all()?;
            let reg_loss = (reg - pick(&reg_t)?)?
                .abs()?
                .broadcast_mul(&pick(&reg_w)?)?
                .sum_all()?;
            let expected_positives = (chunk.len() as f64 * positive_share).max(1.0);
            let loss = ((obj_loss + cls_loss)? + (reg_loss * 5.0)?)?
                .affine(1.0 / expected_positives, 0.0)?;
            optimiser.backward_step(&loss)?;
            total += loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
            batches += 1;
        }
        progress(epoch + 1, total / batches.max(1) as f32);
    }
    let mut tuned = layers.clone();
    let w: Vec<f32> = w_cls.as_tensor().flatten_all()?.to_vec1()?;
    let b: Vec<f32> = b_cls.as_tensor().flatten_all()?.to_vec1()?;
    for (k, &c) in TRAINED_CLASSES.iter().enumerate() {
        tuned.cls.weight[c * FEATURES..(c + 1) * FEATURES]
            .copy_from_slice(&w[k * FEATURES..(k + 1) * FEATURES]);
        tuned.cls.bias[c] = b[k];
    }
    tuned.reg.weight = w_reg.as_tensor().flatten_all()?.to_vec1()?;
    tuned.reg.bias = b_reg.as_tensor().flatten_all()?.to_vec1()?;
    tuned.obj.weight = w_obj.as_tensor().flatten_all()?.to_vec1()?;
    tuned.obj.bias = b_obj.as_tensor().flatten_all()?.to_vec1()?;
    if config.through_point {
        tuned.cls_point.weight = p_cls.as_tensor().flatten_all()?.to_vec1()?;
        tuned.cls_point.bias = pb_cls.as_tensor().flatten_all()?.to_vec1()?;
        tuned.reg_point.weight = p_reg.as_tensor().flatten_all()?.to_vec1()?;
        tuned.reg_point.bias = pb_reg.as_tensor().flatten_all()?.to_vec1()?;
    }
    if config.mute_other_classes {
        for c in (0..tuned.cls.bias.len()).filter(|c| !TRAINED_CLASSES.contains(c)) {
            tuned.cls.weight[c * FEATURES..(c + 1) * FEATURES].fill(0.0);
            tuned.cls.bias[c] = -20.0;
        }
    }
    Ok(tuned)
}

/// Binary cross-entropy of logits `x` against targets `t` (0–1), element by element, in the
/// stable form max(x, 0) − x·t + ln(1 + e^−|x|).
fn bce_with_logits(x: &Tensor, t: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = ((x.abs()?.neg()?.exp()? + 1.0)?).log()?;
    (x.relu()? - (x * t)?)? + softplus
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::yolox::Layer;

    #[test]
    fn the_loss_is_cross_entropy() {
        let x = Tensor::new(&[0f32, 2.0, -3.0], &Device::Cpu).unwrap();
        let t = Tensor::new(&[1f32, 0.0, 0.25], &Device::Cpu).unwrap();
        let got: Vec<f32> = bce_with_logits(&x, &t).unwrap().to_vec1().unwrap();
        let want: Vec<f32> = [(0f32, 1f32), (2.0, 0.0), (-3.0, 0.25)]
            .iter()
            .map(|&(x, t)| {
                let p = 1.0 / (1.0 + (-x).exp());
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            })
            .collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{got:?} {want:?}");
        }
    }

    #[test]
    fn fitting_learns_objectness_a_feature_predicts() {
        // Feature 0 of the regression branch is 1 on objects and −1 on background; the
        // objectness layer starts at zero and must learn to follow it.
        let zero = |outputs: usize| Layer {
            weight_name: String::new(),
            bias_name: String::new(),
            weight: vec![0.0; outputs * FEATURES],
            bias: vec![0.0; outputs],
        };
        let layers = HeadPredictions {
            cls: zero(80),
            reg: zero(4),
            obj: zero(1),
            cls_point: zero(64),
            reg_point: zero(64),
        };
        let mut samples = LevelSamples::default();
        for i in 0..200 {
            let object = i % 4 == 0;
            let mut f = [0f32; 2 * FEATURES];
            f[0] = if object { 1.0 } else { -1.0 };
            let t = f32::from(u8::from(object));
            samples.push(&f, t, 1.0, [0.0; 7], 0.0, [0.0; 4], t);
        }
        let config = FitConfig {
            epochs: 60,
            batch: 64,
            learning_rate: 0.05,
            through_point: false,
            mute_other_classes: false,
        };
        let mut losses = Vec::new();
        let tuned = fit_level(&layers, &samples, &config, &mut Rng::new(1), |_, loss| {
            losses.push(loss)
        })
        .unwrap();
        assert!(tuned.obj.weight[0] > 1.0, "{}", tuned.obj.weight[0]);
        assert!(losses.last().unwrap() < &(losses[0] / 2.0), "{losses:?}");
        // Classes other than the seven are left as they were...
        assert_eq!(
            tuned.cls.weight[4 * FEATURES..5 * FEATURES],
            layers.cls.weight[4 * FEATURES..5 * FEATURES]
        );
        // ...or muted; and with the hidden layers fitted too (starting from the identity, as
        // zeros everywhere would be a saddle), those move.
        let identity: Vec<f32> = (0..FEATURES * FEATURES)
            .map(|i| f32::from(u8::from(i % (FEATURES + 1) == 0)))
            .collect();
        let mut layers = layers;
        layers.reg_point.weight = identity.clone();
        layers.cls_point.weight = identity;
        let muted = fit_level(
            &layers,
            &samples,
            &FitConfig {
                through_point: true,
                mute_other_classes: true,
                ..config
            },
            &mut Rng::new(1),
            |_, _| {},
        )
        .unwrap();
        assert_eq!(muted.cls.bias[4], -20.0);
        assert!(
            muted.cls.weight[4 * FEATURES..5 * FEATURES]
                .iter()
                .all(|&w| w == 0.0)
        );
        assert!(
            muted.reg_point.weight != layers.reg_point.weight,
            "the hidden layer did not move"
        );
    }
}
