//! When a stream's frame is searched, and where: at most the stream's detect rate (in stream
//! time), only when something moves (on the moving regions plus the boxes that moved with them),
//! and the whole picture again after a scene change or every recheck period, so that objects
//! that stopped are still confirmed.
//!
//! A camera with a junction geometry has a *focus*: the area its approaches, lanes and zones
//! cover. Motion there searches that whole area cropped and enlarged (640 by default), where a
//! motorbike at junction distance stays big enough to be found; motion elsewhere is searched at
//! the whole picture's scale, and the whole picture every recheck period.

use super::motion::{Motion, MotionConfig, MotionGate, PixelRect};
use crate::detect::preprocess::{fit_scale, window_for, window_picture_rect};
use crate::detect::search::SearchScale;
use crate::domain::geometry::JunctionGeometry;
use crate::video::YuvFrame;

/// Margin around a junction's drawn area, as a share of the picture's side: vehicles are seen
/// before they reach the first line.
const FOCUS_MARGIN: f64 = 0.04;

/// Most input pixels one search of the focus may cost: 1.5 times the whole picture's 416 × 416
/// (the cost goal of the detector issue). A focus whose shape would exceed it at the configured
/// size is searched a little smaller.
pub const FOCUS_BUDGET_PX: usize = 416 * 416 * 3 / 2;

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
    /// Search `region` (the whole picture when `None`): at the whole picture's scale, or
    /// cropped and fitted at `zoom`.
    Detect {
        region: Option<PixelRect>,
        zoom: Option<SearchScale>,
    },
}

impl Decision {
    /// The whole picture at its own scale.
    pub const WHOLE: Self = Self::Detect {
        region: None,
        zoom: None,
    };
}

/// The part of a camera's picture where its rules judge, searched at a higher scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focus {
    /// Left, top, right, bottom as shares (0–1) of the picture's width and height.
    pub share: [f64; 4],
    pub scale: SearchScale,
}

impl Focus {
    /// The area of `geometry`'s approaches (stop lines and entry directions), lanes, zones,
    /// crosswalks and solid lines, with a margin; `None` when it draws none of them.
    pub fn of_geometry(geometry: &JunctionGeometry, scale: SearchScale) -> Option<Self> {
        let points = geometry
            .approaches
            .iter()
            .flat_map(|a| a.stop_line.iter().chain(&a.entry_direction))
            .chain(geometry.lanes.iter().flat_map(|l| &l.polygon))
            .chain(geometry.zones.iter().flat_map(|z| &z.polygon))
            .chain(geometry.crosswalks.iter().flatten())
            .chain(geometry.solid_lines.iter().flatten());
        let mut bounds: Option<[f64; 4]> = None;
        for p in points {
            let b = bounds.get_or_insert([p.x, p.y, p.x, p.y]);
            *b = [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)];
        }
        let [left, top, right, bottom] = bounds?;
        let (w, h) = (
            f64::from(geometry.frame.width.max(1)),
            f64::from(geometry.frame.height.max(1)),
        );
        let share = [
            (left / w - FOCUS_MARGIN).clamp(0.0, 1.0),
            (top / h - FOCUS_MARGIN).clamp(0.0, 1.0),
            (right / w + FOCUS_MARGIN).clamp(0.0, 1.0),
            (bottom / h + FOCUS_MARGIN).clamp(0.0, 1.0),
        ];
        (share[2] > share[0] && share[3] > share[1]).then_some(Self { share, scale })
    }

    /// The focus in pixels of a `width × height` picture.
    pub fn rect(&self, width: u32, height: u32) -> PixelRect {
        let at = |share: f64, full: u32| ((share * f64::from(full)).round() as u32).min(full);
        let mut rect = PixelRect {
            left: at(self.share[0], width),
            top: at(self.share[1], height),
            right: at(self.share[2], width),
            bottom: at(self.share[3], height),
        };
        rect.right = rect.right.max((rect.left + 1).min(width));
        rect.bottom = rect.bottom.max((rect.top + 1).min(height));
        rect
    }
}

/// The scheduling state of one stream.
#[derive(Debug, Clone)]
pub struct Scheduler {
    config: ScheduleConfig,
    gate: MotionGate,
    next_due: Option<i64>,
    last_whole: Option<i64>,
    focus: Option<Focus>,
    /// The focus in pixels and its scale within the budget, for the picture size they were
    /// worked out for (kept: they change only with the focus or the size).
    focus_search: Option<((u32, u32), PixelRect, SearchScale)>,
}

impl Scheduler {
    pub fn new(config: ScheduleConfig) -> Self {
        Self {
            gate: MotionGate::new(config.motion),
            config,
            next_due: None,
            last_whole: None,
            focus: None,
            focus_search: None,
        }
    }

    /// Sets (or clears) the area searched at a higher scale when something moves in it.
    pub fn set_focus(&mut self, focus: Option<Focus>) {
        if focus != self.focus {
            self.focus = focus;
            self.focus_search = None;
        }
    }

    /// The focus's rectangle in a `width × height` picture and the scale it is searched at.
    fn focus_search(&mut self, width: u32, height: u32) -> Option<(PixelRect, SearchScale)> {
        let focus = self.focus?;
        match self.focus_search {
            Some((size, rect, scale)) if size == (width, height) => Some((rect, scale)),
            _ => {
                let rect = focus.rect(width, height);
                let (w, h) = (rect.width() as usize, rect.height() as usize);
                let scale = focus.scale.within(w, h, FOCUS_BUDGET_PX);
                self.focus_search = Some(((width, height), rect, scale));
                Some((rect, scale))
            }
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
        let recheck = (self.config.recheck_s * TICKS_PER_SECOND) as i64;
        let due_whole = self.last_whole.is_none_or(|at| pts - at >= recheck);
        let (width, height) = (frame.width, frame.height);
        let focus = self.focus_search(width, height);
        let zoomed = |rect: PixelRect, scale: SearchScale| Decision::Detect {
            region: Some(rect),
            zoom: Some(scale),
        };
        if !self.config.motion_gate {
            return match focus {
                Some((rect, scale)) if !due_whole => zoomed(rect, scale),
                _ => {
                    self.last_whole = Some(pts);
                    Decision::WHOLE
                }
            };
        }
        let motion = self.gate.observe(&frame.y, width, height);
        let regions = match motion {
            Motion::Warmup | Motion::SceneChange => None,
            _ if due_whole => None,
            Motion::Still => return Decision::SkipStill,
            Motion::Moving(regions) => Some(regions),
        };
        let Some(regions) = regions else {
            self.last_whole = Some(pts);
            return Decision::WHOLE;
        };
        if let Some((rect, scale)) = focus
            && regions.iter().any(|r| r.intersects(&rect))
        {
            return zoomed(rect, scale);
        }
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
            Decision::WHOLE
        } else {
            Decision::Detect {
                region: Some(region),
                zoom: None,
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
        assert_eq!(decisions[0], Decision::WHOLE);
        assert_eq!(decisions[1], Decision::SkipRate);
        // The file starts over at 0.
        assert_eq!(s.decide(&frame(0.0, None), &[]), Decision::WHOLE);
    }

    #[test]
    fn still_frames_are_skipped_until_the_recheck_and_motion_is_searched_where_it_is() {
        let mut s = Scheduler::new(ScheduleConfig::default());
        assert_eq!(s.decide(&frame(0.0, None), &[]), Decision::WHOLE, "warm-up");
        assert_eq!(s.decide(&frame(0.2, None), &[]), Decision::SkipStill);
        let parked = [100.0, 100.0, 160.0, 160.0];
        let far = [1100.0, 600.0, 1180.0, 700.0];
        let Decision::Detect {
            region: Some(region),
            zoom: None,
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
                Decision::WHOLE => {
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

    /// A junction drawn in the picture's middle: x 400–900, y 200–500 at 1280 × 720.
    fn focus() -> Focus {
        let geometry = JunctionGeometry::from_json(
            r#"{"version": 1, "camera": "T", "frame": {"width": 1280, "height": 720},
              "approaches": [{"id": "N", "stop_line": [{"x": 400, "y": 300}, {"x": 900, "y": 300}],
                "entry_direction": [{"x": 650, "y": 500}, {"x": 650, "y": 200}], "signal_group": "A"}]}"#,
        )
        .unwrap();
        Focus::of_geometry(&geometry, SearchScale::parse("640").unwrap()).unwrap()
    }

    #[test]
    fn the_focus_is_the_drawn_area_with_a_margin() {
        let f = focus();
        // 4 % of 1280 is 51.2 px, of 720 is 28.8 px.
        assert_eq!(
            f.rect(W, H),
            PixelRect {
                left: 349,
                top: 171,
                right: 951,
                bottom: 529
            }
        );
        // The same shares in a picture of another size (the sub-stream).
        assert_eq!(f.rect(640, 360).left, 174);
        let empty = JunctionGeometry::from_json(
            r#"{"version": 1, "camera": "T", "frame": {"width": 1280, "height": 720}, "approaches": []}"#,
        )
        .unwrap();
        assert_eq!(Focus::of_geometry(&empty, f.scale), None);
    }

    #[test]
    fn motion_in_the_focus_searches_it_enlarged_and_motion_elsewhere_at_the_pictures_scale() {
        let mut s = Scheduler::new(ScheduleConfig::default());
        s.set_focus(Some(focus()));
        assert_eq!(s.decide(&frame(0.0, None), &[]), Decision::WHOLE, "warm-up");
        assert_eq!(s.decide(&frame(0.2, None), &[]), Decision::SkipStill);
        assert_eq!(
            s.decide(&frame(0.4, Some((600, 300))), &[]),
            Decision::Detect {
                region: Some(focus().rect(W, H)),
                zoom: Some(focus().scale),
            }
        );
        let Decision::Detect {
            region: Some(region),
            zoom: None,
        } = s.decide(&frame(0.6, Some((1100, 600))), &[])
        else {
            panic!("motion outside the focus is searched where it is");
        };
        assert!(region.contains_point(1130.0, 630.0), "{region:?}");

        // Without the motion gate: the focus at every search, the whole picture every recheck.
        let mut s = Scheduler::new(ScheduleConfig {
            motion_gate: false,
            ..ScheduleConfig::default()
        });
        s.set_focus(Some(focus()));
        let decisions: Vec<_> = (0..30)
            .map(|i| s.decide(&frame(f64::from(i) * 0.2, None), &[]))
            .collect();
        let whole: Vec<usize> = (0..30)
            .filter(|&i| decisions[i] == Decision::WHOLE)
            .collect();
        assert_eq!(whole, vec![0, 25], "at 0 s and 5 s");
        assert!(
            decisions
                .iter()
                .filter(|d| **d != Decision::WHOLE)
                .all(|d| matches!(d, Decision::Detect { zoom: Some(_), .. }))
        );
    }

    #[test]
    fn motion_over_most_of_the_picture_searches_the_whole_picture() {
        let mut s = Scheduler::new(ScheduleConfig::default());
        s.decide(&frame(0.0, None), &[]);
        let boxes = [[0.0, 0.0, 1100.0, 700.0]];
        assert_eq!(
            s.decide(&frame(0.2, Some((300, 300))), &boxes),
            Decision::WHOLE,
            "the moving box covers more than three quarters of the picture"
        );
    }
}
