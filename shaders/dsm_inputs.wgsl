// The inputs of one DSM batch, fused (one dispatch instead of the noise draw and five elementwise passes), per
// element i of the [N×d] batch, row r = ⌊i/d⌋ with its level's (σ, a, s), a = (s − 1)/σ, s = 1/√(1+σ²):
//   ε   = component i mod 4 of philoxNormal4(counter = (i/4, c1, c2, c3), key = seed)   (random_normal.wgsl's stream)
//   x̃   = x + σε                    the noised state
//   xin = s·x̃                       the network's input
//   nt  = −(a·x̃ + ε)                minus the regression target, so that the last layer's epilogue adds it: r = g − target
// Each expression is the same f32 operation, in the same order, as the separate passes it replaces.
override WG: u32 = 64u;

struct Params { n: u32, d: u32, seedLo: u32, seedHi: u32, c1: u32, c2: u32, c3: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> cols: array<f32>; // [N×3]: σ, a, s per row
@group(0) @binding(2) var<storage, read_write> xin: array<f32>;
@group(0) @binding(3) var<storage, read_write> nt: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include philox.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let block = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (block * 4u >= p.n) { return; }
  let eps = philoxNormal4(vec4u(block, p.c1, p.c2, p.c3), vec2u(p.seedLo, p.seedHi));
  for (var j = 0u; j < 4u; j++) {
    let i = block * 4u + j;
    if (i >= p.n) { break; }
    let row = i / p.d;
    let sigma = cols[row * 3u];
    let a = cols[row * 3u + 1u];
    let s = cols[row * 3u + 2u];
    let scaled = eps[j] * sigma;
    let noisy = x[i] + scaled;
    xin[i] = noisy * s;
    let lin = noisy * a;
    nt[i] = -(lin + eps[j]);
  }
}
