//! Motion gating: the luma of each analysed frame, averaged into a coarse grid of cells, is
//! compared with a slowly adapting background; cells that differ form regions (connected
//! groups of cells), in picture pixels. A change over most of the picture (lights, a moved or
//! covered camera) is reported as a scene change and the background restarts from it.

/// A rectangle in picture pixels, `[left, top)` to `[right, bottom)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl PixelRect {
    pub fn width(&self) -> u32 {
        self.right.saturating_sub(self.left)
    }

    pub fn height(&self) -> u32 {
        self.bottom.saturating_sub(self.top)
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width()) * u64::from(self.height())
    }

    pub fn union(&self, other: &Self) -> Self {
        Self {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
        }
    }

    pub fn intersects(&self, other: &Self) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }

    pub fn contains_point(&self, x: f32, y: f32) -> bool {
        x >= self.left as f32
            && x < self.right as f32
            && y >= self.top as f32
            && y < self.bottom as f32
    }

    /// The rectangle around a box `[x1, y1, x2, y2]`, clamped to a `width × height` picture.
    pub fn around_box(bbox: [f32; 4], width: u32, height: u32) -> Self {
        let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
        Self {
            left: clamp(bbox[0].floor(), width),
            top: clamp(bbox[1].floor(), height),
            right: clamp(bbox[2].ceil(), width),
            bottom: clamp(bbox[3].ceil(), height),
        }
    }

    /// Grown by `margin` on each side and to at least `min_w × min_h` around its centre,
    /// kept inside a `width × height` picture.
    pub fn grown(&self, margin: u32, min_w: u32, min_h: u32, width: u32, height: u32) -> Self {
        let mut left = self.left.saturating_sub(margin);
        let mut top = self.top.saturating_sub(margin);
        let mut right = (self.right + margin).min(width);
        let mut bottom = (self.bottom + margin).min(height);
        let fit = |lo: &mut u32, hi: &mut u32, min: u32, max: u32| {
            let min = min.min(max);
            if *hi - *lo < min {
                let centre = (*lo + *hi) / 2;
                *lo = centre.saturating_sub(min / 2).min(max - min);
                *hi = *lo + min;
            }
        };
        fit(&mut left, &mut right, min_w, width);
        fit(&mut top, &mut bottom, min_h, height);
        Self {
            left,
            top,
            right,
            bottom,
        }
    }
}

/// What the gate saw in a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Motion {
    /// The first frame (or the first of a new size): no background yet.
    Warmup,
    Still,
    Moving(Vec<PixelRect>),
    /// Most of the picture changed at once.
    SceneChange,
}

/// Tuning of the gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionConfig {
    /// Cells across the picture (fewer for pictures narrower than 4 pixels a cell).
    pub columns: u32,
    /// Luma difference (0–255) that makes a cell moving.
    pub threshold: f32,
    /// Smallest region, in cells; smaller ones are noise.
    pub min_cells: usize,
    /// Share of the difference the background takes in at each frame.
    pub adaptation: f32,
    /// Share of moving cells above which the whole scene changed.
    pub scene_change: f32,
}

impl Default for MotionConfig {
    fn default() -> Self {
        Self {
            columns: 64,
            threshold: 14.0,
            min_cells: 2,
            adaptation: 0.08,
            scene_change: 0.6,
        }
    }
}

/// The background model of one stream.
#[derive(Debug, Clone)]
pub struct MotionGate {
    config: MotionConfig,
    size: (u32, u32),
    grid: (u32, u32),
    background: Vec<f32>,
}

impl MotionGate {
    pub fn new(config: MotionConfig) -> Self {
        Self {
            config,
            size: (0, 0),
            grid: (0, 0),
            background: Vec::new(),
        }
    }

    /// Compares the luma plane (`width × height`, row-major) with the background and updates it.
    pub fn observe(&mut self, luma: &[u8], width: u32, height: u32) -> Motion {
        if width == 0 || height == 0 || luma.len() < (width * height) as usize {
            return Motion::Warmup;
        }
        let cells = cell_means(luma, width, height, self.config.columns);
        if self.size != (width, height) || self.background.len() != cells.values.len() {
            self.size = (width, height);
            self.grid = (cells.columns, cells.rows);
            self.background = cells.values;
            return Motion::Warmup;
        }
        let moving: Vec<bool> = cells
            .values
            .iter()
            .zip(&self.background)
            .map(|(c, b)| (c - b).abs() > self.config.threshold)
            .collect();
        let share = moving.iter().filter(|m| **m).count() as f32 / moving.len() as f32;
        if share > self.config.scene_change {
            self.background = cells.values;
            return Motion::SceneChange;
        }
        let rate = self.config.adaptation;
        for (b, c) in self.background.iter_mut().zip(&cells.values) {
            *b += rate * (c - *b);
        }
        let regions = self.regions(&moving);
        if regions.is_empty() {
            Motion::Still
        } else {
            Motion::Moving(regions)
        }
    }

    /// Connected groups (8-neighbour) of moving cells as pixel rectangles, one cell larger
    /// on each side.
    fn regions(&self, moving: &[bool]) -> Vec<PixelRect> {
        let (columns, rows) = (self.grid.0 as usize, self.grid.1 as usize);
        let (width, height) = self.size;
        let mut seen = vec![false; moving.len()];
        let mut regions = Vec::new();
        for start in 0..moving.len() {
            if !moving[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let (mut min_c, mut min_r, mut max_c, mut max_r) = (columns, rows, 0, 0);
            let mut count = 0;
            while let Some(i) = stack.pop() {
                count += 1;
                let (c, r) = (i % columns, i / columns);
                (min_c, max_c) = (min_c.min(c), max_c.max(c));
                (min_r, max_r) = (min_r.min(r), max_r.max(r));
                for dr in -1i64..=1 {
                    for dc in -1i64..=1 {
                        let (nc, nr) = (c as i64 + dc, r as i64 + dr);
                        if nc < 0 || nr < 0 || nc >= columns as i64 || nr >= rows as i64 {
                            continue;
                        }
                        let n = nr as usize * columns + nc as usize;
                        if moving[n] && !seen[n] {
                            seen[n] = true;
                            stack.push(n);
                        }
                    }
                }
            }
            if count < self.config.min_cells {
                continue;
            }
            let x = |c: usize| ((c as u64 * u64::from(width)) / columns as u64) as u32;
            let y = |r: usize| ((r as u64 * u64::from(height)) / rows as u64) as u32;
            regions.push(PixelRect {
                left: x(min_c.saturating_sub(1)),
                top: y(min_r.saturating_sub(1)),
                right: x((max_c + 2).min(columns)),
                bottom: y((max_r + 2).min(rows)),
            });
        }
        regions
    }
}

pub(crate) struct Cells {
    pub columns: u32,
    pub rows: u32,
    pub values: Vec<f32>,
}

/// Mean luma of each cell of a grid about `columns` wide with square-ish cells, sampling
/// every second pixel of every second row.
pub(crate) fn cell_means(luma: &[u8], width: u32, height: u32, columns: u32) -> Cells {
    let columns = columns.clamp(1, (width / 4).max(1));
    let rows = ((u64::from(height) * u64::from(columns)) / u64::from(width))
        .clamp(1, u64::from(height)) as u32;
    let mut sums = vec![0u32; (columns * rows) as usize];
    let mut counts = vec![0u32; sums.len()];
    for y in (0..height).step_by(2) {
        let row = ((u64::from(y) * u64::from(rows)) / u64::from(height)) as u32;
        let line = &luma[(y * width) as usize..((y + 1) * width) as usize];
        for x in (0..width).step_by(2) {
            let column = ((u64::from(x) * u64::from(columns)) / u64::from(width)) as u32;
            let cell = (row * columns + column) as usize;
            sums[cell] += u32::from(line[x as usize]);
            counts[cell] += 1;
        }
    }
    let values = sums
        .iter()
        .zip(&counts)
        .map(|(s, n)| if *n == 0 { 0.0 } else { *s as f32 / *n as f32 })
        .collect();
    Cells {
        columns,
        rows,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 320;
    const H: u32 = 180;

    fn picture(squares: &[(u32, u32, u32)]) -> Vec<u8> {
        let mut luma = vec![60u8; (W * H) as usize];
        for &(left, top, side) in squares {
            for y in top..(top + side).min(H) {
                for x in left..(left + side).min(W) {
                    luma[(y * W + x) as usize] = 200;
                }
            }
        }
        luma
    }

    #[test]
    fn a_still_scene_is_still_and_a_moving_square_is_one_region_around_it() {
        let mut gate = MotionGate::new(MotionConfig::default());
        assert_eq!(gate.observe(&picture(&[]), W, H), Motion::Warmup);
        assert_eq!(gate.observe(&picture(&[]), W, H), Motion::Still);
        let Motion::Moving(regions) = gate.observe(&picture(&[(100, 60, 30)]), W, H) else {
            panic!("the square moved in");
        };
        assert_eq!(regions.len(), 1);
        let r = regions[0];
        assert!(
            r.left <= 100 && r.top <= 60 && r.right >= 130 && r.bottom >= 90,
            "{r:?}"
        );
        assert!(
            r.width() <= 30 + 4 * 5 && r.height() <= 30 + 4 * 5,
            "tight: {r:?}"
        );
    }

    #[test]
    fn two_separate_movers_give_two_regions_and_tiny_noise_gives_none() {
        let mut gate = MotionGate::new(MotionConfig::default());
        gate.observe(&picture(&[]), W, H);
        let Motion::Moving(regions) = gate.observe(&picture(&[(10, 10, 25), (250, 120, 40)]), W, H)
        else {
            panic!("two squares");
        };
        assert_eq!(regions.len(), 2, "{regions:?}");
        assert!(!regions[0].intersects(&regions[1]));
        let mut gate = MotionGate::new(MotionConfig::default());
        gate.observe(&picture(&[]), W, H);
        // One bright pixel changes a single cell's mean by far less than the threshold.
        let mut speck = picture(&[]);
        speck[(90 * W + 90) as usize] = 255;
        assert_eq!(gate.observe(&speck, W, H), Motion::Still);
    }

    #[test]
    fn an_object_that_stops_fades_into_the_background() {
        let mut gate = MotionGate::new(MotionConfig::default());
        gate.observe(&picture(&[]), W, H);
        let parked = picture(&[(100, 60, 40)]);
        assert!(matches!(gate.observe(&parked, W, H), Motion::Moving(_)));
        let frames_to_still = (0..200)
            .position(|_| gate.observe(&parked, W, H) == Motion::Still)
            .expect("absorbed");
        assert!((5..60).contains(&frames_to_still), "{frames_to_still}");
    }

    #[test]
    fn a_covered_camera_is_a_scene_change_and_a_new_size_starts_over() {
        let mut gate = MotionGate::new(MotionConfig::default());
        gate.observe(&picture(&[]), W, H);
        let white = vec![230u8; (W * H) as usize];
        assert_eq!(gate.observe(&white, W, H), Motion::SceneChange);
        assert_eq!(
            gate.observe(&white, W, H),
            Motion::Still,
            "background restarted"
        );
        let small = vec![60u8; 64 * 36];
        assert_eq!(gate.observe(&small, 64, 36), Motion::Warmup);
        assert_eq!(gate.observe(&[], 0, 0), Motion::Warmup);
    }

    #[test]
    fn rectangles_grow_to_a_minimum_inside_the_picture() {
        let r = PixelRect {
            left: 5,
            top: 5,
            right: 25,
            bottom: 15,
        };
        let g = r.grown(8, 100, 60, 320, 180);
        assert_eq!((g.left, g.top, g.width(), g.height()), (0, 0, 100, 60));
        let edge = PixelRect {
            left: 300,
            top: 170,
            right: 318,
            bottom: 179,
        };
        let g = edge.grown(0, 100, 60, 320, 180);
        assert_eq!(
            (g.right, g.bottom, g.width(), g.height()),
            (320, 180, 100, 60)
        );
        let big = PixelRect {
            left: 0,
            top: 0,
            right: 320,
            bottom: 180,
        };
        assert_eq!(big.grown(10, 500, 500, 320, 180), big);
        assert_eq!(
            PixelRect::around_box([-5.0, 10.2, 50.5, 400.0], 320, 180).bottom,
            180
        );
    }
}
