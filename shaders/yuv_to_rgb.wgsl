// Converts planar YUV 4:2:0 video frames (one R8 texture per plane) to RGB for the video wall.
// Drawn by the wall's egui paint callback: the viewport is the tile's video rectangle, so the
// quad covers the whole viewport. Output is gamma-encoded R'G'B' for egui's non-sRGB target.

struct Params {
    // Rows of the Y'CbCr → R'G'B' matrix (BT.601 or BT.709), applied to (y, u, v, 1).
    row_r: vec4<f32>,
    row_g: vec4<f32>,
    row_b: vec4<f32>,
    // x: luma offset (16/255 limited range, 0 full); y: luma scale; z: chroma scale;
    // w: chroma zero (128/255).
    range: vec4<f32>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var plane_y: texture_2d<f32>;
@group(0) @binding(2) var plane_u: texture_2d<f32>;
@group(0) @binding(3) var plane_v: texture_2d<f32>;
@group(0) @binding(4) var plane_sampler: sampler;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    // Two triangles covering the viewport; uv (0,0) is the picture's top-left corner.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let c = corners[index];
    var out: VertexOut;
    out.position = vec4<f32>(c.x * 2.0 - 1.0, 1.0 - c.y * 2.0, 0.0, 1.0);
    out.uv = c;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let y = (textureSample(plane_y, plane_sampler, in.uv).r - params.range.x) * params.range.y;
    let u = (textureSample(plane_u, plane_sampler, in.uv).r - params.range.w) * params.range.z;
    let v = (textureSample(plane_v, plane_sampler, in.uv).r - params.range.w) * params.range.z;
    let yuv = vec4<f32>(y, u, v, 1.0);
    let rgb = vec3<f32>(dot(params.row_r, yuv), dot(params.row_g, yuv), dot(params.row_b, yuv));
    return vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
