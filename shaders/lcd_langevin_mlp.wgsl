// Several annealed Langevin steps of LCD's sampler in one dispatch, network included (the "fully fused MLP" idea
// of tiny-cuda-nn): a workgroup owns 4 particle rows, keeps their state and both hidden layers in workgroup
// memory for all `steps` steps of one noise level, and streams the weights from storage. Per step, for each row:
//   h1 = tanh(s·z W1 + bias1[env])        bias1 = temb[t] + b1 + U1ē + u1   (per environment, this level)
//   h2 = tanh(h1 W2 + bias2[env])         bias2 = U2ē + u2 + b2
//   g  = h2 W3 + b3
//   z ← z + α f + noiseScale·ξ_k + prevScale·ξ_{k−1},   f = ((s − 1) z − σ g)/σ²
// exactly the layer path (score-net.ts outputAt + lcd_em_update.wgsl), with step k's ξ from counter word 1 = c1 + k
// and the Leimkuhler–Matthews term from c1 + k − 1 (the same Philox blocks: element i of the state is component
// i mod 4 of block i/4, and with d % 4 == 0 the 4 columns of a vec4 are one block).
// Row r belongs to environment ⌊r / P⌋ (environment-major rows, P particles each).
//
// Layout: D4 = d/4 and H4 = H/4 are pipeline constants (they size the workgroup arrays); each invocation owns
// vec4 column blocks c4 = lid, lid + WG, … of a layer and keeps 4 rows × vec4 accumulators (the register block
// of matmul_rowu.wgsl, with the rows read from workgroup memory: the same address for every lane).
// Requires d % 4 == 0 and H % 4 == 0; workgroup memory 16·(d + 2H) bytes (the host checks the adapter's limit).
override WG: u32 = 64u;
override D4: u32 = 1u;
override H4: u32 = 1u;

struct Params { n: u32, P: u32, steps: u32, sigma: f32, s: f32, alpha: f32, noiseScale: f32, prevScale: f32,
               seedLo: u32, seedHi: u32, c1: u32, c2: u32, c3: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> z: array<vec4f>;
@group(0) @binding(1) var<storage, read> W1: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias1: array<vec4f>;
@group(0) @binding(3) var<storage, read> W2: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias2: array<vec4f>;
@group(0) @binding(5) var<storage, read> W3: array<vec4f>;
@group(0) @binding(6) var<storage, read> b3: array<vec4f>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> zs: array<vec4f, 4u * D4>;
var<workgroup> h1: array<vec4f, 4u * H4>;
var<workgroup> h2: array<vec4f, 4u * H4>;

//#include philox.wgsl

struct Acc { a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f }

// Σ_k x[r, k] W[k, c4·4 .. c4·4+3] for the 4 rows, x = zs (K4 = D4) — k ascending, like matmul_rowu.
fn layerFromState(c4: u32, N4: u32) -> Acc {
  var acc = Acc(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k4 = 0u; k4 < D4; k4++) {
    let a0 = zs[k4]; let a1 = zs[D4 + k4]; let a2 = zs[2u * D4 + k4]; let a3 = zs[3u * D4 + k4];
    let bb = k4 * 4u * N4 + c4;
    let w0 = W1[bb]; let w1 = W1[bb + N4]; let w2 = W1[bb + 2u * N4]; let w3 = W1[bb + 3u * N4];
    acc.a0 = fma(vec4f(a0.w), w3, fma(vec4f(a0.z), w2, fma(vec4f(a0.y), w1, fma(vec4f(a0.x), w0, acc.a0))));
    acc.a1 = fma(vec4f(a1.w), w3, fma(vec4f(a1.z), w2, fma(vec4f(a1.y), w1, fma(vec4f(a1.x), w0, acc.a1))));
    acc.a2 = fma(vec4f(a2.w), w3, fma(vec4f(a2.z), w2, fma(vec4f(a2.y), w1, fma(vec4f(a2.x), w0, acc.a2))));
    acc.a3 = fma(vec4f(a3.w), w3, fma(vec4f(a3.z), w2, fma(vec4f(a3.y), w1, fma(vec4f(a3.x), w0, acc.a3))));
  }
  return acc;
}

// The same product with x = h1 (K4 = H4) and W = W2, or x = h2 and W = W3 (which = 2, 3).
fn layerFromHidden(which: u32, c4: u32, N4: u32) -> Acc {
  var acc = Acc(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k4 = 0u; k4 < H4; k4++) {
    var a0: vec4f; var a1: vec4f; var a2: vec4f; var a3: vec4f;
    var w0: vec4f; var w1: vec4f; var w2: vec4f; var w3: vec4f;
    let bb = k4 * 4u * N4 + c4;
    if (which == 2u) {
      a0 = h1[k4]; a1 = h1[H4 + k4]; a2 = h1[2u * H4 + k4]; a3 = h1[3u * H4 + k4];
      w0 = W2[bb]; w1 = W2[bb + N4]; w2 = W2[bb + 2u * N4]; w3 = W2[bb + 3u * N4];
    } else {
      a0 = h2[k4]; a1 = h2[H4 + k4]; a2 = h2[2u * H4 + k4]; a3 = h2[3u * H4 + k4];
      w0 = W3[bb]; w1 = W3[bb + N4]; w2 = W3[bb + 2u * N4]; w3 = W3[bb + 3u * N4];
    }
    acc.a0 = fma(vec4f(a0.w), w3, fma(vec4f(a0.z), w2, fma(vec4f(a0.y), w1, fma(vec4f(a0.x), w0, acc.a0))));
    acc.a1 = fma(vec4f(a1.w), w3, fma(vec4f(a1.z), w2, fma(vec4f(a1.y), w1, fma(vec4f(a1.x), w0, acc.a1))));
    acc.a2 = fma(vec4f(a2.w), w3, fma(vec4f(a2.z), w2, fma(vec4f(a2.y), w1, fma(vec4f(a2.x), w0, acc.a2))));
    acc.a3 = fma(vec4f(a3.w), w3, fma(vec4f(a3.z), w2, fma(vec4f(a3.y), w1, fma(vec4f(a3.x), w0, acc.a3))));
  }
  return acc;
}

// tanh as activation.wgsl's tanh_safe, on a vec4 (the clamp keeps exp finite; ±15 is ±1 in f32).
fn tanh4(x: vec4f) -> vec4f {
  let e = exp(2.0 * clamp(x, vec4f(-15.0), vec4f(15.0)));
  return (e - 1.0) / (e + 1.0);
}

fn env(row: u32) -> u32 { return min(row, p.n - 1u) / p.P; }

fn langevin(row: u32, c4: u32, zi: vec4f, gi: vec4f, k: u32) -> vec4f {
  var xi = vec4f(0.0);
  let key = vec2u(p.seedLo, p.seedHi);
  let block = row * D4 + c4;
  if (p.noiseScale != 0.0) { xi = p.noiseScale * philoxNormal4(vec4u(block, p.c1 + k, p.c2, p.c3), key); }
  if (p.prevScale != 0.0) { xi += p.prevScale * philoxNormal4(vec4u(block, p.c1 + k - 1u, p.c2, p.c3), key); }
  let f = ((p.s - 1.0) * zi - p.sigma * gi) * (1.0 / (p.sigma * p.sigma)); // as lcd_em_update.wgsl
  return zi + p.alpha * f + xi;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let row0 = (wid.y * nwg.x + wid.x) * 4u;
  if (row0 >= p.n) { return; } // uniform per workgroup: no barrier is skipped by part of a group
  for (var i = lid.x; i < 4u * D4; i += WG) {
    let r = row0 + i / D4;
    zs[i] = select(vec4f(0.0), z[min(r, p.n - 1u) * D4 + i % D4], r < p.n);
  }
  let e0 = env(row0); let e1 = env(row0 + 1u); let e2 = env(row0 + 2u); let e3 = env(row0 + 3u);
  for (var k = 0u; k < p.steps; k++) {
    workgroupBarrier();
    for (var c4 = lid.x; c4 < H4; c4 += WG) {
      let a = layerFromState(c4, H4);
      h1[c4] = tanh4(p.s * a.a0 + bias1[e0 * H4 + c4]);
      h1[H4 + c4] = tanh4(p.s * a.a1 + bias1[e1 * H4 + c4]);
      h1[2u * H4 + c4] = tanh4(p.s * a.a2 + bias1[e2 * H4 + c4]);
      h1[3u * H4 + c4] = tanh4(p.s * a.a3 + bias1[e3 * H4 + c4]);
    }
    workgroupBarrier();
    for (var c4 = lid.x; c4 < H4; c4 += WG) {
      let a = layerFromHidden(2u, c4, H4);
      h2[c4] = tanh4(a.a0 + bias2[e0 * H4 + c4]);
      h2[H4 + c4] = tanh4(a.a1 + bias2[e1 * H4 + c4]);
      h2[2u * H4 + c4] = tanh4(a.a2 + bias2[e2 * H4 + c4]);
      h2[3u * H4 + c4] = tanh4(a.a3 + bias2[e3 * H4 + c4]);
    }
    workgroupBarrier();
    for (var c4 = lid.x; c4 < D4; c4 += WG) {
      let a = layerFromHidden(3u, c4, D4);
      let bias = b3[c4];
      zs[c4] = langevin(row0, c4, zs[c4], a.a0 + bias, k);
      zs[D4 + c4] = langevin(row0 + 1u, c4, zs[D4 + c4], a.a1 + bias, k);
      zs[2u * D4 + c4] = langevin(row0 + 2u, c4, zs[2u * D4 + c4], a.a2 + bias, k);
      zs[3u * D4 + c4] = langevin(row0 + 3u, c4, zs[3u * D4 + c4], a.a3 + bias, k);
    }
  }
  workgroupBarrier();
  for (var i = lid.x; i < 4u * D4; i += WG) {
    if (row0 + i / D4 < p.n) { z[row0 * D4 + i] = zs[i]; }
  }
}
