//! Signal states read from the video: each signal head's region of the picture is classified
//! per frame by the colour of its lit lamp (bright, saturated pixels by hue), and a state is
//! believed only after it has been seen steadily (hysteresis), so a passing red car, a flicker
//! of an LED head or one bad frame does not change it. Amber that comes and goes within a
//! second or so is flashing amber. The confirmed states go into a timeline on the stream's
//! clock, which is the `SignalSource`.

use super::{SignalSource, SignalTimeline};
use crate::domain::geometry::{FrameSize, SignalHead};
use crate::domain::signal::{GroupState, SignalChange, SignalColour};
use crate::video::{ConversionParams, YuvFrame};
use std::sync::Mutex;

/// Tuning of the reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VisionConfig {
    /// A lamp pixel is at least this bright (max of R, G, B; 0–255)...
    pub min_value: u8,
    /// ...and at least this saturated (0–1).
    pub min_saturation: f32,
    /// Lit pixels of one colour needed, as a share of the region.
    pub min_lit_share: f32,
    /// A new colour must be seen this long (and on two frames or more) to be believed.
    pub confirm_ms: i64,
    /// A dark head must stay dark this long to be "off" (flashing amber is dark in between).
    pub confirm_off_ms: i64,
    /// Amber lit again within this long after going dark is flashing.
    pub flash_gap_ms: i64,
}

impl Default for VisionConfig {
    fn default() -> Self {
        Self {
            min_value: 150,
            min_saturation: 0.35,
            min_lit_share: 0.02,
            confirm_ms: 300,
            confirm_off_ms: 1_500,
            flash_gap_ms: 1_200,
        }
    }
}

/// What one frame shows in a head's region: the lit colour (Red, Amber, Green), or Off.
pub fn classify_region(
    frame: &YuvFrame,
    rect: (u32, u32, u32, u32),
    config: &VisionConfig,
) -> SignalColour {
    let (left, top, width, height) = rect;
    if width == 0 || height == 0 {
        return SignalColour::Unknown;
    }
    let params = ConversionParams::for_colour(frame.colour);
    let chroma_width = frame.width.div_ceil(2) as usize;
    let mut counts = [0u32; 3];
    for y in top..top + height {
        for x in left..left + width {
            let luma = frame.y[(y * frame.width + x) as usize];
            let c = (y / 2) as usize * chroma_width + (x / 2) as usize;
            let [r, g, b] = params.convert(luma, frame.u[c], frame.v[c]);
            if let Some(lamp) = lamp_colour(r, g, b, config) {
                counts[lamp] += 1;
            }
        }
    }
    let needed = ((width * height) as f32 * config.min_lit_share).max(2.0);
    let (best, &count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| **c)
        .unwrap_or((0, &0));
    if (count as f32) < needed {
        return SignalColour::Off;
    }
    [SignalColour::Red, SignalColour::Amber, SignalColour::Green][best]
}

/// 0 red, 1 amber, 2 green, for a bright saturated pixel of a lamp's hue.
fn lamp_colour(r: u8, g: u8, b: u8, config: &VisionConfig) -> Option<usize> {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max < config.min_value {
        return None;
    }
    let chroma = f32::from(max - min);
    if chroma / f32::from(max) < config.min_saturation {
        return None;
    }
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let hue = if max == min {
        return None;
    } else if r >= g && r >= b {
        (60.0 * (g - b) / chroma).rem_euclid(360.0)
    } else if g >= b {
        60.0 * (b - r) / chroma + 120.0
    } else {
        60.0 * (r - g) / chroma + 240.0
    };
    match hue {
        h if !(18.0..340.0).contains(&h) => Some(0),
        h if (18.0..70.0).contains(&h) => Some(1),
        // Signal green is a blue-green.
        h if (90.0..200.0).contains(&h) => Some(2),
        _ => None,
    }
}

/// One head's reading with hysteresis.
#[derive(Debug, Clone)]
struct HeadReader {
    group: String,
    /// The head's region in the geometry's picture size.
    bounds: [f64; 4],
    confirmed: SignalColour,
    /// The colour seen lately that differs from the confirmed one: since when, frames.
    candidate: Option<(SignalColour, i64, u32)>,
    /// When amber was last seen lit (for flashing).
    last_amber_ms: Option<i64>,
    /// Amber onsets after a short dark gap: two make flashing.
    short_gaps: u32,
    last_raw: SignalColour,
}

impl HeadReader {
    /// The change to record, if this observation confirms one.
    fn observe(
        &mut self,
        raw: SignalColour,
        t_ms: i64,
        config: &VisionConfig,
    ) -> Option<(SignalColour, i64)> {
        if raw == SignalColour::Amber {
            if self.last_raw != SignalColour::Amber
                && self
                    .last_amber_ms
                    .is_some_and(|last| t_ms - last <= config.flash_gap_ms)
            {
                self.short_gaps += 1;
            }
            self.last_amber_ms = Some(t_ms);
        } else if raw != SignalColour::Off
            || self
                .last_amber_ms
                .is_none_or(|last| t_ms - last > config.flash_gap_ms)
        {
            self.short_gaps = 0;
        }
        self.last_raw = raw;
        let flashing = self.short_gaps >= 2
            && self
                .last_amber_ms
                .is_some_and(|last| t_ms - last <= config.flash_gap_ms);
        let seen = if flashing {
            SignalColour::FlashingAmber
        } else if raw == SignalColour::Off && self.confirmed == SignalColour::FlashingAmber {
            // Dark between flashes: still flashing until the gap grows too long.
            match self.last_amber_ms {
                Some(last) if t_ms - last <= config.flash_gap_ms => SignalColour::FlashingAmber,
                _ => raw,
            }
        } else {
            raw
        };
        if seen == self.confirmed {
            self.candidate = None;
            return None;
        }
        let (colour, since, frames) = match self.candidate {
            Some((c, since, n)) if c == seen => (c, since, n + 1),
            _ => (seen, t_ms, 1),
        };
        self.candidate = Some((colour, since, frames));
        let hold = if colour == SignalColour::Off {
            config.confirm_off_ms
        } else {
            config.confirm_ms
        };
        if frames >= 2 && t_ms - since >= hold {
            self.confirmed = colour;
            self.candidate = None;
            return Some((colour, since));
        }
        None
    }
}

/// The signal heads of one camera, read from its frames.
#[derive(Debug)]
pub struct VisionSignals {
    frame: FrameSize,
    config: VisionConfig,
    heads: Mutex<Vec<HeadReader>>,
    timeline: Mutex<SignalTimeline>,
    /// The fresh readers, for a stream that starts over (a file played again).
    initial: Vec<HeadReader>,
    last_t_ms: std::sync::atomic::AtomicI64,
}

impl VisionSignals {
    /// Reads `heads` (regions in a picture of `frame` size); `None` when there are none.
    pub fn new(heads: &[SignalHead], frame: FrameSize, config: VisionConfig) -> Option<Self> {
        let readers: Vec<HeadReader> = heads
            .iter()
            .filter(|h| !h.polygon.is_empty())
            .map(|h| {
                let xs = h.polygon.iter().map(|p| p.x);
                let ys = h.polygon.iter().map(|p| p.y);
                HeadReader {
                    group: h.group.clone(),
                    bounds: [
                        xs.clone().fold(f64::INFINITY, f64::min),
                        ys.clone().fold(f64::INFINITY, f64::min),
                        xs.fold(f64::NEG_INFINITY, f64::max),
                        ys.fold(f64::NEG_INFINITY, f64::max),
                    ],
                    confirmed: SignalColour::Unknown,
                    candidate: None,
                    last_amber_ms: None,
                    short_gaps: 0,
                    last_raw: SignalColour::Unknown,
                }
            })
            .collect();
        (!readers.is_empty()).then(|| Self {
            frame,
            config,
            heads: Mutex::new(readers.clone()),
            timeline: Mutex::new(SignalTimeline::default()),
            initial: readers,
            last_t_ms: std::sync::atomic::AtomicI64::new(i64::MIN),
        })
    }

    /// Reads every head on `frame` (at `t_ms` of the stream's clock).
    pub fn observe(&self, frame: &YuvFrame, t_ms: i64) {
        let (Ok(mut heads), Ok(mut timeline)) = (self.heads.lock(), self.timeline.lock()) else {
            return;
        };
        let last = self
            .last_t_ms
            .swap(t_ms, std::sync::atomic::Ordering::Relaxed);
        if t_ms < last {
            // The stream's clock went back: what was read belongs to another run.
            *heads = self.initial.clone();
            *timeline = SignalTimeline::default();
        }
        let sx = f64::from(frame.width) / f64::from(self.frame.width.max(1));
        let sy = f64::from(frame.height) / f64::from(self.frame.height.max(1));
        for head in heads.iter_mut() {
            let rect = pixel_rect(head.bounds, sx, sy, frame.width, frame.height);
            let raw = classify_region(frame, rect, &self.config);
            if let Some((state, since)) = head.observe(raw, t_ms, &self.config) {
                tracing::debug!(group = %head.group, ?state, t_ms = since, "signal head read");
                timeline.push(SignalChange {
                    t_ms: since,
                    group: head.group.clone(),
                    state,
                });
            }
        }
        timeline.forget_before(t_ms - super::KEPT_HISTORY_MS);
    }
}

impl SignalSource for VisionSignals {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        self.timeline
            .lock()
            .map(|t| t.state_at(group, t_ms))
            .unwrap_or(GroupState::UNKNOWN)
    }
}

/// `bounds` scaled by (`sx`, `sy`) and clamped to a `width × height` picture.
fn pixel_rect(bounds: [f64; 4], sx: f64, sy: f64, width: u32, height: u32) -> (u32, u32, u32, u32) {
    let clamp_x = |v: f64| (v * sx).clamp(0.0, f64::from(width)) as u32;
    let clamp_y = |v: f64| (v * sy).clamp(0.0, f64::from(height)) as u32;
    let (left, top) = (clamp_x(bounds[0]), clamp_y(bounds[1]));
    let (right, bottom) = (clamp_x(bounds[2].ceil()), clamp_y(bounds[3].ceil()));
    (left, top, right - left, bottom - top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geometry::Point;
    use crate::video::{ColourInfo, ColourMatrix};

    /// A dark 64×48 picture with a lamp of `rgb` (BT.601 full range) at 20..28 × 10..18.
    fn picture(rgb: Option<[f32; 3]>, pts_90k: i64) -> YuvFrame {
        let (w, h) = (64u32, 48u32);
        let to_yuv = |[r, g, b]: [f32; 3]| {
            let y = 0.299 * r + 0.587 * g + 0.114 * b;
            let u = (b - y) / 1.772 + 128.0;
            let v = (r - y) / 1.402 + 128.0;
            [y as u8, u as u8, v as u8]
        };
        let dark = to_yuv([30.0, 30.0, 30.0]);
        let mut frame = YuvFrame {
            width: w,
            height: h,
            y: vec![dark[0]; (w * h) as usize],
            u: vec![dark[1]; (w * h / 4) as usize],
            v: vec![dark[2]; (w * h / 4) as usize],
            pts_90k,
            colour: ColourInfo {
                matrix: ColourMatrix::Bt601,
                full_range: true,
            },
        };
        if let Some(rgb) = rgb {
            let [y, u, v] = to_yuv(rgb);
            for row in 10..18 {
                for col in 20..28 {
                    frame.y[row * w as usize + col] = y;
                    frame.u[(row / 2) * (w / 2) as usize + col / 2] = u;
                    frame.v[(row / 2) * (w / 2) as usize + col / 2] = v;
                }
            }
        }
        frame
    }

    const RED: [f32; 3] = [235.0, 40.0, 30.0];
    const AMBER: [f32; 3] = [250.0, 170.0, 20.0];
    const GREEN: [f32; 3] = [40.0, 230.0, 160.0];
    const WHITE: [f32; 3] = [240.0, 240.0, 240.0];

    fn head() -> SignalHead {
        SignalHead {
            group: "A".into(),
            polygon: vec![
                Point { x: 16.0, y: 6.0 },
                Point { x: 32.0, y: 6.0 },
                Point { x: 32.0, y: 22.0 },
                Point { x: 16.0, y: 22.0 },
            ],
        }
    }

    #[test]
    fn a_lit_lamp_is_classified_by_its_hue() {
        let config = VisionConfig::default();
        let rect = (16, 6, 16, 16);
        let classify = |rgb| classify_region(&picture(rgb, 0), rect, &config);
        assert_eq!(classify(Some(RED)), SignalColour::Red);
        assert_eq!(classify(Some(AMBER)), SignalColour::Amber);
        assert_eq!(classify(Some(GREEN)), SignalColour::Green);
        // A white light (a headlamp) and a dark head are no lamp.
        assert_eq!(classify(Some(WHITE)), SignalColour::Off);
        assert_eq!(classify(None), SignalColour::Off);
        // Nothing to look at.
        assert_eq!(
            classify_region(&picture(None, 0), (0, 0, 0, 0), &config),
            SignalColour::Unknown
        );
    }

    /// Feeds `(colour, from_ms, to_ms)` spans at 10 frames a second.
    fn run(vision: &VisionSignals, spans: &[(Option<[f32; 3]>, i64, i64)]) {
        for &(rgb, from, to) in spans {
            let mut t = from;
            while t < to {
                vision.observe(&picture(rgb, t * 90), t);
                t += 100;
            }
        }
    }

    fn vision() -> VisionSignals {
        let frame = FrameSize {
            width: 64,
            height: 48,
        };
        VisionSignals::new(&[head()], frame, VisionConfig::default()).expect("a head")
    }

    #[test]
    fn a_state_is_believed_after_it_holds_and_dated_from_its_first_frame() {
        let v = vision();
        run(&v, &[(Some(GREEN), 0, 5_000), (Some(RED), 5_000, 9_000)]);
        let red = v.state_at("A", 8_000);
        assert_eq!(red.colour, SignalColour::Red);
        assert_eq!(red.since_ms, Some(5_000), "dated from the first red frame");
        assert_eq!(v.state_at("A", 4_000).colour, SignalColour::Green);
        assert_eq!(v.state_at("B", 4_000), GroupState::UNKNOWN);
    }

    #[test]
    fn one_odd_frame_does_not_change_the_state() {
        let v = vision();
        // A red car passes in front of the green head for one frame, then a short blackout.
        run(
            &v,
            &[
                (Some(GREEN), 0, 3_000),
                (Some(RED), 3_000, 3_100),
                (Some(GREEN), 3_100, 4_000),
                (None, 4_000, 4_500),
                (Some(GREEN), 4_500, 6_000),
            ],
        );
        let green = v.state_at("A", 5_900);
        assert_eq!(green.colour, SignalColour::Green);
        assert_eq!(green.since_ms, Some(0), "never left green");
    }

    #[test]
    fn amber_that_blinks_is_flashing_and_a_dark_head_is_off() {
        let v = vision();
        let mut spans = vec![(Some(GREEN), 0, 2_000)];
        for k in 0..6 {
            let start = 2_000 + k * 1_000;
            spans.push((Some(AMBER), start, start + 500));
            spans.push((None, start + 500, start + 1_000));
        }
        spans.push((None, 8_000, 11_000));
        run(&v, &spans);
        assert_eq!(v.state_at("A", 6_700).colour, SignalColour::FlashingAmber);
        assert_eq!(v.state_at("A", 7_300).colour, SignalColour::FlashingAmber);
        assert_eq!(v.state_at("A", 10_900).colour, SignalColour::Off);
    }

    #[test]
    fn regions_scale_with_the_stream_picture() {
        // Geometry drawn on a 128×96 picture, read on the 64×48 sub stream.
        let mut h = head();
        for p in &mut h.polygon {
            p.x *= 2.0;
            p.y *= 2.0;
        }
        let frame = FrameSize {
            width: 128,
            height: 96,
        };
        let v = VisionSignals::new(&[h], frame, VisionConfig::default()).expect("a head");
        run(&v, &[(Some(RED), 0, 1_000)]);
        assert_eq!(v.state_at("A", 900).colour, SignalColour::Red);
    }
}
