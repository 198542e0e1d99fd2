//! Drawing decoded video inside egui: an `egui_wgpu` paint callback per wall tile. `prepare`
//! uploads the Y, U and V planes into R8 textures (reused until the size changes) and the
//! colour conversion into a uniform; `paint` draws one quad whose fragment shader
//! (`shaders/yuv_to_rgb.wgsl`) converts to RGB. The pipeline is created once per target format.

use crate::video::{ConversionParams, YuvFrame};
use eframe::egui_wgpu::{self, CallbackResources, ScreenDescriptor, wgpu};
use std::collections::HashMap;
use std::sync::Arc;

const SHADER: &str = include_str!("../../shaders/yuv_to_rgb.wgsl");

/// A frame to show in a tile: the tile's key, the frame and its sequence in the stream.
pub struct VideoTileCallback {
    pub tile: u64,
    pub sequence: u64,
    pub frame: Arc<YuvFrame>,
    pub target_format: wgpu::TextureFormat,
}

/// GPU objects shared by every tile, kept in egui_wgpu's callback resources.
struct VideoGpu {
    format: wgpu::TextureFormat,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    tiles: HashMap<u64, TileGpu>,
}

/// One tile's textures, reused while the picture size stays the same.
struct TileGpu {
    size: (u32, u32),
    planes: [wgpu::Texture; 3],
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    sequence: Option<u64>,
}

impl VideoGpu {
    fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("yuv_to_rgb.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("video tile"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                texture_entry(1),
                texture_entry(2),
                texture_entry(3),
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("video tile"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("video tile"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("video planes"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Self {
            format,
            pipeline,
            layout,
            sampler,
            tiles: HashMap::new(),
        }
    }

    fn tile_for(&mut self, device: &wgpu::Device, key: u64, size: (u32, u32)) -> &mut TileGpu {
        let stale = self.tiles.get(&key).is_none_or(|t| t.size != size);
        if stale {
            let tile = TileGpu::new(device, &self.layout, &self.sampler, size);
            self.tiles.insert(key, tile);
        }
        self.tiles.get_mut(&key).expect("inserted above")
    }
}

impl TileGpu {
    fn new(
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        sampler: &wgpu::Sampler,
        (width, height): (u32, u32),
    ) -> Self {
        let plane = |label, w: u32, h: u32| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: w.max(1),
                    height: h.max(1),
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::R8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let planes = [
            plane("plane y", width, height),
            plane("plane u", cw, ch),
            plane("plane v", cw, ch),
        ];
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("video tile colour"),
            size: 64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let views: Vec<_> = planes
            .iter()
            .map(|t| t.create_view(&wgpu::TextureViewDescriptor::default()))
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("video tile"),
            layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::Sampler(sampler),
                },
            ],
        });
        Self {
            size: (width, height),
            planes,
            uniform,
            bind_group,
            sequence: None,
        }
    }

    fn upload(&mut self, queue: &wgpu::Queue, frame: &YuvFrame, sequence: u64) {
        let (cw, ch) = frame.chroma_size();
        for (texture, data, w, h) in [
            (&self.planes[0], &frame.y, frame.width, frame.height),
            (&self.planes[1], &frame.u, cw, ch),
            (&self.planes[2], &frame.v, cw, ch),
        ] {
            queue.write_texture(
                texture.as_image_copy(),
                data,
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(w),
                    rows_per_image: Some(h),
                },
                wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
            );
        }
        let params = ConversionParams::for_colour(frame.colour);
        queue.write_buffer(&self.uniform, 0, &params.to_bytes());
        self.sequence = Some(sequence);
    }
}

impl egui_wgpu::CallbackTrait for VideoTileCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let outdated = resources
            .get::<VideoGpu>()
            .is_none_or(|gpu| gpu.format != self.target_format);
        if outdated {
            resources.insert(VideoGpu::new(device, self.target_format));
        }
        let Some(gpu) = resources.get_mut::<VideoGpu>() else {
            return Vec::new();
        };
        let frame = &self.frame;
        // The decoder refuses pictures beyond the limits; a device that cannot hold even
        // those gets no texture (the tile stays dark) rather than a failed creation.
        let most = device.limits().max_texture_dimension_2d;
        if frame.width > most || frame.height > most || frame.width == 0 || frame.height == 0 {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                tracing::error!(
                    width = frame.width,
                    height = frame.height,
                    most,
                    "picture larger than this GPU's textures; not drawn"
                );
            });
            return Vec::new();
        }
        let tile = gpu.tile_for(device, self.tile, (frame.width, frame.height));
        if tile.sequence != Some(self.sequence) {
            tile.upload(queue, frame, self.sequence);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(gpu) = resources.get::<VideoGpu>() else {
            return;
        };
        let Some(tile) = gpu.tiles.get(&self.tile) else {
            return;
        };
        render_pass.set_pipeline(&gpu.pipeline);
        render_pass.set_bind_group(0, &tile.bind_group, &[]);
        render_pass.draw(0..6, 0..1);
    }
}

/// The largest rectangle of the frame's aspect ratio centred in `area` (letterbox).
pub fn letterbox(area: egui::Rect, width: u32, height: u32) -> egui::Rect {
    if width == 0 || height == 0 || area.width() <= 0.0 || area.height() <= 0.0 {
        return area;
    }
    let aspect = width as f32 / height as f32;
    let size = if area.width() / area.height() > aspect {
        egui::vec2(area.height() * aspect, area.height())
    } else {
        egui::vec2(area.width(), area.width() / aspect)
    };
    egui::Rect::from_center_size(area.center(), size)
}

#[cfg(test)]
mod tests {
    use super::letterbox;
    use egui::{Rect, pos2, vec2};

    #[test]
    fn letterbox_keeps_the_aspect_ratio() {
        let wide = Rect::from_min_size(pos2(0.0, 0.0), vec2(1600.0, 600.0));
        let r = letterbox(wide, 768, 576);
        assert_eq!(r.height(), 600.0);
        assert!((r.width() - 800.0).abs() < 1e-3);
        assert_eq!(r.center(), wide.center());
        let tall = Rect::from_min_size(pos2(0.0, 0.0), vec2(400.0, 900.0));
        let r = letterbox(tall, 1920, 1080);
        assert_eq!(r.width(), 400.0);
        assert!((r.height() - 225.0).abs() < 1e-3);
    }
}
