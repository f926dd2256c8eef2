// One AdamW step in place (optax.adamw semantics: decoupled weight decay multiplied by the learning rate):
//   g  ← clip · g                 clip = min(1, maxNorm / ‖g‖) when maxNorm > 0 (global-norm clipping),
//   m  ← β1 m + (1−β1) g           v ← β2 v + (1−β2) g²
//   p  ← p − lr · ( m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd · p )
// The learning rate comes from the host schedule (warmup-cosine or cosine); ‖g‖² is read from gnormSq[0]
// (computed on the GPU over all parameters), so clipping needs no readback. adamw_vec4.wgsl is the same step four
// elements per invocation (vector loads), for buffers whose length is a multiple of 4 (the packed parameters).
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> gnormSq: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

//#include adamw_elem.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let clip = adamw_clip();
  let r = adamw_elem(param[i], g[i], m[i], v[i], clip);
  m[i] = r.m; v[i] = r.v; param[i] = r.param;
}
