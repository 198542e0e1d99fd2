//! When a stream's frame is searched, and where: at most the stream's detect rate (in stream
//! time), only when something moves (on the moving regions plus the boxes that moved with them),
//! and the whole picture again after a scene change or every recheck period, so that objects
//! that stopped are still confirmed.

use super::motion::{Motion, MotionConfig, MotionGate, PixelRect};
use crate::detect::preprocess::{fit_scale, window_for, window_picture_rect};
use crate::video::YuvFrame;

const TICKS_PER_SECOND: f64 = 90_000.0;

/// Smallest side of a searched region, in network input pixels.
const MIN_REGION_INPUT_PX: f64 = 96.0;

/// How a stream is scheduled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleConfig {
    /// Frames searched per second of stream time.
    pub rate_fps: f64,
    /// Skip still frames and search only around motion.
    pub motion_gate: bool,
    /// Seconds after which a still picture is searched whole again.
    pub recheck_s: f64,
    /// A region larger than this share of the picture is searched as the whole picture.
    pub whole_picture_share: f64,
    pub motion: MotionConfig,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            rate_fps: 5.0,
            motion_gate: true,
            recheck_s: 5.0,
            whole_picture_share: 0.75,
            motion: MotionConfig::default(),
        }
    }
}

/// Why a frame is or is not searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sooner than the detect rate allows.
    SkipRate,
    /// Nothing moved.
    SkipStill,
    /// Search `region` (the whole picture when `None`).
    Detect { region: Option<PixelRect> },
}

/// The scheduling state of one stream.
#[derive(Debug, Clone)]
pub struct Scheduler {
    config: ScheduleConfig,
    gate: MotionGate,
    next_due: Option<i64>,
    last_whole: Option<i64>,
}

impl Scheduler {
    pub fn new(config: ScheduleConfig) -> Self {
        Self {
            gate: MotionGate::new(config.motion),
            config,
            next_due: None,
            last_whole: None,
        }
    }

    pub fn config(&self) -> &ScheduleConfig {
        &self.config
    }

    /// Decides for `frame`; `boxes` are the objects currently known in the stream (their
    /// boxes join a searched region when motion touches them).
    pub fn decide(&mut self, frame: &YuvFrame, boxes: &[[f32; 4]]) -> Decision {
        let pts = frame.pts_90k;
        let interval = (TICKS_PER_SECOND / self.config.rate_fps.max(0.01)).round() as i64;
        // Time going backwards (a file starting over, a camera restarting) resets the clock.
        if self.next_due.is_some_and(|due| pts < due - interval) {
            self.next_due = None;
            self.last_whole = None;
        }
        if self.next_due.is_some_and(|due| pts < due) {
            return Decision::SkipRate;
        }
        self.next_due = Some(pts + interval);
        if !self.config.motion_gate {
            return Decision::Detect { region: None };
        }
        let motion = self.gate.observe(&frame.y, frame.width, frame.height);
        let recheck = (self.config.recheck_s * TICKS_PER_SECOND) as i64;
        let due_whole = self.last_whole.is_none_or(|at| pts - at >= recheck);
        let regions = match motion {
            Motion::Warmup | Motion::SceneChange => None,
            _ if due_whole => None,
            Motion::Still => return Decision::SkipStill,
            Motion::Moving(regions) => Some(regions),
        };
        let Some(regions) = regions else {
            self.last_whole = Some(pts);
            return Decision::Detect { region: None };
        };
        let (width, height) = (frame.width, frame.height);
        let mut region = regions[0];
        for r in &regions[1..] {
            region = region.union(r);
        }
        for bbox in boxes {
            let around = PixelRect::around_box(*bbox, width, height);
            if regions.iter().any(|r| r.intersects(&around)) {
                region = region.union(&around);
            }
        }
        // Some context around the motion, and at least three cells of the network's coarsest
        // grid (96 input pixels at the whole picture's scale) each way.
        let scale = fit_scale(width as usize, height as usize);
        let side = |full: u32| ((MIN_REGION_INPUT_PX / scale).ceil() as u32).min(full);
        let region = region.grown(16, side(width), side(height), width, height);
        // Snapped outwards to the network's grid: what the search will really look at.
        let (w, h) = (width as usize, height as usize);
        let window = window_for(
            (
                region.left as usize,
                region.top as usize,
                region.right as usize,
                region.bottom as usize,
            ),
            w,
            h,
        );
        let (left, top, right, bottom) = window_picture_rect(window, w, h);
        let region = PixelRect {
            left: left as u32,
            top: top as u32,
            right: right as u32,
            bottom: bottom as u32,
        };
        let whole = u64::from(width) * u64::from(height);
        if region.area() as f64 > self.config.whole_picture_share * whole as f64 {
            self.last_whole = Some(pts);
            Decision::Detect { region: None }
        } else {
            Decision::Detect {
                region: Some(region),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{ColourInfo, ColourMatrix};

    const W: u32 = 1280;
    const H: u32 = 720;

    fn frame(pts_s: f64, square_at: Option<(u32, u32)>) -> YuvFrame {
        let mut y = vec![50u8; (W * H) as usize];
        if let Some((left, top)) = square_at {
            for row in top..top + 60 {
                for col in left..left + 60 {
                    y[(row * W + col) as usize] = 220;
                }
            }
        }
        YuvFrame {
            width: W,
            height: H,
            y,
            u: vec![128; (W * H / 4) as usize],
            v: vec![128; (W * H / 4) as usize],
            pts_90k: (pts_s * TICKS_PER_SECOND).round() as i64,
            colour: ColourInfo {
                matrix: ColourMatrix::Bt709,
                full_range: false,
            },
        }
    }

    #[test]
    fn the_rate_limits_searches_in_stream_time_and_restarts_when_time_goes_back() {
        let mut s = Scheduler::new(ScheduleConfig {
            motion_gate: false,
            ..ScheduleConfig::default()
        });
        let decisions: Vec<_> = (0..10)
            .map(|i| s.decide(&frame(f64::from(i) * 0.1, None), &[]))
            .collect();
        let searched = decisions
            .iter()
            .filter(|d| **d != Decision::SkipRate)
            .count();
        assert_eq!(searched, 5, "10 fps searched at 5 fps: {decisions:?}");
        assert_eq!(decisions[0], Decision::Detect { region: None });
        assert_eq!(decisions[1], Decision::SkipRate);
        // The file starts over at 0.
        assert_eq!(
            s.decide(&frame(0.0, None), &[]),
            Decision::Detect { region: None }
        );
    }

    #[test]
    fn still_frames_are_skipped_until_the_recheck_and_motion_is_searched_where_it_is() {
        let mut s = Scheduler::new(ScheduleConfig::default());
        assert_eq!(
            s.decide(&frame(0.0, None), &[]),
            Decision::Detect { region: None },
            "warm-up"
        );
        assert_eq!(s.decide(&frame(0.2, None), &[]), Decision::SkipStill);
        let parked = [100.0, 100.0, 160.0, 160.0];
        let far = [1100.0, 600.0, 1180.0, 700.0];
        let Decision::Detect {
            region: Some(region),
        } = s.decide(&frame(0.4, Some((130, 130))), &[parked, far])
        else {
            panic!("motion at (130, 130) is searched around it");
        };
        assert!(region.contains_point(100.0, 100.0) && region.contains_point(189.0, 189.0));
        assert!(
            !region.contains_point(1150.0, 650.0),
            "the far box did not move: {region:?}"
        );
        // At least 96 input pixels: 96 × 1280 / 416 = 296 picture pixels.
        assert!(
            region.width() >= 295 && region.area() < u64::from(W * H) / 2,
            "{region:?}"
        );
        // Nothing moves any more: still, until five seconds after the last whole search.
        let mut whole_at = None;
        for step in 3..30 {
            let t = f64::from(step) * 0.2;
            match s.decide(&frame(t, Some((130, 130))), &[]) {
                Decision::Detect { region: None } => {
                    whole_at = Some(t);
                    break;
                }
                Decision::SkipRate => panic!("one frame per 0.2 s is never too soon"),
                _ => {}
            }
        }
        let whole_at = whole_at.expect("a recheck within 6 s");
        assert!((4.9..5.3).contains(&whole_at), "{whole_at}");
    }

    #[test]
    fn motion_over_most_of_the_picture_searches_the_whole_picture() {
        let mut s = Scheduler::new(ScheduleConfig::default());
        s.decide(&frame(0.0, None), &[]);
        let boxes = [[0.0, 0.0, 1100.0, 700.0]];
        assert_eq!(
            s.decide(&frame(0.2, Some((300, 300))), &boxes),
            Decision::Detect { region: None },
            "the moving box covers more than three quarters of the picture"
        );
    }
}
