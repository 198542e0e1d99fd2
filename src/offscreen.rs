//! Offscreen rendering of egui frames with wgpu (a software adapter such as lavapipe is fine),
//! read back into an RGBA image: the `screenshot` command and the README picture use it.

use eframe::egui_wgpu::{self, RenderState, ScreenDescriptor, WgpuConfiguration, WgpuSetup, wgpu};
use image::RgbaImage;
use std::sync::mpsc;
use std::time::Duration;

/// How long to wait for the GPU (a software rasterizer can be slow on a big frame).
const GPU_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum OffscreenError {
    #[error("no usable GPU adapter (install Mesa's Vulkan drivers for a software one): {0}")]
    NoAdapter(String),
    #[error("GPU error while rendering: {0}")]
    Gpu(String),
}

pub struct OffscreenRenderer {
    state: RenderState,
}

impl OffscreenRenderer {
    pub fn new() -> Result<Self, OffscreenError> {
        let setup = WgpuSetup::without_display_handle();
        let instance = pollster::block_on(setup.new_instance());
        let config = WgpuConfiguration {
            wgpu_setup: setup,
            ..Default::default()
        };
        let state = pollster::block_on(RenderState::create(
            &config,
            &instance,
            None,
            egui_wgpu::RendererOptions::default(),
        ))
        .map_err(|e| OffscreenError::NoAdapter(e.to_string()))?;
        Ok(Self { state })
    }

    /// The adapter in use, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".
    pub fn adapter_name(&self) -> String {
        let info = self.state.adapter.get_info();
        format!("{} ({:?})", info.name, info.backend)
    }

    /// Format of the rendered frame (what custom pipelines must target).
    pub fn target_format(&self) -> wgpu::TextureFormat {
        self.state.target_format
    }

    /// Applies (and empties) a frame's texture changes; call for every frame, in order.
    pub fn apply_textures(&self, delta: &mut egui::TexturesDelta) {
        let mut renderer = self.state.renderer.write();
        for (id, images) in delta.set.drain() {
            for image in &images {
                renderer.update_texture(&self.state.device, &self.state.queue, id, image);
            }
        }
        for id in delta.free.drain() {
            renderer.free_texture(&id);
        }
    }

    /// Renders `output` (after its textures were applied) into an image of the context's size.
    pub fn render(
        &self,
        ctx: &egui::Context,
        output: &egui::FullOutput,
    ) -> Result<RgbaImage, OffscreenError> {
        let device = &self.state.device;
        let queue = &self.state.queue;
        let pixels_per_point = ctx.pixels_per_point();
        let size = ctx.content_rect().size() * pixels_per_point;
        let screen = ScreenDescriptor {
            pixels_per_point,
            size_in_pixels: [size.x.round() as u32, size.y.round() as u32],
        };
        let [width, height] = screen.size_in_pixels;
        let primitives = ctx.tessellate(output.shapes.clone(), pixels_per_point);
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen frame"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.state.target_format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("offscreen frame"),
        });
        let mut renderer = self.state.renderer.write();
        let user_buffers =
            renderer.update_buffers(device, queue, &mut encoder, &primitives, &screen);
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("offscreen egui"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &view,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                            store: wgpu::StoreOp::Store,
                        },
                        depth_slice: None,
                    })],
                    ..Default::default()
                })
                .forget_lifetime();
            renderer.render(&mut pass, &primitives, &screen);
        }
        drop(renderer);

        // Copy to a buffer whose rows are padded to wgpu's alignment.
        let unpadded = width as usize * 4;
        let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as usize;
        let padded = unpadded.div_ceil(align) * align;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("offscreen readback"),
            size: (padded * height as usize) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded as u32),
                    rows_per_image: None,
                },
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
        let submission = queue.submit(user_buffers.into_iter().chain(Some(encoder.finish())));
        let slice = buffer.slice(..);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = tx.send(result);
        });
        device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: Some(GPU_TIMEOUT),
            })
            .map_err(|e| OffscreenError::Gpu(e.to_string()))?;
        rx.recv_timeout(GPU_TIMEOUT)
            .map_err(|e| OffscreenError::Gpu(e.to_string()))?
            .map_err(|e| OffscreenError::Gpu(e.to_string()))?;
        let mapped = slice
            .get_mapped_range()
            .map_err(|e| OffscreenError::Gpu(e.to_string()))?;
        let bgra = matches!(
            self.state.target_format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        let mut pixels = Vec::with_capacity(unpadded * height as usize);
        for row in mapped.chunks_exact(padded) {
            for px in row[..unpadded].chunks_exact(4) {
                if bgra {
                    pixels.extend_from_slice(&[px[2], px[1], px[0], 255]);
                } else {
                    pixels.extend_from_slice(&[px[0], px[1], px[2], 255]);
                }
            }
        }
        drop(mapped);
        buffer.unmap();
        RgbaImage::from_raw(width, height, pixels)
            .ok_or_else(|| OffscreenError::Gpu("read-back size mismatch".into()))
    }
}
