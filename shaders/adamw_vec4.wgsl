// adamw.wgsl (one AdamW step in place, optax semantics, optional global-norm clipping from gnormSq[0]; see there) with
// four consecutive elements per invocation: one vec4 load per buffer instead of four scalar ones (on a software
// adapter the loads cost more than the arithmetic). Each element's arithmetic is adamw_elem's, so the bits are
// adamw.wgsl's. p.n counts vec4s.
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> g: array<vec4f>;
@group(0) @binding(1) var<storage, read> gnormSq: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(5) var<uniform> p: Params;

//#include adamw_elem.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let clip = adamw_clip();
  let p4 = param[i]; let g4 = g[i]; let m4 = m[i]; let v4 = v[i];
  let x = adamw_elem(p4.x, g4.x, m4.x, v4.x, clip);
  let y = adamw_elem(p4.y, g4.y, m4.y, v4.y, clip);
  let z = adamw_elem(p4.z, g4.z, m4.z, v4.z, clip);
  let w = adamw_elem(p4.w, g4.w, m4.w, v4.w, clip);
  m[i] = vec4f(x.m, y.m, z.m, w.m); v[i] = vec4f(x.v, y.v, z.v, w.v);
  param[i] = vec4f(x.param, y.param, z.param, w.param);
}
