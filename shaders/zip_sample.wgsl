// Counts from latent states through the zero-inflated Poisson measurement (spec §3.1 sampling):
//   λ = u_g · softplus(s),  x ~ Poisson(λ),  then x ← 0 with probability π_g = sigmoid(logitPi_g), or with HAS_SLOPE
//   the state-dependent π = sigmoid(logitPi_g + slope_g·(log(λ + 1e-20) − log u_g)) (src/measurement/likelihood.ts).
// Element i (gene g = i mod d) draws from the Philox stream (seed; c1, c2, c3 = a, b, domain·256 of a named stream,
// src/core/random-streams.ts): block (i, c1, c2, c3) gives the
// zero-inflation uniform (x) and the inversion uniform (y); rejection round j ≥ 1 uses block (i, c1, c2, c3 + j) for two
// tries (x, y) and (z, w). Poisson: inversion by sequential search for λ < 10 (exact); PTRS transformed rejection
// (Hörmann 1993) for λ ≥ 10, with log k! from Stirling's series (error < 1e-7 for k ≥ 1 after the exact table).
// The same algorithm on the same bits in Float64: zipSampleRef in src/measurement/kernels/zip-sample.ts.
override WG: u32 = 64u;
override HAS_SLOPE: bool = false;

struct Params { n: u32, d: u32, seedLo: u32, seedHi: u32, c1: u32, c2: u32, c3: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> states: array<f32>;
@group(0) @binding(1) var<storage, read> unitScale: array<f32>;
@group(0) @binding(2) var<storage, read> logitPi: array<f32>;
@group(0) @binding(3) var<storage, read> slope: array<f32>;      // [d], read only with HAS_SLOPE
@group(0) @binding(4) var<storage, read_write> counts: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

//#include philox.wgsl

//#include activation.wgsl

// log k! : exact sums below 10, Stirling's series above.
fn logFactorial(k: f32) -> f32 {
  if (k < 10.0) {
    var s = 0.0;
    for (var j = 2.0; j <= k; j += 1.0) { s += log(j); }
    return s;
  }
  let n = k + 1.0;
  return (n - 0.5) * log(n) - n + 0.9189385332046727 + 1.0 / (12.0 * n) - 1.0 / (360.0 * n * n * n);
}

// One PTRS try with uniforms (u0, v); returns the draw or −1 when rejected.
fn ptrsTry(lam: f32, u0: f32, v: f32) -> f32 {
  let slam = sqrt(lam); let loglam = log(lam);
  let b = 0.931 + 2.53 * slam; let a = -0.059 + 0.02483 * b;
  let invalpha = 1.1239 + 1.1328 / (b - 3.4); let vr = 0.9277 - 3.6224 / (b - 2.0);
  let u = u0 - 0.5; let us = 0.5 - abs(u);
  let k = floor((2.0 * a / us + b) * u + lam + 0.43);
  if (us >= 0.07 && v <= vr) { return k; }
  if (k < 0.0 || (us < 0.013 && v > us)) { return -1.0; }
  if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - logFactorial(k)) { return k; }
  return -1.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let g = i % p.d;
  let key = vec2u(p.seedLo, p.seedHi);
  let lam = unitScale[g] * softplus(states[i]);
  var nu = logitPi[g];
  if (HAS_SLOPE) { nu = nu + slope[g] * (log(lam + 1e-20) - log(unitScale[g])); }
  let pi = 1.0 / (1.0 + exp(-nu));
  let b0 = philox4x32(vec4u(i, p.c1, p.c2, p.c3), key);
  if (u01(b0.x) < pi || !(lam > 0.0)) { counts[i] = 0.0; return; }
  if (lam < 10.0) {
    let u = u01(b0.y);
    var k = 0.0; var pk = exp(-lam); var c = pk;
    while (u > c && k < 200.0) { k += 1.0; pk *= lam / k; c += pk; }
    counts[i] = k;
    return;
  }
  for (var j = 1u; j < 256u; j++) {
    let bits = philox4x32(vec4u(i, p.c1, p.c2, p.c3 + j), key);
    var k = ptrsTry(lam, u01(bits.x), u01(bits.y));
    if (k >= 0.0) { counts[i] = k; return; }
    k = ptrsTry(lam, u01(bits.z), u01(bits.w));
    if (k >= 0.0) { counts[i] = k; return; }
  }
  counts[i] = round(lam);   // unreachable in practice (acceptance > 0.9 per try)
}
