//! The matrix product under the 1×1 convolutions (`cargo bench --bench product`): each of this
//! crate's kernels the processor runs, against the `gemm` crate (what candle uses, and what the
//! convolutions used before), on one thread, at the shapes YOLOX-nano's layers give a band at
//! 416×416. The figure to read is the ratio to `gemm` in the same run.

use criterion::{BenchmarkId, Criterion, Throughput};
use dienbien_dispatch::detect::product::{Kernel, RowsOfB, Shape, multiply};
use std::hint::black_box;
use std::time::Duration;

/// (out channels, columns, in channels, row stride of the input): the bands that carry most
/// of a YOLOX-nano pass at 416×416 on one thread (the stem's 3×3 convolution as im2col, then
/// 1×1 convolutions at strides 8, 16 and 32, and a right-hand band of stride 32).
const SHAPES: [(usize, usize, usize, usize); 7] = [
    (16, 416, 108, 416),
    (64, 1360, 64, 2704),
    (32, 1360, 64, 2704),
    (64, 352, 64, 676),
    (64, 352, 128, 676),
    (256, 96, 128, 169),
    (256, 73, 128, 169),
];

/// The same for the plate recogniser (PP-OCRv4) on a 48×168 row, one thread: its 1×1
/// convolutions at 12×42, 6×42 and 3×42 with 240–480 channels, as the convolution cuts them
/// into bands (a band's output and input within about 768 KiB).
const RECOGNISER_SHAPES: [(usize, usize, usize, usize); 4] = [
    (240, 256, 240, 504),
    (480, 128, 480, 252),
    (480, 126, 480, 126),
    (480, 128, 240, 252),
];

/// Copies of the input each product takes in turn, so that it comes from further than the
/// first cache levels, as a layer's input does in a pass.
const COPIES: usize = 8;

fn main() {
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = c.benchmark_group("product");
    for (m, n, k, ldb) in SHAPES.into_iter().chain(RECOGNISER_SHAPES) {
        let shape = Shape {
            m,
            n,
            k,
            lda: k,
            b_rows: RowsOfB::Stride(ldb),
            ldc: ldb.max(n),
        };
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let b: Vec<Vec<f32>> = (0..COPIES)
            .map(|copy| {
                (0..k * ldb)
                    .map(|i| ((i * 104_729 + copy) % 997) as f32 / 997.0 - 0.5)
                    .collect()
            })
            .collect();
        let mut out = vec![0f32; m * shape.ldc];
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        let label = format!("{m}x{n}x{k}");
        for kernel in Kernel::available() {
            group.bench_function(BenchmarkId::new(format!("{kernel:?}"), &label), |bench| {
                let mut turn = 0;
                bench.iter(|| {
                    turn = (turn + 1) % COPIES;
                    multiply(
                        kernel,
                        black_box(&mut out),
                        false,
                        &a,
                        &b[turn],
                        shape,
                        None,
                    )
                })
            });
        }
        group.bench_function(BenchmarkId::new("gemm crate", &label), |bench| {
            let mut turn = 0;
            bench.iter(|| {
                turn = (turn + 1) % COPIES;
                // SAFETY: `out` holds m rows of ldc values, `a` m × k, `b` k rows of ldb.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        black_box(out.as_mut_ptr()),
                        1,
                        shape.ldc as isize,
                        false,
                        a.as_ptr(),
                        1,
                        k as isize,
                        b[turn].as_ptr(),
                        1,
                        ldb as isize,
                        1.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    )
                }
            })
        });
    }
    group.finish();
    c.final_summary();
}
