// One Euler–Maruyama step of the Hopfield screen simulator (src/sim/nonlinear.ts), in place on the chains X [n×d]:
//   φ = tanh(x),  h_c = Σ_j φ_j J_jc,  f_c = −x_c + bias_c + (1 − φ_c²)·h_c   (bias = b + c_e of the chain's env)
//   x_c ← x_c + dt·f_c + scale·ξ_c,   scale = √(2 dt)
//   ξ_i = component i mod 4 of philoxNormal4(counter = (i/4, c1, c2, c3), key = seed), i = r·d + c: the stream of
//   random_normal.wgsl, so the noise is the op-by-op path's draw for draw.
// One invocation per chain (row): its d states and their tanh stay in registers, the coupling is read from J as vec4s,
// four columns at a time (d ≤ 64, d % 4 == 0, d a pipeline constant; the host takes the op-by-op path otherwise).
// Every value is formed as the op-by-op path forms it — the matmul's fma chain over j ascending (matmul_rowu), then
// α = 1; tanh_grad; the adds in the same order — so on an adapter whose products take matmul_rowu the chains are bit
// for bit the op-by-op ones (test/sim-hopfield.test.ts).
override WG: u32 = 64u;
override D: u32 = 24u; // genes (a pipeline constant: the loops below have fixed bounds)
const MAX_D: u32 = 64u;

struct Params { n: u32, dt: f32, scale: f32, seedLo: u32, seedHi: u32, c1: u32, c2: u32, c3: u32, one: f32, zero: f32,
               pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> J: array<vec4f>;
@group(0) @binding(1) var<storage, read> bias: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(3) var<uniform> p: Params;

//#include activation.wgsl
//#include philox.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (r >= p.n) { return; }
  let D4 = D / 4u;
  let base4 = r * D4; // the row's first vec4 (element r·d = 4·base4: the noise counter of random_normal.wgsl)
  var xo: array<vec4f, MAX_D / 4u>;
  var phi: array<f32, MAX_D>;
  for (var j4 = 0u; j4 < D4; j4++) {
    let v = x[base4 + j4];
    xo[j4] = v;
    // unary tanh: op(α·a + β), α = 1, β = 0
    phi[4u * j4] = tanh_safe(p.one * v.x + p.zero);
    phi[4u * j4 + 1u] = tanh_safe(p.one * v.y + p.zero);
    phi[4u * j4 + 2u] = tanh_safe(p.one * v.z + p.zero);
    phi[4u * j4 + 3u] = tanh_safe(p.one * v.w + p.zero);
  }
  for (var c4 = 0u; c4 < D4; c4++) {
    // four columns at once, each its own fma chain over j ascending (matmul_rowu's order), then the product's α = 1
    var acc = vec4f(0.0);
    for (var j = 0u; j < D; j++) { acc = fma(vec4f(phi[j]), J[j * D4 + c4], acc); }
    let h = p.one * acc;
    let ph = vec4f(phi[4u * c4], phi[4u * c4 + 1u], phi[4u * c4 + 2u], phi[4u * c4 + 3u]);
    let gated = vec4f(tanh_grad(ph.x, h.x), tanh_grad(ph.y, h.y), tanh_grad(ph.z, h.z), tanh_grad(ph.w, h.w));
    let xc = xo[c4];
    let negx = -(p.one * xc + p.zero);                     // unary neg
    let f = (negx + bias[base4 + c4]) + gated;             // add, add
    let moved = xc + (p.dt * f + p.zero);                  // unary affine(f, dt), then add
    let xi = philoxNormal4(vec4u(base4 + c4, p.c1, p.c2, p.c3), vec2u(p.seedLo, p.seedHi)) * p.scale;
    x[base4 + c4] = moved + xi;
  }
}
