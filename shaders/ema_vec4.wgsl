// ema.wgsl (one step of an exponential moving average in place, avg ← β·avg + (1 − β)·param) with four consecutive
// elements per invocation: one vec4 load per buffer instead of four scalar ones (on a software adapter the loads
// cost more than the arithmetic). Each component is ema.wgsl's expression, so the same bits. p.n counts vec4s.
override WG: u32 = 64u;

struct Params { n: u32, decay: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> param: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> avg: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  avg[i] = p.decay * avg[i] + (1.0 - p.decay) * param[i];
}
