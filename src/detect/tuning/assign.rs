//! The training targets of one picture for the head's prediction layers. Labelled objects are
//! given grid cells as YOLOX does (SimOTA, simplified: candidates in the box or near its centre,
//! a cost of class score and box overlap, a dynamic number of cells per object); cells the
//! dataset cannot speak for (people, bicycles, traffic lights, unlabelled vehicles the COCO
//! model is sure of) keep the COCO model's own scores as soft targets; the rest are
//! background, a share of them kept.

use super::{FEATURES, LevelSamples, Rng, TRAINED_CLASSES};
use crate::detect::postprocess::iou;
use crate::detect::yolox::HeadPredictions;

/// A labelled object in network input pixels; `class` indexes [`TRAINED_CLASSES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truth {
    pub class: usize,
    pub bbox: [f32; 4],
}

/// One level's features of one picture: `reg` and `cls` are `64 × h·w`, channel-major.
pub struct LevelFeatures<'a> {
    pub stride: usize,
    pub width: usize,
    pub height: usize,
    pub reg: &'a [f32],
    pub cls: &'a [f32],
}

/// Settings of the assignment.
#[derive(Debug, Clone, Copy)]
pub struct AssignConfig {
    /// Share of background cells kept (their weight is its inverse).
    pub background_share: f64,
    /// A cell the COCO model finds something in with this score (objectness × class) is given
    /// its answers as soft targets, unless it overlaps a labelled object.
    pub soft_score: f32,
    /// Classes (indices of [`TRAINED_CLASSES`]) the dataset labels: for them, a labelled cell is
    /// 1 or 0; the others keep the COCO model's score everywhere.
    pub labelled: [bool; 7],
    /// The cells' features are the inputs of the branches' last 1×1 convolutions (which are
    /// tuned too), not their outputs.
    pub through_point: bool,
}

/// What the COCO model's prediction layers say at a cell.
struct Original {
    bbox: [f32; 4],
    obj: f32,
    cls: [f32; 7],
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn dot(weights: &[f32], features: &[f32]) -> f32 {
    weights.iter().zip(features).map(|(w, f)| w * f).sum()
}

/// The cell's features: 64 regression then 64 class values.
fn cell_features(level: &LevelFeatures, cell: usize) -> [f32; 2 * FEATURES] {
    let hw = level.width * level.height;
    let mut out = [0f32; 2 * FEATURES];
    for c in 0..FEATURES {
        out[c] = level.reg[c * hw + cell];
        out[FEATURES + c] = level.cls[c * hw + cell];
    }
    out
}

/// `layer` (64 → 64) then SiLU over `input`.
fn point(layer: &crate::detect::yolox::Layer, input: &[f32]) -> Vec<f32> {
    (0..FEATURES)
        .map(|o| {
            let x = dot(&layer.weight[o * FEATURES..(o + 1) * FEATURES], input) + layer.bias[o];
            x * sigmoid(x)
        })
        .collect()
}

fn original(
    layers: &HeadPredictions,
    f: &[f32; 2 * FEATURES],
    through_point: bool,
    stride: usize,
    gx: usize,
    gy: usize,
) -> Original {
    let (reg, cls) = f.split_at(FEATURES);
    let (reg, cls) = if through_point {
        (point(&layers.reg_point, reg), point(&layers.cls_point, cls))
    } else {
        (reg.to_vec(), cls.to_vec())
    };
    let (reg, cls) = (reg.as_slice(), cls.as_slice());
    let r: Vec<f32> = (0..4)
        .map(|o| {
            dot(&layers.reg.weight[o * FEATURES..(o + 1) * FEATURES], reg) + layers.reg.bias[o]
        })
        .collect();
    let s = stride as f32;
    let (cx, cy) = ((r[0] + gx as f32) * s, (r[1] + gy as f32) * s);
    let (w, h) = (r[2].exp() * s, r[3].exp() * s);
    let obj = sigmoid(dot(&layers.obj.weight, reg) + layers.obj.bias[0]);
    let mut scores = [0f32; 7];
    for (k, &coco) in TRAINED_CLASSES.iter().enumerate() {
        let row = &layers.cls.weight[coco * FEATURES..(coco + 1) * FEATURES];
        scores[k] = sigmoid(dot(row, cls) + layers.cls.bias[coco]);
    }
    Original {
        bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
        obj,
        cls: scores,
    }
}

/// Adds the cells of one picture (its levels, the COCO layers of each, its labelled objects)
/// to `samples` (one set per level).
pub fn add_picture(
    levels: &[LevelFeatures],
    layers: [&HeadPredictions; 3],
    truth: &[Truth],
    config: &AssignConfig,
    rng: &mut Rng,
    samples: &mut [LevelSamples; 3],
) {
    // Every cell of every level: (level, cell index, gx, gy, features, original).
    let mut cells = Vec::new();
    for (l, level) in levels.iter().enumerate() {
        for gy in 0..level.height {
            for gx in 0..level.width {
                let index = gy * level.width + gx;
                let f = cell_features(level, index);
                let o = original(layers[l], &f, config.through_point, level.stride, gx, gy);
                cells.push((l, gx, gy, f, o));
            }
        }
    }
    // SimOTA, simplified: per object, candidates and their cost.
    let mut owner: Vec<Option<(usize, f32)>> = vec![None; cells.len()];
    for (t, object) in truth.iter().enumerate() {
        let b = object.bbox;
        let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let mut candidates: Vec<(usize, f32, f32)> = Vec::new();
        for (i, (l, gx, gy, _, o)) in cells.iter().enumerate() {
            let s = levels[*l].stride as f32;
            let (x, y) = ((*gx as f32 + 0.5) * s, (*gy as f32 + 0.5) * s);
            let in_box = x > b[0] && x < b[2] && y > b[1] && y < b[3];
            let radius = 2.5 * s;
            let in_centre = (x - cx).abs() < radius && (y - cy).abs() < radius;
            if !in_box && !in_centre {
                continue;
            }
            let overlap = iou(&o.bbox, &b);
            let p = (o.cls[object.class] * o.obj).sqrt().clamp(1e-6, 1.0 - 1e-6);
            let cost = -p.ln()
                + 3.0 * -(overlap + 1e-8).ln()
                + if in_box && in_centre { 0.0 } else { 1e5 };
            candidates.push((i, cost, overlap));
        }
        let mut overlaps: Vec<f32> = candidates.iter().map(|c| c.2).collect();
        overlaps.sort_by(|a, b| b.total_cmp(a));
        let k = (overlaps.iter().take(10).sum::<f32>() as usize).max(1);
        candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
        for &(i, cost, _) in candidates.iter().take(k) {
            if owner[i].is_none_or(|(_, c)| cost < c) {
                owner[i] = Some((t, cost));
            }
        }
    }
    for (i, (l, gx, gy, f, o)) in cells.iter().enumerate() {
        let set = &mut samples[*l];
        let s = levels[*l].stride as f32;
        if let Some((t, _)) = owner[i] {
            let object = truth[t];
            let mut cls_t = o.cls;
            for (k, labelled) in config.labelled.iter().enumerate() {
                if *labelled {
                    cls_t[k] = f32::from(k == object.class);
                }
            }
            let b = object.bbox;
            let (w, h) = ((b[2] - b[0]).max(1.0), (b[3] - b[1]).max(1.0));
            let reg_t = [
                (b[0] + b[2]) / 2.0 / s - *gx as f32,
                (b[1] + b[3]) / 2.0 / s - *gy as f32,
                (w / s).ln(),
                (h / s).ln(),
            ];
            set.push(f, 1.0, 1.0, cls_t, 1.0, reg_t, 1.0);
            continue;
        }
        let best = o.cls.iter().map(|c| c * o.obj).fold(0f32, f32::max);
        let near_truth = truth.iter().any(|t| iou(&o.bbox, &t.bbox) >= 0.3);
        if best >= config.soft_score && !near_truth {
            // Something the dataset does not label (a person, an unboxed distant vehicle):
            // the COCO model's scores stay. (Keeping its box too, as a target, was measured:
            // motorbike recall at 640 fell from 77.7 % to 71.1 %, people stayed as found.)
            set.push(f, o.obj, 1.0, o.cls, 1.0, [0.0; 4], 0.0);
        } else if rng.chance(config.background_share) {
            let mut cls_t = o.cls;
            for (k, labelled) in config.labelled.iter().enumerate() {
                if *labelled {
                    cls_t[k] = 0.0;
                }
            }
            let weight = (1.0 / config.background_share) as f32;
            // Background: no object, and the labelled classes' scores no reason to rise.
            set.push(f, 0.0, weight, cls_t, 0.0, [0.0; 4], 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::yolox::Layer;

    fn layer(outputs: usize) -> Layer {
        Layer {
            weight_name: String::new(),
            bias_name: String::new(),
            weight: vec![0.0; outputs * FEATURES],
            bias: vec![0.0; outputs],
        }
    }

    #[test]
    fn a_labelled_object_gets_the_cells_at_its_centre_and_the_rest_is_background() {
        // One 8 × 8 level of stride 8 (a 64 × 64 input), all features zero: the COCO layers
        // (zero weights) say "box of one stride at the cell, objectness 0.5, class 0.5".
        let layers = HeadPredictions {
            cls: layer(80),
            reg: layer(4),
            obj: layer(1),
            cls_point: layer(64),
            reg_point: layer(64),
        };
        let zeros = vec![0f32; FEATURES * 64];
        let level = LevelFeatures {
            stride: 8,
            width: 8,
            height: 8,
            reg: &zeros,
            cls: &zeros,
        };
        let truth = [Truth {
            class: 3, // motorbike
            bbox: [20.0, 20.0, 36.0, 36.0],
        }];
        let config = AssignConfig {
            background_share: 1.0,
            soft_score: 0.9,
            labelled: [false, false, true, true, true, true, false],
            through_point: false,
        };
        let mut samples: [LevelSamples; 3] = Default::default();
        add_picture(
            &[level],
            [&layers, &layers, &layers],
            &truth,
            &config,
            &mut Rng::new(1),
            &mut samples,
        );
        let set = &samples[0];
        assert_eq!(set.len(), 64, "every cell kept at share 1");
        let positives: Vec<usize> = (0..set.len()).filter(|&i| set.obj_t[i] == 1.0).collect();
        assert!(!positives.is_empty());
        for &i in &positives {
            let cls = &set.cls_t[i * 7..(i + 1) * 7];
            assert_eq!(cls[3], 1.0, "the motorbike's class");
            assert_eq!(cls[2], 0.0, "another labelled class");
            assert_eq!(cls[0], 0.5, "person keeps the COCO score");
            assert_eq!(set.reg_w[i], 1.0);
            // The box is 2 strides wide: ln 2.
            assert!((set.reg_t[i * 4 + 2] - 2f32.ln()).abs() < 1e-6);
        }
        let background = set.obj_t.iter().filter(|&&t| t == 0.0).count();
        assert_eq!(background + positives.len(), 64);
    }
}
