//! Searching part of a picture at the scale its objects need: the region (a junction's
//! approaches, or the whole picture) is cut into overlapping tiles, each tile fitted into an
//! input of the chosen size, and the boxes of all tiles joined.
//!
//! A fixed junction camera sees a motorbike as 10–30 pixels; fitting 1280 × 720 into 416 makes
//! that 3–10 input pixels, below what the network's finest grid (stride 8) finds. Searching
//! the junction's region at 640, or in tiles, keeps such objects near their own size.

use super::detector::ObjectDetection;
use super::postprocess::{intersection, iou};

/// Overlap of neighbouring tiles, as a share of a tile's side: wider than a motorbike at
/// junction distance, so that one cut by a tile's edge is whole in its neighbour.
const TILE_OVERLAP: f64 = 0.15;

/// Boxes of one class overlapping more than this are one object (the detector's NMS IoU).
const JOIN_IOU: f32 = 0.45;

/// A box that lies this much inside a higher-scoring box of its class, and touches a tile's
/// inner edge, is that object cut by the edge.
const CUT_CONTAINED: f32 = 0.6;

/// A rectangle of picture pixels: left, top, right, bottom (right and bottom excluded).
pub type Span = (usize, usize, usize, usize);

/// How a region is searched: `columns × rows` tiles, each fitted into `input × input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct SearchScale {
    /// Side of the network input a tile is fitted into (a multiple of 32).
    pub input: usize,
    pub columns: usize,
    pub rows: usize,
}

/// A search scale that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "search scale {given:?} is not SIZE or SIZE:COLUMNSxROWS with SIZE a multiple of 32 from 128 \
     to 1280 and at most 4×4 tiles (for example 416, 640 or 640:2x1)"
)]
pub struct SearchScaleError {
    pub given: String,
}

impl SearchScale {
    /// The whole region fitted into 416 × 416: what YOLOX-nano was trained at.
    pub const DEFAULT: Self = Self {
        input: 416,
        columns: 1,
        rows: 1,
    };

    /// The junction's area fitted into 640 × 640: measured on vn-vehicles/valid, it found 49 %
    /// of the motorbikes where 416 found 28 %, for 1.6 times the time (docs/detector.md).
    pub const FOCUS: Self = Self {
        input: 640,
        columns: 1,
        rows: 1,
    };

    /// `416`, `640` or `640:2x1` (two columns, one row).
    pub fn parse(text: &str) -> Result<Self, SearchScaleError> {
        let error = || SearchScaleError {
            given: text.to_owned(),
        };
        let (size, tiles) = text.trim().split_once(':').unwrap_or((text.trim(), "1x1"));
        let input: usize = size.parse().map_err(|_| error())?;
        let (columns, rows) = tiles.split_once(['x', '×']).ok_or_else(error)?;
        let columns: usize = columns.parse().map_err(|_| error())?;
        let rows: usize = rows.parse().map_err(|_| error())?;
        let fits = input.is_multiple_of(32)
            && (128..=1280).contains(&input)
            && (1..=4).contains(&columns)
            && (1..=4).contains(&rows);
        if fits {
            Ok(Self {
                input,
                columns,
                rows,
            })
        } else {
            Err(error())
        }
    }

    /// Tiles (left, top, right, bottom) that cover `region`, overlapping by [`TILE_OVERLAP`].
    pub fn tiles(&self, (left, top, right, bottom): Span) -> Vec<Span> {
        let spans = |lo: usize, hi: usize, count: usize| -> Vec<(usize, usize)> {
            let len = hi.saturating_sub(lo) as f64;
            let count = count.max(1);
            // count tiles of side t with overlap o·t: count·t − (count − 1)·o·t = len.
            let side = len / (count as f64 - (count as f64 - 1.0) * TILE_OVERLAP);
            let step = side * (1.0 - TILE_OVERLAP);
            (0..count)
                .map(|i| {
                    let start = lo + (i as f64 * step).floor() as usize;
                    let end = if i + 1 == count {
                        hi
                    } else {
                        (lo + (i as f64 * step + side).ceil() as usize).min(hi)
                    };
                    (start, end.max(start + 1).min(hi.max(start + 1)))
                })
                .collect()
        };
        let columns = spans(left, right, self.columns);
        let rows = spans(top, bottom, self.rows);
        rows.iter()
            .flat_map(|&(t, b)| columns.iter().map(move |&(l, r)| (l, t, r, b)))
            .collect()
    }

    /// Input pixels one search of a `width × height` region costs (the network's cost grows
    /// with them): each tile's input is cut to the tile's extent on the 32-pixel grid.
    pub fn input_pixels(&self, width: usize, height: usize) -> usize {
        self.tiles((0, 0, width, height))
            .iter()
            .map(|&(l, t, r, b)| {
                let (w, h) = super::preprocess::input_extent(r - l, b - t, self.input);
                w * h
            })
            .sum()
    }
}

impl SearchScale {
    /// This scale, its input side lowered (in steps of 32, not below 128) until one search of a
    /// `width × height` region costs at most `budget` input pixels.
    pub fn within(self, width: usize, height: usize, budget: usize) -> Self {
        let mut scale = self;
        while scale.input > 128 && scale.input_pixels(width, height) > budget {
            scale.input -= 32;
        }
        scale
    }
}

impl TryFrom<String> for SearchScale {
    type Error = SearchScaleError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl std::fmt::Display for SearchScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if (self.columns, self.rows) == (1, 1) {
            write!(f, "{}", self.input)
        } else {
            write!(f, "{}:{}x{}", self.input, self.columns, self.rows)
        }
    }
}

/// The boxes of several tiles (each with the tile it came from) as one set: boxes of one class
/// that overlap are one object (the higher score stays), and a box that touches an inner edge
/// of its tile and lies mostly inside a better box of its class is that object, cut.
pub fn join_tiles(found: Vec<(ObjectDetection, Span)>, region: Span) -> Vec<ObjectDetection> {
    let mut found: Vec<_> = found
        .into_iter()
        .filter(|(d, _)| d.score.is_finite() && d.bbox.iter().all(|v| v.is_finite()))
        .collect();
    found.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
    let mut kept: Vec<ObjectDetection> = Vec::new();
    for (candidate, tile) in found {
        let cut = touches_inner_edge(&candidate.bbox, tile, region);
        let same = kept.iter().any(|k| {
            k.class == candidate.class
                && (iou(&k.bbox, &candidate.bbox) > JOIN_IOU
                    || (cut && inside_share(&candidate.bbox, &k.bbox) > CUT_CONTAINED))
        });
        if !same {
            kept.push(candidate);
        }
    }
    kept
}

/// Whether `bbox` reaches (within 2 pixels) an edge of `tile` that is not an edge of `region`.
fn touches_inner_edge(bbox: &[f32; 4], (left, top, right, bottom): Span, region: Span) -> bool {
    let near = |v: f32, edge: usize| (v - edge as f32).abs() <= 2.0;
    (left != region.0 && near(bbox[0], left))
        || (top != region.1 && near(bbox[1], top))
        || (right != region.2 && near(bbox[2], right))
        || (bottom != region.3 && near(bbox[3], bottom))
}

/// The share of `inner`'s area that lies inside `outer`.
fn inside_share(inner: &[f32; 4], outer: &[f32; 4]) -> f32 {
    let area = (inner[2] - inner[0]).max(0.0) * (inner[3] - inner[1]).max(0.0);
    if area > 0.0 {
        intersection(inner, outer) / area
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;

    fn car(score: f32, bbox: [f32; 4]) -> ObjectDetection {
        ObjectDetection {
            class: ObjectClass::Car,
            score,
            bbox,
        }
    }

    #[test]
    fn scales_parse_and_print_back() {
        for text in ["416", "640", "640:2x1", "416:3x2"] {
            let scale = SearchScale::parse(text).unwrap();
            assert_eq!(scale.to_string(), text);
        }
        assert_eq!(
            SearchScale::parse("640:2×2").unwrap(),
            SearchScale {
                input: 640,
                columns: 2,
                rows: 2
            }
        );
        for bad in [
            "", "415", "64", "2048", "640:0x1", "640:5x1", "640:2", "big",
        ] {
            let error = SearchScale::parse(bad).unwrap_err().to_string();
            assert!(error.contains("640:2x1"), "{bad}: {error}");
        }
    }

    #[test]
    fn tiles_cover_the_region_and_overlap() {
        let scale = SearchScale::parse("640:2x2").unwrap();
        let tiles = scale.tiles((100, 50, 1380, 770));
        assert_eq!(tiles.len(), 4);
        // Columns: side = 1280 / 1.85 ≈ 691.9, the second starting at 0.85 of it.
        assert_eq!((tiles[0].0, tiles[0].2), (100, 792));
        assert_eq!((tiles[1].0, tiles[1].2), (688, 1380));
        assert_eq!((tiles[0].1, tiles[2].3), (50, 770));
        // Neighbours overlap by about 15 % of a tile.
        let overlap = tiles[0].2 - tiles[1].0;
        assert!((100..=108).contains(&overlap), "{overlap}");
        // One tile is the region.
        assert_eq!(
            SearchScale::DEFAULT.tiles((0, 0, 1280, 720)),
            vec![(0, 0, 1280, 720)]
        );
    }

    #[test]
    fn the_input_cost_follows_the_tiles_extent() {
        // 1280 × 720 at 416: 416 × 234 → 416 × 256; at 640: 640 × 384.
        assert_eq!(SearchScale::DEFAULT.input_pixels(1280, 720), 416 * 256);
        let at_640 = SearchScale::parse("640").unwrap();
        assert_eq!(at_640.input_pixels(1280, 720), 640 * 384);
    }

    #[test]
    fn a_budget_lowers_the_input_side() {
        let budget = 416 * 416 * 3 / 2;
        // A 16:9 region fits at 640 (640 × 384); a 4:3 one does not (640 × 480) and gets 576.
        assert_eq!(SearchScale::FOCUS.within(1280, 720, budget).input, 640);
        let four_three = SearchScale::FOCUS.within(768, 576, budget);
        assert_eq!(four_three.input, 576);
        assert!(four_three.input_pixels(768, 576) <= budget);
        assert_eq!(SearchScale::FOCUS.within(768, 576, 1).input, 128);
    }

    #[test]
    fn boxes_of_overlapping_tiles_join_and_a_cut_box_goes() {
        let region = (0, 0, 1000, 500);
        let left = (0, 0, 575, 500);
        let right = (425, 0, 1000, 500);
        let joined = join_tiles(
            vec![
                // The same car seen by both tiles.
                (car(0.9, [440.0, 100.0, 540.0, 160.0]), left),
                (car(0.8, [442.0, 101.0, 541.0, 161.0]), right),
                // A car across the left tile's right edge: whole on the right, cut on the left.
                (car(0.85, [520.0, 300.0, 640.0, 360.0]), right),
                (car(0.6, [521.0, 300.0, 575.0, 360.0]), left),
                // A small car inside a larger one that is not cut stays (it is another car).
                (car(0.5, [100.0, 100.0, 130.0, 120.0]), left),
                (car(0.7, [90.0, 90.0, 200.0, 170.0]), left),
            ],
            region,
        );
        let scores: Vec<f32> = joined.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.85, 0.7, 0.5]);
    }
}
