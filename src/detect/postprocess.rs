//! From the network's `[3549, 85]` rows to boxes: grid decode (strides 8, 16, 32), score =
//! objectness × class score, a score threshold, class-wise non-maximum suppression, and boxes
//! scaled back to picture pixels.

/// Strides of the three output levels.
const STRIDES: [usize; 3] = [8, 16, 32];

/// One detection in picture pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// COCO class index (0 person, 1 bicycle, 2 car, 3 motorcycle, 5 bus, 7 truck, 9 traffic light).
    pub class: usize,
    pub score: f32,
    /// x1, y1, x2, y2.
    pub bbox: [f32; 4],
}

/// The area two boxes (x1, y1, x2, y2) share.
pub fn intersection(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h
}

/// Intersection over union of two boxes (0 when either is empty or not a number).
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let inter = intersection(a, b);
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union > 0.0 && union.is_finite() {
        inter / union
    } else {
        0.0
    }
}

/// Decodes `rows` (85 values per grid cell, row-major; 3549 rows for a 416×416 input) of an
/// `input_width × input_height` input; boxes divided by `scale`.
pub fn decode(
    rows: &[f32],
    (input_width, input_height): (usize, usize),
    scale: f32,
    score_threshold: f32,
    nms_iou: f32,
) -> Vec<Detection> {
    let mut candidates = Vec::new();
    let mut row_index = 0;
    for stride in STRIDES {
        for gy in 0..input_height / stride {
            for gx in 0..input_width / stride {
                let Some(row) = rows.get(row_index * 85..(row_index + 1) * 85) else {
                    return Vec::new();
                };
                row_index += 1;
                let (class, class_score) =
                    row[5..]
                        .iter()
                        .enumerate()
                        .fold((0, f32::NEG_INFINITY), |best, (i, &s)| {
                            if s > best.1 { (i, s) } else { best }
                        });
                let score = row[4] * class_score;
                if score.is_nan() || score < score_threshold {
                    continue;
                }
                let s = stride as f32;
                let cx = (row[0] + gx as f32) * s;
                let cy = (row[1] + gy as f32) * s;
                let w = row[2].exp() * s;
                let h = row[3].exp() * s;
                candidates.push(Detection {
                    class,
                    score,
                    bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
                });
            }
        }
    }
    let mut kept = nms(candidates, nms_iou);
    for d in &mut kept {
        for v in &mut d.bbox {
            *v /= scale;
        }
    }
    kept
}

/// Class-wise non-maximum suppression, highest score first (stable for equal scores).
pub fn nms(mut candidates: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    candidates.retain(|d| d.score.is_finite() && d.bbox.iter().all(|v| v.is_finite()));
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in candidates {
        let suppressed = kept
            .iter()
            .any(|k| k.class == candidate.class && iou(&k.bbox, &candidate.bbox) > iou_threshold);
        if !suppressed {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(class: usize, score: f32, bbox: [f32; 4]) -> Detection {
        Detection { class, score, bbox }
    }

    #[test]
    fn nms_edge_cases() {
        assert!(nms(Vec::new(), 0.45).is_empty());
        // NaN scores and boxes are dropped, not compared.
        let kept = nms(
            vec![
                det(0, f32::NAN, [0.0, 0.0, 10.0, 10.0]),
                det(0, 0.5, [0.0, 0.0, f32::NAN, 10.0]),
                det(0, 0.4, [0.0, 0.0, 10.0, 10.0]),
            ],
            0.45,
        );
        assert_eq!(kept, vec![det(0, 0.4, [0.0, 0.0, 10.0, 10.0])]);
        // Identical boxes: one survives per class.
        let same = [0.0, 0.0, 10.0, 10.0];
        let kept = nms(
            vec![det(2, 0.9, same), det(2, 0.9, same), det(3, 0.8, same)],
            0.45,
        );
        assert_eq!(kept, vec![det(2, 0.9, same), det(3, 0.8, same)]);
    }

    #[test]
    fn iou_of_disjoint_equal_and_empty_boxes() {
        assert_eq!(iou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 2.0, 3.0, 3.0]), 0.0);
        assert_eq!(iou(&[0.0, 0.0, 2.0, 2.0], &[0.0, 0.0, 2.0, 2.0]), 1.0);
        assert_eq!(iou(&[0.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 0.0]), 0.0);
    }
}
