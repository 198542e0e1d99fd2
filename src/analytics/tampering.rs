//! Camera tampering (ND 168 12.11.c: damaging or disabling monitoring equipment): the picture
//! goes black, turns featureless (covered, sprayed, blurred), or shows another scene (turned
//! away) — and stays so for a while. Lighting changes keep the scene's pattern and are not
//! reported. The watch samples a coarse luma grid twice a second of stream time.

use super::motion::cell_means;

/// What happened to the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TamperKind {
    Black,
    /// Covered, sprayed or badly blurred: almost no detail left.
    Featureless,
    /// The scene no longer matches the one the camera watched.
    Moved,
}

/// A tampering episode, reported once when it has lasted long enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TamperAlert {
    pub kind: TamperKind,
    pub since_pts_90k: i64,
    pub at_pts_90k: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TamperConfig {
    /// Mean luma below this is black.
    pub black_luma: f32,
    /// Spread (standard deviation) of the cells' luma below this is featureless.
    pub min_spread: f32,
    /// Mean luma difference (levels) of the centred grid from the reference scene above which
    /// it is another scene.
    pub min_scene_change: f32,
    /// Seconds a condition must last.
    pub hold_s: f64,
}

impl Default for TamperConfig {
    fn default() -> Self {
        Self {
            black_luma: 18.0,
            min_spread: 4.0,
            min_scene_change: 12.0,
            hold_s: 3.0,
        }
    }
}

const SAMPLE_INTERVAL_90K: i64 = 45_000;
const COLUMNS: u32 = 32;

#[derive(Debug, Clone, Default)]
pub struct TamperWatch {
    config: TamperConfig,
    next_sample: Option<i64>,
    /// The normal scene: cell luma, centred, and its spread.
    reference: Option<Vec<f32>>,
    reference_spread: f32,
    /// The previous sample, centred.
    previous: Option<Vec<f32>>,
    suspect: Option<(TamperKind, i64)>,
    reported: bool,
}

impl TamperWatch {
    pub fn new(config: TamperConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The episode under way, once reported (cleared when the picture is normal again).
    pub fn reported(&self) -> Option<TamperKind> {
        self.suspect.filter(|_| self.reported).map(|(kind, _)| kind)
    }

    /// Looks at a frame's luma plane; returns an alert once an episode has lasted `hold_s`.
    pub fn observe(
        &mut self,
        luma: &[u8],
        width: u32,
        height: u32,
        pts_90k: i64,
    ) -> Option<TamperAlert> {
        if width == 0 || height == 0 || luma.len() < (width * height) as usize {
            return None;
        }
        if self
            .next_sample
            .is_some_and(|next| pts_90k < next && pts_90k >= next - 2 * SAMPLE_INTERVAL_90K)
        {
            return None;
        }
        self.next_sample = Some(pts_90k + SAMPLE_INTERVAL_90K);
        let cells = cell_means(luma, width, height, COLUMNS).values;
        let n = cells.len() as f32;
        let mean = cells.iter().sum::<f32>() / n;
        let centred: Vec<f32> = cells.iter().map(|c| c - mean).collect();
        let spread = (centred.iter().map(|c| c * c).sum::<f32>() / n).sqrt();
        // Differences are mean absolute differences of the centred cells, in luma levels:
        // lighting changes scale the pattern a little, a few pixels of shake move it a little,
        // another scene changes it by tens of levels.
        let difference = |other: &Option<Vec<f32>>| {
            other
                .as_ref()
                .filter(|o| o.len() == centred.len())
                .map(|o| {
                    o.iter()
                        .zip(&centred)
                        .map(|(a, b)| (a - b).abs())
                        .sum::<f32>()
                        / n
                })
        };
        let other_scene = difference(&self.reference).is_some_and(|d| {
            d > self
                .config
                .min_scene_change
                .max(0.8 * self.reference_spread)
        });
        // A still view: a lorry driving past a plain road also changes the picture for a moment.
        let still = difference(&self.previous).is_some_and(|d| d < 4.0f32.max(0.2 * spread));
        let condition = if mean < self.config.black_luma {
            Some(TamperKind::Black)
        } else if spread < self.config.min_spread {
            Some(TamperKind::Featureless)
        } else if other_scene && still {
            Some(TamperKind::Moved)
        } else {
            None
        };
        self.previous = Some(centred.clone());
        let Some(kind) = condition else {
            self.suspect = None;
            if !other_scene && (still || self.reference.is_none()) {
                // A normal, still picture (no lorry passing) becomes the reference; a new
                // episode may be reported.
                self.reported = false;
                self.reference = Some(centred);
                self.reference_spread = spread;
            }
            return None;
        };
        // Another kind of tampering (turned, then sprayed) is another episode.
        if self.suspect.is_some_and(|(k, _)| k != kind) {
            self.suspect = None;
            self.reported = false;
        }
        let (_, since) = *self.suspect.get_or_insert((kind, pts_90k));
        let held = (pts_90k - since) as f64 / 90_000.0 >= self.config.hold_s;
        if held && !self.reported {
            self.reported = true;
            return Some(TamperAlert {
                kind,
                since_pts_90k: since,
                at_pts_90k: pts_90k,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 320;
    const H: u32 = 180;

    /// A scene with a gradient and a bright block at `block_x`, lit by `gain`.
    fn scene(block_x: u32, gain: f32) -> Vec<u8> {
        let mut y = vec![0u8; (W * H) as usize];
        for row in 0..H {
            for col in 0..W {
                let mut v = 40.0 + 80.0 * col as f32 / W as f32 + 40.0 * row as f32 / H as f32;
                if (block_x..block_x + 60).contains(&col) && (40..100).contains(&row) {
                    v += 80.0;
                }
                y[(row * W + col) as usize] = (v * gain).clamp(0.0, 255.0) as u8;
            }
        }
        y
    }

    fn run(frames: &[(Vec<u8>, f64)]) -> Vec<TamperAlert> {
        let mut watch = TamperWatch::new(TamperConfig::default());
        frames
            .iter()
            .filter_map(|(luma, t)| watch.observe(luma, W, H, (t * 90_000.0) as i64))
            .collect()
    }

    fn seconds(luma: &[u8], from: f64, to: f64) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::new();
        let mut t = from;
        while t < to {
            out.push((luma.to_vec(), t));
            t += 0.5;
        }
        out
    }

    #[test]
    fn a_black_covered_or_turned_camera_is_reported_once_after_the_hold_time() {
        let normal = scene(40, 1.0);
        for (tampered, kind) in [
            (vec![5u8; (W * H) as usize], TamperKind::Black),
            (vec![120u8; (W * H) as usize], TamperKind::Featureless),
            (
                scene(220, 1.0).iter().rev().copied().collect::<Vec<u8>>(),
                TamperKind::Moved,
            ),
        ] {
            let mut frames = seconds(&normal, 0.0, 5.0);
            frames.extend(seconds(&tampered, 5.0, 15.0));
            let alerts = run(&frames);
            assert_eq!(alerts.len(), 1, "{kind:?}: {alerts:?}");
            assert_eq!(alerts[0].kind, kind);
            // A moved view counts once it is still: half a second later.
            let start = if kind == TamperKind::Moved { 5.5 } else { 5.0 };
            assert_eq!(alerts[0].since_pts_90k, (start * 90_000.0) as i64);
            assert_eq!(alerts[0].at_pts_90k, ((start + 3.0) * 90_000.0) as i64);
        }
        let mut watch = TamperWatch::new(TamperConfig::default());
        for (luma, t) in seconds(&normal, 0.0, 2.0) {
            watch.observe(&luma, W, H, (t * 90_000.0) as i64);
        }
        for (luma, t) in seconds(&vec![5u8; (W * H) as usize], 2.0, 6.0) {
            watch.observe(&luma, W, H, (t * 90_000.0) as i64);
        }
        assert_eq!(watch.reported(), Some(TamperKind::Black));
        watch.observe(&normal, W, H, 7 * 90_000);
        assert_eq!(watch.reported(), None, "the picture came back");
    }

    #[test]
    fn something_large_passing_in_front_is_not_a_moved_camera() {
        let normal = scene(40, 1.0);
        let mut frames = seconds(&normal, 0.0, 5.0);
        // A big bright block crossing the picture (never still), then gone.
        let mut t = 5.0;
        let mut x = 0;
        while t < 11.0 {
            let mut passing = normal.clone();
            for row in 20..170 {
                for col in x..(x + 150).min(W) {
                    passing[(row * W + col) as usize] = 235;
                }
            }
            frames.push((passing, t));
            t += 0.5;
            x = (x + 40).min(W - 1);
        }
        frames.extend(seconds(&normal, 11.0, 15.0));
        assert!(run(&frames).is_empty());
    }

    #[test]
    fn lighting_changes_and_short_glitches_are_not_tampering() {
        let mut frames = seconds(&scene(40, 1.0), 0.0, 5.0);
        frames.extend(seconds(&scene(40, 0.6), 5.0, 15.0)); // a cloud
        frames.extend(seconds(&vec![3u8; (W * H) as usize], 15.0, 16.5)); // a 1.5 s dropout
        frames.extend(seconds(&scene(40, 0.6), 16.5, 20.0));
        assert!(run(&frames).is_empty());
    }
}
