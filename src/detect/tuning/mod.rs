//! Tuning YOLOX-nano's prediction layers to Vietnamese traffic (`detect train`): the network up
//! to the head's features stays as trained on COCO (frozen: on two CPU cores a whole network
//! cannot be trained in a working session), the 1×1 layers that turn those features into
//! boxes, objectness and the console's seven classes are fitted to labelled pictures seen at
//! several scales, and written back into a copy of the ONNX file, byte for byte in place.

pub mod assign;
pub mod augment;
pub mod fit;

use super::yolox::HEAD_FEATURES as FEATURES;

/// The COCO classes the console uses, in the order the tuned layers hold them: person,
/// bicycle, car, motorcycle, bus, truck, traffic light.
pub const TRAINED_CLASSES: [usize; 7] = [0, 1, 2, 3, 5, 7, 9];

/// The cells kept for one head level: features and targets, one row each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelSamples {
    /// `n × 128`: the regression branch's 64 features, then the class branch's.
    pub features: Vec<f32>,
    pub obj_t: Vec<f32>,
    pub obj_w: Vec<f32>,
    /// `n × 7`, in the order of [`TRAINED_CLASSES`].
    pub cls_t: Vec<f32>,
    pub cls_w: Vec<f32>,
    /// `n × 4`: centre offsets in strides from the cell, log width and height in strides.
    pub reg_t: Vec<f32>,
    pub reg_w: Vec<f32>,
}

impl LevelSamples {
    pub fn len(&self) -> usize {
        self.obj_t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.obj_t.is_empty()
    }

    /// Positive cells (assigned to a labelled object: the only cells with a box target).
    pub fn positives(&self) -> usize {
        self.reg_w.iter().filter(|&&w| w > 0.0).count()
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        features: &[f32; 2 * FEATURES],
        obj_t: f32,
        obj_w: f32,
        cls_t: [f32; 7],
        cls_w: f32,
        reg_t: [f32; 4],
        reg_w: f32,
    ) {
        self.features.extend_from_slice(features);
        self.obj_t.push(obj_t);
        self.obj_w.push(obj_w);
        self.cls_t.extend_from_slice(&cls_t);
        self.cls_w.push(cls_w);
        self.reg_t.extend_from_slice(&reg_t);
        self.reg_w.push(reg_w);
    }

    /// Appends `other`'s rows.
    pub fn extend(&mut self, other: &Self) {
        self.features.extend_from_slice(&other.features);
        self.obj_t.extend_from_slice(&other.obj_t);
        self.obj_w.extend_from_slice(&other.obj_w);
        self.cls_t.extend_from_slice(&other.cls_t);
        self.cls_w.extend_from_slice(&other.cls_w);
        self.reg_t.extend_from_slice(&other.reg_t);
        self.reg_w.extend_from_slice(&other.reg_w);
    }
}

/// A small seeded random generator (SplitMix64): the same seed gives the same training run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p >= 1.0 || self.unit() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_repeats_with_its_seed_and_spreads_over_the_unit() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        let mean = (0..10_000).map(|_| r.unit()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
