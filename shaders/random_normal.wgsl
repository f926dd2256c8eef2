// out[i] ~ N(0, 1), i = 0..n−1: element i is component (i mod 4) of philoxNormal4(counter = (i/4, c1, c2, c3),
// key = seed); (c1, c2, c3) = (a, b, domain·256) of a named stream (src/core/random-streams.ts). The stream is a
// pure function of (seed, c1, c2, c3, i): the same on every adapter and in the CPU reference, independent of
// workgroup size or dispatch shape.
override WG: u32 = 64u;

struct Params { n: u32, seedLo: u32, seedHi: u32, c1: u32, c2: u32, scale: f32, c3: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

//#include philox.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let block = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (block * 4u >= p.n) { return; }
  let z = philoxNormal4(vec4u(block, p.c1, p.c2, p.c3), vec2u(p.seedLo, p.seedHi)) * p.scale;
  for (var j = 0u; j < 4u; j++) {
    let i = block * 4u + j;
    if (i < p.n) { out[i] = z[j]; }
  }
}
