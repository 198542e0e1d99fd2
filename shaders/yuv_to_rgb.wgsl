// Converts planar YUV 4:2:0 video frames (one texture per plane) to RGB for the video wall.
// Used by the wall renderer (video issue); validated at build time by build.rs like every shader.

struct Params {
    // Rows of the YCbCr → RGB matrix (BT.601 or BT.709), applied after range expansion.
    row_r: vec4<f32>,
    row_g: vec4<f32>,
    row_b: vec4<f32>,
    // x: luma offset (16/255 limited, 0 full); y: luma scale; z: chroma scale; w: unused.
    range: vec4<f32>,
    // Destination rectangle in normalised device coordinates: x0, y0, x1, y1.
    dest: vec4<f32>,
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
    // Two triangles covering the destination rectangle.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let c = corners[index];
    var out: VertexOut;
    let x = mix(params.dest.x, params.dest.z, c.x);
    let y = mix(params.dest.y, params.dest.w, c.y);
    out.position = vec4<f32>(x, y, 0.0, 1.0);
    out.uv = vec2<f32>(c.x, 1.0 - c.y);
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let y = (textureSample(plane_y, plane_sampler, in.uv).r - params.range.x) * params.range.y;
    let u = (textureSample(plane_u, plane_sampler, in.uv).r - 0.5) * params.range.z;
    let v = (textureSample(plane_v, plane_sampler, in.uv).r - 0.5) * params.range.z;
    let yuv = vec4<f32>(y, u, v, 1.0);
    let rgb = vec3<f32>(dot(params.row_r, yuv), dot(params.row_g, yuv), dot(params.row_b, yuv));
    return vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
