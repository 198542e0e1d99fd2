//! Host-side access for the CPU kernels: whether they serve a device, a CPU tensor's f32 data
//! read in place, and an output buffer that parallel workers fill in disjoint parts before it
//! becomes a tensor.

use candle_core::{CpuStorage, Device, Shape, Storage, Tensor};
use std::cell::Cell;
use std::mem::MaybeUninit;

thread_local! {
    static CANDLE_OPS_ONLY: Cell<bool> = const { Cell::new(false) };
}

/// Whether this module's CPU kernels serve tensors on `device`: on the CPU, unless inside
/// [`candle_ops_only`] on this thread. Otherwise candle's own ops run, as on a GPU.
pub fn native(device: &Device) -> bool {
    device.is_cpu() && !CANDLE_OPS_ONLY.get()
}

/// Runs `f` with candle's own ops in place of the CPU kernels, on this thread: what the
/// kernels gain is measured against it (`cargo bench --bench detect`), and tests compare the
/// two, which also runs the network's GPU path on the CPU.
pub fn candle_ops_only<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CANDLE_OPS_ONLY.set(self.0);
        }
    }
    let _restore = Restore(CANDLE_OPS_ONLY.replace(true));
    f()
}

/// Runs `f` on the contiguous f32 data of CPU tensors (made contiguous first when they are
/// not), each with its dims.
pub fn with_f32<R>(
    tensors: &[&Tensor],
    f: impl FnOnce(&[(&[f32], &[usize])]) -> candle_core::Result<R>,
) -> candle_core::Result<R> {
    let owned = tensors
        .iter()
        .map(|t| t.contiguous())
        .collect::<candle_core::Result<Vec<_>>>()?;
    let guards = owned
        .iter()
        .map(|t| t.storage_and_layout())
        .collect::<Vec<_>>();
    let mut views = Vec::with_capacity(guards.len());
    for (storage, layout) in &guards {
        let Storage::Cpu(CpuStorage::F32(data)) = &**storage else {
            candle_core::bail!("a CPU kernel takes f32 tensors on the CPU");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("a CPU kernel takes contiguous tensors");
        };
        views.push((&data[start..end], layout.shape().dims()));
    }
    f(&views)
}

/// An output of `len` values written by several workers, each to its own elements, through
/// [`Output::ptr`]; [`Output::into_tensor`] once every element has been written.
pub struct Output {
    data: Vec<f32>,
    len: usize,
}

/// The output's base address, shareable between workers that write disjoint elements.
#[derive(Clone, Copy)]
pub struct OutPtr(*mut f32);

// SAFETY: workers write disjoint elements of one live allocation (the `Output` outlives them).
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// The address of element `offset`.
    pub fn at(self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }

    /// Elements `offset..offset + len`, not yet written, to write.
    ///
    /// # Safety
    /// They lie inside the output's allocation, and no other worker touches them while the
    /// slice lives.
    pub unsafe fn uninit<'a>(self, offset: usize, len: usize) -> &'a mut [MaybeUninit<f32>] {
        // SAFETY: the caller's promise; `MaybeUninit` asks nothing of the values.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset).cast(), len) }
    }

    /// Elements `offset..offset + len` as a slice.
    ///
    /// # Safety
    /// They lie inside the output, have been written, and no other worker touches them while
    /// the slice lives.
    pub unsafe fn slice<'a>(self, offset: usize, len: usize) -> &'a mut [f32] {
        // SAFETY: the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), len) }
    }
}

/// `values` once every one of them has been written.
///
/// # Safety
/// Every value has been written.
pub unsafe fn assume_init(values: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: `MaybeUninit<f32>` has the layout of `f32`, and the caller's promise.
    unsafe { &mut *(values as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

impl Output {
    pub fn new(len: usize) -> Self {
        Self {
            data: Vec::with_capacity(len),
            len,
        }
    }

    pub fn ptr(&mut self) -> OutPtr {
        OutPtr(self.data.as_mut_ptr())
    }

    /// The values, for a custom op's storage.
    ///
    /// # Safety
    /// Every element has been written.
    pub unsafe fn into_vec(mut self) -> Vec<f32> {
        // SAFETY: the caller's promise that all `len` elements (within capacity) are written.
        unsafe { self.data.set_len(self.len) };
        self.data
    }

    /// The tensor of `shape` (as many elements as the output).
    ///
    /// # Safety
    /// Every element has been written.
    pub unsafe fn into_tensor(mut self, shape: impl Into<Shape>) -> candle_core::Result<Tensor> {
        // SAFETY: the caller's promise that all `len` elements (within capacity) are written.
        unsafe { self.data.set_len(self.len) };
        Tensor::from_vec(self.data, shape.into(), &Device::Cpu)
    }
}
