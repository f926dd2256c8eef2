// One step of an exponential moving average in place: avg ← β·avg + (1 − β)·param (β = p.decay, this step's decay
// from the host, which warms it up; see src/nn/ema.ts). Included by ema.wgsl (alias Elem = f32: one element per
// invocation) and ema_vec4.wgsl (alias Elem = vec4f: four, one vector load per buffer); each component is the same
// expression, so the two give the same bits. p.n counts Elems.
override WG: u32 = 64u;

struct Params { n: u32, decay: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> param: array<Elem>;
@group(0) @binding(1) var<storage, read_write> avg: array<Elem>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  avg[i] = p.decay * avg[i] + (1.0 - p.decay) * param[i];
}
