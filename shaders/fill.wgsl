// out[i] = value. Used instead of clearBuffer so zeroing stays inside the open compute pass.
override WG: u32 = 64u;
struct Params { n: u32, value: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i < p.n) { out[i] = p.value; }
}
