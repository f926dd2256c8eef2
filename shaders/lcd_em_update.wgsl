// One annealed Euler–Maruyama (Langevin) step of LCD's sampler, fused: the "song" drift wrapper, the Philox
// noise and the update, in place on the state z [n elements]:
//   f  = (D(z) − z)/σ²  with  D(z) = s·z − σ·g,  s = 1/√(1+σ²),  g = network output at x_in = s·z
//   z ← z + α f + noiseScale · ξ + prevScale · ξ′
//   Euler–Maruyama: noiseScale = √(2α), prevScale = 0 (both 0 for the probability flow);
//   Leimkuhler–Matthews: noiseScale = prevScale = √(α/2), ξ′ = the previous step's ξ, drawn again from its counter
//   (exact stationary variance on Gaussian targets at any stable step; see src/lcd/sampler.ts).
//   ξ_i = component i mod 4 of philoxNormal4(counter = (i/4, c1, c2, c3), key = seed), ξ′ likewise with (p1, p2, p3)
// (the same stream as random_normal.wgsl: (c1, c2, c3) = (step, chunk, domain·256) of 'sampler.noise').
override WG: u32 = 64u;

struct Params { n: u32, sigma: f32, s: f32, alpha: f32, noiseScale: f32, seedLo: u32, seedHi: u32, c1: u32, c2: u32, c3: u32,
               prevScale: f32, p1: u32, p2: u32, p3: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include philox.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let block = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (block * 4u >= p.n) { return; }
  var xi = vec4f(0.0);
  if (p.noiseScale != 0.0) { xi = p.noiseScale * philoxNormal4(vec4u(block, p.c1, p.c2, p.c3), vec2u(p.seedLo, p.seedHi)); }
  if (p.prevScale != 0.0) { xi += p.prevScale * philoxNormal4(vec4u(block, p.p1, p.p2, p.p3), vec2u(p.seedLo, p.seedHi)); }
  let inv = 1.0 / (p.sigma * p.sigma);
  for (var j = 0u; j < 4u; j++) {
    let i = block * 4u + j;
    if (i >= p.n) { break; }
    let zi = z[i];
    let f = ((p.s - 1.0) * zi - p.sigma * g[i]) * inv;
    z[i] = zi + p.alpha * f + xi[j];
  }
}
