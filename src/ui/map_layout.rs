//! Screen-space layout of map markers: clustering of markers that would overlap, and placing
//! labels so that none overlaps another label or a marker. Pure functions of positions and
//! sizes, tested without a GPU.

use egui::{Pos2, Rect, Vec2};

/// A group of markers drawn as one: a single marker, or a cluster with a count.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Indices into the input points, in input order.
    pub members: Vec<usize>,
    /// Mean screen position of the members.
    pub centre: Pos2,
}

/// Greedy clustering: each point joins the first group whose first member lies within
/// `radius_px`, else starts a group. Points are visited in input order, so a caller that lists
/// important markers first keeps them as group seeds.
pub fn cluster(points: &[Pos2], radius_px: f32) -> Vec<Group> {
    let mut groups: Vec<(Pos2, Vec<usize>)> = Vec::new();
    for (index, point) in points.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(seed, _)| seed.distance(*point) <= radius_px)
        {
            Some((_, members)) => members.push(index),
            None => groups.push((*point, vec![index])),
        }
    }
    groups
        .into_iter()
        .map(|(_, members)| {
            let sum = members
                .iter()
                .fold(Vec2::ZERO, |acc, &i| acc + points[i].to_vec2());
            Group {
                centre: (sum / members.len() as f32).to_pos2(),
                members,
            }
        })
        .collect()
}

/// Where a label may go relative to its anchor, tried in this order: right, left, below, above.
fn candidates(anchor: Pos2, size: Vec2, gap: f32) -> [Rect; 4] {
    let half_h = size.y / 2.0;
    [
        Rect::from_min_size(Pos2::new(anchor.x + gap, anchor.y - half_h), size),
        Rect::from_min_size(Pos2::new(anchor.x - gap - size.x, anchor.y - half_h), size),
        Rect::from_min_size(Pos2::new(anchor.x - size.x / 2.0, anchor.y + gap), size),
        Rect::from_min_size(
            Pos2::new(anchor.x - size.x / 2.0, anchor.y - gap - size.y),
            size,
        ),
    ]
}

/// Places labels of `size` next to their `anchor`, in the order given (most important first),
/// avoiding `obstacles` (markers) and every label already placed. A label with no free spot
/// inside `bounds` is left out (`None`).
pub fn place_labels(
    labels: &[(Pos2, Vec2)],
    obstacles: &[Rect],
    bounds: Rect,
    gap: f32,
) -> Vec<Option<Rect>> {
    let mut placed: Vec<Rect> = Vec::with_capacity(labels.len());
    labels
        .iter()
        .map(|&(anchor, size)| {
            let spot = candidates(anchor, size, gap).into_iter().find(|rect| {
                // Labels may touch but not overlap.
                let inner = rect.shrink(0.5);
                bounds.contains_rect(*rect)
                    && !placed.iter().any(|p| p.intersects(inner))
                    && !obstacles.iter().any(|o| o.intersects(inner))
            });
            if let Some(rect) = spot {
                placed.push(rect);
            }
            spot
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_points_cluster_and_far_points_do_not() {
        let points = [
            Pos2::new(0.0, 0.0),
            Pos2::new(10.0, 0.0),
            Pos2::new(100.0, 0.0),
            Pos2::new(5.0, 5.0),
        ];
        let groups = cluster(&points, 20.0);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].members, vec![0, 1, 3]);
        assert_eq!(groups[1].members, vec![2]);
        assert_eq!(groups[1].centre, Pos2::new(100.0, 0.0));
        assert!((groups[0].centre.x - 5.0).abs() < 1e-4);
    }

    #[test]
    fn clustering_nothing_gives_nothing() {
        assert!(cluster(&[], 20.0).is_empty());
    }

    #[test]
    fn labels_never_overlap_each_other_or_markers() {
        let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::new(400.0, 300.0));
        let size = Vec2::new(80.0, 16.0);
        // Five markers on top of each other: at most four label spots exist around them.
        let labels: Vec<_> = (0..5).map(|_| (Pos2::new(200.0, 150.0), size)).collect();
        let marker = Rect::from_center_size(Pos2::new(200.0, 150.0), Vec2::splat(12.0));
        let placed = place_labels(&labels, &[marker], bounds, 8.0);
        let rects: Vec<Rect> = placed.iter().flatten().copied().collect();
        assert_eq!(rects.len(), 4);
        assert!(placed[4].is_none());
        for (i, a) in rects.iter().enumerate() {
            assert!(!a.shrink(0.5).intersects(marker));
            for b in &rects[i + 1..] {
                assert!(!a.shrink(0.5).intersects(*b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn a_label_at_the_edge_moves_inside() {
        let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::new(400.0, 300.0));
        let placed = place_labels(
            &[(Pos2::new(395.0, 150.0), Vec2::new(80.0, 16.0))],
            &[],
            bounds,
            8.0,
        );
        let rect = placed[0].unwrap();
        assert!(rect.max.x <= 395.0, "placed left of the anchor: {rect:?}");
    }
}
