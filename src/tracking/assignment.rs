//! Optimal matching of tracks to detections: pairs worth considering (cost below a gate) split
//! the problem into independent groups, and each group is solved exactly by the Hungarian
//! method (O(n³) in the group's size; groups are small in traffic, so 100 boxes stay cheap).

/// `(track, detection)` pairs of least total cost among pairs with cost below `gate`.
/// `cost(t, d)` is called once per pair.
pub fn assign(
    tracks: usize,
    detections: usize,
    gate: f32,
    mut cost: impl FnMut(usize, usize) -> f32,
) -> Vec<(usize, usize)> {
    // Candidate edges and groups (union–find over tracks and detections).
    let mut edges = Vec::new();
    let mut parent: Vec<usize> = (0..tracks + detections).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for t in 0..tracks {
        for d in 0..detections {
            let c = cost(t, d);
            if c < gate && c.is_finite() {
                edges.push((t, d, c));
                let (a, b) = (root(&mut parent, t), root(&mut parent, tracks + d));
                parent[a] = b;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<(usize, usize, f32)>> =
        std::collections::BTreeMap::new();
    for &(t, d, c) in &edges {
        let r = root(&mut parent, t);
        groups.entry(r).or_default().push((t, d, c));
    }
    let mut pairs = Vec::new();
    for group in groups.values() {
        if let [(t, d, _)] = group.as_slice() {
            pairs.push((*t, *d));
            continue;
        }
        let mut rows: Vec<usize> = group.iter().map(|e| e.0).collect();
        let mut cols: Vec<usize> = group.iter().map(|e| e.1).collect();
        rows.sort_unstable();
        rows.dedup();
        cols.sort_unstable();
        cols.dedup();
        // Pairs outside the gate cost more than leaving both unmatched.
        let blocked = gate * 2.0 + 1.0;
        let mut matrix = vec![blocked; rows.len() * cols.len()];
        for &(t, d, c) in group {
            let (Ok(i), Ok(j)) = (rows.binary_search(&t), cols.binary_search(&d)) else {
                continue;
            };
            matrix[i * cols.len() + j] = c;
        }
        for (i, j) in hungarian(&matrix, rows.len(), cols.len()) {
            if matrix[i * cols.len() + j] < gate {
                pairs.push((rows[i], cols[j]));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Minimum-cost assignment of an `n × m` matrix (row-major): each row of the smaller side
/// gets a distinct column. Potentials method (e-maxx), on the transposed problem when
/// there are more rows than columns.
fn hungarian(matrix: &[f32], n: usize, m: usize) -> Vec<(usize, usize)> {
    if n > m {
        let transposed: Vec<f32> = (0..m)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| matrix[i * m + j])
            .collect();
        return hungarian(&transposed, m, n)
            .into_iter()
            .map(|(j, i)| (i, j))
            .collect();
    }
    let inf = f64::INFINITY;
    let a = |i: usize, j: usize| f64::from(matrix[(i - 1) * m + (j - 1)]);
    let (mut u, mut v) = (vec![0f64; n + 1], vec![0f64; m + 1]);
    let (mut p, mut way) = (vec![0usize; m + 1], vec![0usize; m + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![inf; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (inf, 0);
            for j in 1..=m {
                if !used[j] {
                    let cur = a(i0, j) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    (1..=m)
        .filter(|&j| p[j] != 0)
        .map(|j| (p[j] - 1, j - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheapest_total_wins_over_the_greedy_choice() {
        // Greedy would take (0, 0) at 0.1 and leave track 1 with 0.9; optimal is 0.2 + 0.2.
        let costs = [[0.1, 0.2], [0.2, 0.9]];
        let pairs = assign(2, 2, 0.95, |t, d| costs[t][d]);
        assert_eq!(pairs, vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn pairs_beyond_the_gate_stay_unmatched_and_shapes_may_differ() {
        let costs = [[0.3, 0.99, 0.99], [0.99, 0.99, 0.99]];
        assert_eq!(assign(2, 3, 0.8, |t, d| costs[t][d]), vec![(0, 0)]);
        assert!(assign(0, 3, 0.8, |_, _| 0.0).is_empty());
        assert!(assign(3, 0, 0.8, |_, _| 0.0).is_empty());
        let nan = assign(1, 1, 0.8, |_, _| f32::NAN);
        assert!(nan.is_empty());
        // Three tracks, two detections, all close: two pairs, the best ones.
        let costs = [[0.5, 0.1], [0.2, 0.6], [0.3, 0.3]];
        assert_eq!(assign(3, 2, 0.8, |t, d| costs[t][d]), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn the_hungarian_method_matches_brute_force_on_small_matrices() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 8) as f32 / (1u32 << 24) as f32
        };
        for n in 1..=5 {
            let matrix: Vec<f32> = (0..n * n).map(|_| next()).collect();
            let total = |pairs: &[(usize, usize)]| -> f32 {
                pairs.iter().map(|(i, j)| matrix[i * n + j]).sum()
            };
            let ours = hungarian(&matrix, n, n);
            let mut best = f32::INFINITY;
            let mut perm: Vec<usize> = (0..n).collect();
            permutations(&mut perm, 0, &mut |p| {
                let pairs: Vec<_> = p.iter().enumerate().map(|(i, j)| (i, *j)).collect();
                best = best.min(total(&pairs));
            });
            assert!((total(&ours) - best).abs() < 1e-5, "n = {n}");
        }
    }

    fn permutations(items: &mut Vec<usize>, k: usize, visit: &mut impl FnMut(&[usize])) {
        if k == items.len() {
            visit(items);
            return;
        }
        for i in k..items.len() {
            items.swap(k, i);
            permutations(items, k + 1, visit);
            items.swap(k, i);
        }
    }
}
