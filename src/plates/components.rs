//! The 4-connected parts of a mask (a picture's pixels marked true), each handed over as the
//! indices of its pixels: where the plate is inside a crop (`locate`) and where a vehicle's
//! plate may be (`candidates`).

/// Calls `part` with the indices (`y * w + x`) of each 4-connected part of `mask`.
pub fn each_part(mask: &[bool], w: usize, h: usize, mut part: impl FnMut(&[usize])) {
    let mut seen = vec![false; mask.len()];
    let mut stack = Vec::new();
    let mut pixels = Vec::new();
    for start in 0..mask.len().min(w * h) {
        if !mask[start] || seen[start] {
            continue;
        }
        pixels.clear();
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % w, i / w);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > 0).then(|| i - w),
                (y + 1 < h).then(|| i + w),
            ];
            for n in neighbours.into_iter().flatten() {
                if mask[n] && !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
        part(&pixels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_touching_only_at_a_corner_are_two() {
        // 1 1 0
        // 0 0 1
        // 0 0 1
        let mask = [true, true, false, false, false, true, false, false, true];
        let mut sizes = Vec::new();
        each_part(&mask, 3, 3, |p| sizes.push(p.len()));
        assert_eq!(sizes, [2, 2]);
    }
}
