//! The matrix product under the CPU convolutions, `C = A·B` or `C += A·B`, with `A` the weights
//! (rows of output channels) and `B` the input (rows of input channels, one value per pixel):
//! register-blocked micro-kernels of our own for AVX-512 and for AVX2 with FMA, chosen at run
//! time by the processor's features, and a portable one that every other path is tested
//! against. Nothing is packed: the weights are read in place, a strip of the input's columns
//! stays in the first-level cache while every block of output rows is computed over it.

use super::fast_math::{self, Act};
use std::sync::atomic::{AtomicU8, Ordering};

/// A micro-kernel, by the instructions it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// 8 rows × 48 columns of 512-bit registers (AVX-512F).
    Avx512,
    /// 6 rows × 16 columns of 256-bit registers (AVX2 and FMA).
    Avx2,
    /// 4 rows × 8 columns in plain Rust, vectorised by the compiler for the baseline.
    Portable,
}

/// A kernel asked for on a processor that cannot run it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("this processor cannot run the {0:?} product kernel")]
pub struct Unsupported(pub Kernel);

/// 0: the best the processor has; otherwise 1 + the position in [`Kernel::ALL`].
static CHOSEN: AtomicU8 = AtomicU8::new(0);

impl Kernel {
    /// Every kernel, fastest first.
    pub const ALL: [Kernel; 3] = [Kernel::Avx512, Kernel::Avx2, Kernel::Portable];

    /// Whether this processor can run the kernel.
    pub fn supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx512 | Kernel::Avx2 => false,
            Kernel::Portable => true,
        }
    }

    /// The kernels this processor can run, fastest first.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.supported()).collect()
    }

    /// The kernel the convolutions use: the one set by [`Kernel::choose`], else the fastest
    /// this processor runs.
    pub fn current() -> Kernel {
        match CHOSEN.load(Ordering::Relaxed) {
            0 => Kernel::ALL
                .into_iter()
                .find(|k| k.supported())
                .unwrap_or(Kernel::Portable),
            n => Kernel::ALL[usize::from(n - 1)],
        }
    }

    /// Makes every later product use `kernel` (benchmarks compare them on one machine), or the
    /// fastest again with `None`.
    pub fn choose(kernel: Option<Kernel>) -> Result<(), Unsupported> {
        let code = match kernel {
            None => 0,
            Some(k) if !k.supported() => return Err(Unsupported(k)),
            Some(k) => 1 + Kernel::ALL.iter().position(|&x| x == k).unwrap_or(2) as u8,
        };
        CHOSEN.store(code, Ordering::Relaxed);
        Ok(())
    }

    /// Rows and columns of one micro-kernel's block of the output.
    fn block(self) -> (usize, usize) {
        match self {
            Kernel::Avx512 => (8, 48),
            Kernel::Avx2 => (6, 16),
            Kernel::Portable => (4, 8),
        }
    }
}

/// The shapes of one product: `C` is `m × n` (row stride `ldc`), `A` is `m × k` (row stride
/// `lda`), `B` is `k × n` (its rows where [`RowsOfB`] says).
#[derive(Clone, Copy, Debug)]
pub struct Shape<'a> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub lda: usize,
    pub b_rows: RowsOfB<'a>,
    pub ldc: usize,
}

/// Where each of the `k` rows of `B` starts in its slice.
#[derive(Clone, Copy, Debug)]
pub enum RowsOfB<'a> {
    /// Row `p` at `p · stride`.
    Stride(usize),
    /// Row `p` at `offsets[p]`: a 3×3 convolution reads the shifted rows of a padded picture
    /// in place, without an im2col copy.
    Offsets(&'a [usize]),
}

impl RowsOfB<'_> {
    /// Where row `p` starts.
    #[inline(always)]
    fn start(&self, p: usize) -> usize {
        match *self {
            RowsOfB::Stride(stride) => p * stride,
            RowsOfB::Offsets(offsets) => offsets[p],
        }
    }
}

/// What is done to each output row once its sum is complete, while it is still in registers
/// or the first-level cache: `row = act(row + bias[i]) + residual row i`.
#[derive(Clone, Copy, Debug)]
pub struct Finish<'a> {
    /// One per output row.
    pub bias: &'a [f32],
    pub act: Act,
    /// Laid out as the output (rows `ldc` apart from the same origin).
    pub residual: Option<&'a [f32]>,
}

/// `C (+)= A·B` with `kernel` into `c`, then `finish` when given; checked: panics when an
/// operand is too short for the shape or the kernel cannot run here.
pub fn multiply(
    kernel: Kernel,
    c: &mut [f32],
    accumulate: bool,
    a: &[f32],
    b: &[f32],
    shape: Shape,
    finish: Option<Finish>,
) {
    if shape.m == 0 || shape.n == 0 {
        return;
    }
    assert!(
        c.len() >= (shape.m - 1) * shape.ldc + shape.n,
        "product writes past its output"
    );
    // SAFETY: `c` holds every element written (checked just above) and is borrowed mutably.
    unsafe { multiply_raw(kernel, c.as_mut_ptr(), accumulate, a, b, shape, finish) }
}

/// `C (+)= A·B` with `kernel` into the rows at `c`, then `finish` when given.
///
/// # Safety
/// `c` addresses `m` rows of `n` values, `ldc` apart, inside one allocation that nothing else
/// touches meanwhile; they have been written when `accumulate`.
pub unsafe fn multiply_raw(
    kernel: Kernel,
    c: *mut f32,
    accumulate: bool,
    a: &[f32],
    b: &[f32],
    shape: Shape,
    finish: Option<Finish>,
) {
    let Shape {
        m,
        n,
        k,
        lda,
        b_rows,
        ldc,
    } = shape;
    if m == 0 || n == 0 {
        return;
    }
    if let Some(f) = finish {
        assert!(
            f.bias.len() >= m && f.residual.is_none_or(|r| r.len() >= (m - 1) * ldc + n),
            "product finishes with too short a bias or residual"
        );
    }
    if k == 0 {
        for i in 0..m {
            // SAFETY: row i of the output, the caller's promise.
            let row = unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), n) };
            if !accumulate {
                row.fill(0.0);
            }
            if let Some(f) = finish {
                let residual = f.residual.map(|r| &r[i * ldc..i * ldc + n]);
                fast_math::finish(row, f.bias[i], f.act, residual);
            }
        }
        return;
    }
    let last_row_of_b = match b_rows {
        RowsOfB::Stride(stride) => Some((k - 1) * stride),
        RowsOfB::Offsets(offsets) if offsets.len() >= k => offsets[..k].iter().copied().max(),
        RowsOfB::Offsets(_) => None,
    };
    assert!(
        a.len() >= (m - 1) * lda + k && last_row_of_b.is_some_and(|start| b.len() >= start + n),
        "product reads past its operands"
    );
    assert!(kernel.supported(), "{}", Unsupported(kernel));
    let (rows, cols) = kernel.block();
    for j0 in (0..n).step_by(cols) {
        let width = cols.min(n - j0);
        for i0 in (0..m).step_by(rows) {
            let height = rows.min(m - i0);
            let tile = Tile {
                // Rows past the end repeat the last one: computed, never stored. (Inside `a`:
                // checked above.)
                a: std::array::from_fn(|r| a.as_ptr().wrapping_add((i0 + r.min(height - 1)) * lda)),
                b: b[j0..].as_ptr(),
                b_rows,
                k,
                // SAFETY: inside the output, the caller's promise.
                c: unsafe { c.add(i0 * ldc + j0) },
                ldc,
                height,
                width,
                accumulate,
                prefetch: i0 == 0 && j0 + cols < n,
                // The AVX-512 kernel finishes each tile; the others finish the rows below.
                finish: finish
                    .filter(|_| kernel == Kernel::Avx512)
                    .map(|f| TileFinish {
                        bias: &f.bias[i0..],
                        act: f.act,
                        residual: f.residual.map(|r| r[i0 * ldc + j0..].as_ptr()),
                    }),
            };
            // SAFETY: the tile's operands were checked above (the last row of `A` read holds
            // `k` values, the strip of `B` `width` columns of `k` rows), the kernel runs here.
            unsafe {
                match kernel {
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx512 => x86::avx512(&tile),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2 => x86::avx2(&tile),
                    #[cfg(not(target_arch = "x86_64"))]
                    Kernel::Avx512 | Kernel::Avx2 => unreachable!("not supported here"),
                    Kernel::Portable => portable(&tile),
                }
            }
        }
    }
    if let Some(f) = finish
        && kernel != Kernel::Avx512
    {
        for i in 0..m {
            // SAFETY: row i of the output, written above, the caller's promise.
            let row = unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), n) };
            let residual = f.residual.map(|r| &r[i * ldc..i * ldc + n]);
            fast_math::finish(row, f.bias[i], f.act, residual);
        }
    }
}

/// One micro-kernel's block: `height ≤ R` rows and `width ≤ C` columns of the output, over `k`.
struct Tile<'a> {
    /// The block's rows of `A`, `k` values each (rows past `height` repeat the last).
    a: [*const f32; 8],
    /// The strip's first column of `B` (as if of a row starting at 0); `width` values of
    /// each row read.
    b: *const f32,
    b_rows: RowsOfB<'a>,
    k: usize,
    c: *mut f32,
    ldc: usize,
    height: usize,
    width: usize,
    accumulate: bool,
    /// Whether to bring the next strip of `B` into the cache meanwhile (the first block of
    /// rows over a strip reads it from further away; the next blocks find it).
    prefetch: bool,
    finish: Option<TileFinish<'a>>,
}

/// [`Finish`] from the tile's first row and column: `height` biases, residual rows `ldc`
/// apart holding `width` values each.
struct TileFinish<'a> {
    bias: &'a [f32],
    act: Act,
    residual: Option<*const f32>,
}

/// The portable micro-kernel: 4 × 8 (a narrower strip goes through a zero-padded copy).
///
/// # Safety
/// The tile's pointers address what it says.
unsafe fn portable(t: &Tile) {
    const C: usize = 8;
    let full = |p: usize| {
        // SAFETY: 8 values of row p of the strip.
        unsafe { *t.b.add(t.b_rows.start(p)).cast::<[f32; C]>() }
    };
    let narrow = |p: usize| {
        let mut row = [0f32; C];
        // SAFETY: `width` values of row p of the strip.
        let b = unsafe { std::slice::from_raw_parts(t.b.add(t.b_rows.start(p)), t.width) };
        row[..t.width].copy_from_slice(b);
        row
    };
    // SAFETY: the caller's promise, passed on.
    let acc = unsafe {
        if t.width == C {
            portable_sums(t, full)
        } else {
            portable_sums(t, narrow)
        }
    };
    for (r, acc) in acc.iter().enumerate().take(t.height) {
        // SAFETY: `width` values of output row r, this call's alone.
        let out = unsafe { std::slice::from_raw_parts_mut(t.c.add(r * t.ldc), t.width) };
        for (o, &sum) in out.iter_mut().zip(acc) {
            *o = if t.accumulate { *o + sum } else { sum };
        }
    }
}

/// The portable kernel's sums over `k`, with row `p` of the strip given by `row(p)`.
///
/// # Safety
/// The tile's rows of `A` hold `k` values each.
#[inline(always)]
unsafe fn portable_sums(t: &Tile, row: impl Fn(usize) -> [f32; 8]) -> [[f32; 8]; 4] {
    let mut acc = [[0f32; 8]; 4];
    for p in 0..t.k {
        let b = row(p);
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: row r of `A` holds `k` values.
            let a = unsafe { *t.a[r].add(p) };
            for (sum, &x) in acc.iter_mut().zip(&b) {
                *sum += a * x;
            }
        }
    }
    acc
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The x86-64 micro-kernels.

    use super::{Act, Tile, TileFinish, fast_math};
    use std::arch::x86_64::*;

    /// 8 rows × `V` registers of 16 (up to 3): 24 accumulators, three loads of `B` and eight
    /// broadcasts of `A` (folded into the multiply-adds) for 24 multiply-adds per step of `k`; a
    /// narrower strip at the right edge takes fewer registers, its last one masked.
    ///
    /// # Safety
    /// AVX-512F is present; the tile's pointers address what it says.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(t: &Tile) {
        // SAFETY: the caller's promise, passed on.
        unsafe {
            match t.width.div_ceil(16) {
                1 => avx512_strip::<1>(t),
                2 => avx512_strip::<2>(t),
                _ => avx512_strip::<3>(t),
            }
        }
    }

    /// [`avx512`] for a strip of `16·V` columns or fewer.
    ///
    /// # Safety
    /// As [`avx512`], and `t.width ≤ 16·V`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn avx512_strip<const V: usize>(t: &Tile) {
        const R: usize = 8;
        let masks: [__mmask16; V] = std::array::from_fn(|v| {
            let n = t.width.saturating_sub(16 * v).min(16);
            ((1u32 << n) - 1) as __mmask16
        });
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for p in 0..t.k {
            let row = t.b.wrapping_add(t.b_rows.start(p));
            if t.prefetch {
                // A hint: it never faults.
                for line in 0..V {
                    _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(16 * (V + line)).cast::<i8>());
                }
            }
            // SAFETY: masked lanes are not read; the others are inside row p of the strip.
            let b: [__m512; V] = std::array::from_fn(|v| unsafe {
                _mm512_maskz_loadu_ps(masks[v], row.wrapping_add(16 * v))
            });
            for (r, acc) in acc.iter_mut().enumerate() {
                // SAFETY: row r of `A` holds `k` values.
                let a = _mm512_set1_ps(unsafe { *t.a[r].add(p) });
                for (sum, &b) in acc.iter_mut().zip(&b) {
                    *sum = _mm512_fmadd_ps(a, b, *sum);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate().take(t.height) {
            let out = t.c.wrapping_add(r * t.ldc);
            for (v, (&sum, &mask)) in acc.iter().zip(&masks).enumerate() {
                let at = out.wrapping_add(16 * v);
                // SAFETY: masked lanes are neither read nor written; the others are inside
                // output row r, this call's alone.
                unsafe {
                    let sum = if t.accumulate {
                        _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, at))
                    } else {
                        sum
                    };
                    _mm512_mask_storeu_ps(at, mask, sum);
                }
            }
        }
        if t.finish.is_some() {
            // SAFETY: the caller's promise, passed on.
            unsafe { avx512_finish(t, &masks) };
        }
    }

    /// Finishes the rows [`avx512`] has just stored, in the first-level cache (apart from the
    /// product so that its accumulators stay in registers): one copy per width and activation,
    /// the strip's masks computed once, every value of the tile independent of the others.
    ///
    /// # Safety
    /// As [`avx512_strip`].
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    unsafe fn avx512_finish<const V: usize>(t: &Tile, masks: &[__mmask16; V]) {
        let Some(f) = &t.finish else { return };
        // SAFETY: the caller's promise, passed on.
        unsafe {
            match f.act {
                Act::Silu => finish_rows(t, f, masks, Act::Silu),
                Act::Sigmoid => finish_rows(t, f, masks, Act::Sigmoid),
                Act::Linear => finish_rows(t, f, masks, Act::Linear),
            }
        }
    }

    /// [`avx512_finish`] with `act` a constant where it is inlined.
    ///
    /// # Safety
    /// As [`avx512_strip`].
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn finish_rows<const V: usize>(
        t: &Tile,
        f: &TileFinish,
        masks: &[__mmask16; V],
        act: Act,
    ) {
        for r in 0..t.height {
            let bias = _mm512_set1_ps(f.bias[r]);
            let out = t.c.wrapping_add(r * t.ldc);
            for (v, &mask) in masks.iter().enumerate() {
                let at = out.wrapping_add(16 * v);
                // SAFETY: masked lanes are neither read nor written; the others are inside
                // output row r, this call's alone, and residual row r.
                unsafe {
                    let mut y =
                        fast_math::act16(act, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, at), bias));
                    if let Some(residual) = f.residual {
                        let from = residual.wrapping_add(r * t.ldc + 16 * v);
                        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, from));
                    }
                    _mm512_mask_storeu_ps(at, mask, y);
                }
            }
        }
    }

    /// 6 rows × 2 registers of 8: 12 accumulators, two loads of `B` and six broadcasts of `A`
    /// for 12 multiply-adds per step of `k`. A narrower strip is copied through a buffer (AVX2's
    /// masked stores are slow on some processors).
    ///
    /// # Safety
    /// AVX2 and FMA are present; the tile's pointers address what it says.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(t: &Tile) {
        const R: usize = 6;
        const C: usize = 16;
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        if t.width == C {
            for p in 0..t.k {
                let row = t.b.wrapping_add(t.b_rows.start(p));
                if t.prefetch {
                    // A hint: it never faults.
                    _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(C).cast::<i8>());
                }
                // SAFETY: 16 values of row p of the strip.
                let (b0, b1) = unsafe { (_mm256_loadu_ps(row), _mm256_loadu_ps(row.add(8))) };
                step(&mut acc, t, p, b0, b1);
            }
        } else {
            let mask = |from: usize| {
                let n = t.width.saturating_sub(from).min(8) as i32;
                _mm256_setr_epi32(
                    -i32::from(n > 0),
                    -i32::from(n > 1),
                    -i32::from(n > 2),
                    -i32::from(n > 3),
                    -i32::from(n > 4),
                    -i32::from(n > 5),
                    -i32::from(n > 6),
                    -i32::from(n > 7),
                )
            };
            let (m0, m1) = (mask(0), mask(8));
            for p in 0..t.k {
                let row = t.b.wrapping_add(t.b_rows.start(p));
                // SAFETY: masked lanes are not read; the others are inside row p of the strip.
                let (b0, b1) = unsafe {
                    (
                        _mm256_maskload_ps(row, m0),
                        _mm256_maskload_ps(row.wrapping_add(8), m1),
                    )
                };
                step(&mut acc, t, p, b0, b1);
            }
        }
        for (r, acc) in acc.iter().enumerate().take(t.height) {
            let out = t.c.wrapping_add(r * t.ldc);
            if t.width == C {
                for (half, &sum) in acc.iter().enumerate() {
                    // SAFETY: 16 values of output row r, this call's alone.
                    unsafe {
                        let at = out.add(8 * half);
                        let sum = if t.accumulate {
                            _mm256_add_ps(sum, _mm256_loadu_ps(at))
                        } else {
                            sum
                        };
                        _mm256_storeu_ps(at, sum);
                    }
                }
            } else {
                let mut buffer = [0f32; C];
                // SAFETY: the buffer holds 16 values.
                unsafe {
                    _mm256_storeu_ps(buffer.as_mut_ptr(), acc[0]);
                    _mm256_storeu_ps(buffer.as_mut_ptr().add(8), acc[1]);
                }
                // SAFETY: `width` values of output row r, this call's alone.
                let out = unsafe { std::slice::from_raw_parts_mut(out, t.width) };
                for (o, &sum) in out.iter_mut().zip(&buffer) {
                    *o = if t.accumulate { *o + sum } else { sum };
                }
            }
        }
    }

    /// One step of `k` for the AVX2 kernel.
    #[inline(always)]
    fn step(acc: &mut [[__m256; 2]; 6], t: &Tile, p: usize, b0: __m256, b1: __m256) {
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: row r of `A` holds `k` values; the caller runs with AVX2 and FMA.
            unsafe {
                let a = _mm256_broadcast_ss(&*t.a[r].add(p));
                acc[0] = _mm256_fmadd_ps(a, b0, acc[0]);
                acc[1] = _mm256_fmadd_ps(a, b1, acc[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible value in [-1, 1) for position `i` of operand `seed`.
    fn value(seed: usize, i: usize) -> f32 {
        let x = (i as u64 ^ (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .rotate_left(29)
            .wrapping_mul(0x94D0_49BB_1331_11EB);
        (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn naive(c: &mut [f32], accumulate: bool, a: &[f32], b: &[f32], s: Shape) {
        for i in 0..s.m {
            for j in 0..s.n {
                let sum: f64 = (0..s.k)
                    .map(|p| f64::from(a[i * s.lda + p]) * f64::from(b[s.b_rows.start(p) + j]))
                    .sum();
                let out = &mut c[i * s.ldc + j];
                *out = if accumulate {
                    (f64::from(*out) + sum) as f32
                } else {
                    sum as f32
                };
            }
        }
    }

    /// `row = act(row + bias) + residual` in double precision, by the definitions.
    fn finish_plain(row: &mut [f32], bias: f32, act: Act, residual: Option<&[f32]>) {
        for (j, v) in row.iter_mut().enumerate() {
            let x = f64::from(*v) + f64::from(bias);
            let y = match act {
                Act::Linear => x,
                Act::Silu => x / (1.0 + (-x).exp()),
                Act::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            };
            *v = (y + residual.map_or(0.0, |r| f64::from(r[j]))) as f32;
        }
    }

    #[test]
    fn every_kernel_this_processor_runs_matches_the_plain_sum_on_every_edge() {
        let available = Kernel::available();
        eprintln!("product kernels run here: {available:?}");
        assert_eq!(available.last(), Some(&Kernel::Portable));
        // Shapes around every block size (8×32, 6×16, 4×8), strides wider than the rows,
        // and the layers' real shapes.
        let mut shapes = Vec::new();
        for m in [1, 3, 4, 5, 6, 7, 8, 9, 13, 16, 24] {
            for n in [1, 7, 8, 15, 16, 17, 31, 32, 33, 50] {
                shapes.push((m, n, 9));
            }
        }
        shapes.extend([(64, 169, 128), (16, 1352, 108), (80, 40, 64), (1, 100, 256)]);
        // Rows of `B` a stride apart, or anywhere (shuffled, shifted, overlapping).
        let layouts = |n: usize, k: usize| {
            let shuffled = (0..k)
                .map(|p| (p * 7 % k) * (n + 5) + p % 3)
                .collect::<Vec<_>>();
            [None, Some(shuffled)]
        };
        for (m, n, k, offsets) in shapes
            .into_iter()
            .flat_map(|(m, n, k)| layouts(n, k).map(|o| (m, n, k, o)))
        {
            let s = Shape {
                m,
                n,
                k,
                lda: k + 3,
                b_rows: match &offsets {
                    None => RowsOfB::Stride(n + 5),
                    Some(offsets) => RowsOfB::Offsets(offsets),
                },
                ldc: n + 2,
            };
            let a: Vec<f32> = (0..m * s.lda).map(|i| value(1, i)).collect();
            let b: Vec<f32> = (0..k * (n + 5) + 2).map(|i| value(2, i)).collect();
            let before: Vec<f32> = (0..m * s.ldc).map(|i| value(3, i)).collect();
            let bias: Vec<f32> = (0..m).map(|i| value(4, i) * 3.0).collect();
            let residual: Vec<f32> = (0..m * s.ldc).map(|i| value(5, i)).collect();
            let finishes = [
                None,
                Some((Act::Silu, false)),
                Some((Act::Sigmoid, true)),
                Some((Act::Linear, true)),
            ];
            for (accumulate, finish) in [false, true]
                .into_iter()
                .flat_map(|a| finishes.map(|f| (a, f)))
            {
                let finish = finish.map(|(act, with_residual)| Finish {
                    bias: &bias,
                    act,
                    residual: with_residual.then_some(residual.as_slice()),
                });
                let mut want = before.clone();
                naive(&mut want, accumulate, &a, &b, s);
                if let Some(f) = finish {
                    for i in 0..m {
                        let row = &mut want[i * s.ldc..i * s.ldc + n];
                        let residual = f.residual.map(|r| &r[i * s.ldc..i * s.ldc + n]);
                        finish_plain(row, f.bias[i], f.act, residual);
                    }
                }
                for &kernel in &available {
                    let mut got = before.clone();
                    multiply(kernel, &mut got, accumulate, &a, &b, s, finish);
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        let (row, col) = (i / s.ldc, i % s.ldc);
                        let tol = 1e-5 * (k as f32).sqrt() * w.abs().max(1.0);
                        assert!(
                            (g - w).abs() <= tol,
                            "{kernel:?} {m}×{n}×{k} accumulate {accumulate} {:?} at ({row}, \
                             {col}): {g} vs {w}",
                            finish.map(|f| (f.act, f.residual.is_some()))
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_empty_inner_dimension_clears_or_keeps_the_output() {
        let s = Shape {
            m: 2,
            n: 3,
            k: 0,
            lda: 0,
            b_rows: RowsOfB::Stride(3),
            ldc: 3,
        };
        for &kernel in &Kernel::available() {
            let mut c = vec![5f32; 6];
            multiply(kernel, &mut c, true, &[], &[], s, None);
            assert_eq!(c, [5.0; 6]);
            multiply(kernel, &mut c, false, &[], &[], s, None);
            assert_eq!(c, [0.0; 6]);
            let finish = Finish {
                bias: &[1.0, 2.0],
                act: Act::Linear,
                residual: Some(&[0.5; 6]),
            };
            multiply(kernel, &mut c, true, &[], &[], s, Some(finish));
            assert_eq!(c, [1.5, 1.5, 1.5, 2.5, 2.5, 2.5]);
        }
    }

    /// Whether the product refuses (panics on) these operands for a 4×4 output.
    fn refused(a: &[f32], b: &[f32], s: Shape, finish: Option<Finish>) -> bool {
        std::panic::catch_unwind(|| {
            let mut c = vec![0f32; 16];
            multiply(Kernel::Portable, &mut c, false, a, b, s, finish);
        })
        .is_err()
    }

    #[test]
    fn short_operands_are_refused_not_read_past() {
        let s = Shape {
            m: 4,
            n: 4,
            k: 4,
            lda: 4,
            b_rows: RowsOfB::Stride(4),
            ldc: 4,
        };
        assert!(
            !refused(&[0.0; 16], &[0.0; 16], s, None),
            "operands that fit"
        );
        assert!(refused(&[0.0; 15], &[0.0; 16], s, None), "A one short");
        let three_biases = Finish {
            bias: &[0.0; 3],
            act: Act::Silu,
            residual: None,
        };
        assert!(
            refused(&[0.0; 16], &[0.0; 16], s, Some(three_biases)),
            "a bias for 3 rows of 4"
        );
        let past = Shape {
            b_rows: RowsOfB::Offsets(&[0, 4, 8, 13]),
            ..s
        };
        assert!(
            refused(&[0.0; 16], &[0.0; 16], past, None),
            "a row of B that ends past its slice"
        );
    }

    #[test]
    fn the_chosen_kernel_is_used_until_the_fastest_is_asked_for_again() {
        assert_eq!(Kernel::current(), Kernel::available()[0]);
        Kernel::choose(Some(Kernel::Portable)).expect("portable runs everywhere");
        assert_eq!(Kernel::current(), Kernel::Portable);
        Kernel::choose(None).expect("the fastest");
        assert_eq!(Kernel::current(), Kernel::available()[0]);
        for kernel in Kernel::ALL {
            if !kernel.supported() {
                assert_eq!(Kernel::choose(Some(kernel)), Err(Unsupported(kernel)));
            }
        }
    }
}
