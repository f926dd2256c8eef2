// One step of an exponential moving average in place: avg ← β·avg + (1 − β)·param (β = p.decay, this step's decay
// from the host, which warms it up; see src/nn/ema.ts).
override WG: u32 = 64u;

struct Params { n: u32, decay: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> avg: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  avg[i] = p.decay * avg[i] + (1.0 - p.decay) * param[i];
}
