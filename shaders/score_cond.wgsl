// The score network's conditioning for a batch from one environment, in one dispatch (five matmuls before): the level
// embedding table and the first two layers' bias rows, which depend on the parameters and the environment only.
//   T1   = tanh(S·W1 + b1)                 [Lc×H]  S the sinusoidal level table (its first Lc rows), W1 = time.w1
//   temb = T1·W2 + b2                      [Lc×H]  W2 = time.w2: the rows the first layer gathers per sample
//   ē    = w·E                             [De]    w the environment's target weights [G], E = embed.table
//   bias_l = (ē·U_l + u_l) + mb_l          [H]     U_l = inject<l>.w, u_l = inject<l>.b, mb_l = mlp.b<l>  (l = 1, 2)
// T1 and ē are also written to `saved` (T1 rows, then ē), which the backward pass (score_cond_vjp.wgsl) reads.
// Every element is the fma chain matmul_rowu/matmul_strided form (the inner index ascending from 0, then + bias, then
// + addend), so the values are those of the separate products, bit for bit.
// Dispatch: ceil(Lc/4) workgroups of four table rows each, then one for the injections. A row workgroup's lanes own
// column blocks (vec4) of T1, the four rows' T1 go through workgroup memory to layer 2 (one barrier). The parameters
// are bound as one buffer (the packed parameters), each at its offset in vec4s. Requires H % 4 == 0, De % 4 == 0.
override WG: u32 = 32u;
override SH: u32 = 128u; // vec4s of workgroup memory: at least 4·H/4 (four rows of T1) and De/4 (ē)

struct Params {
  Lc: u32, H4: u32, De4: u32, G: u32,
  oW1: u32, oB1: u32, oW2: u32, oB2: u32,
  oE: u32, oU1: u32, ou1: u32, oU2: u32,
  ou2: u32, oMb1: u32, oMb2: u32, nT: u32,
}
@group(0) @binding(0) var<storage, read> P: array<vec4f>;
@group(0) @binding(1) var<storage, read> S: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> temb: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> bias1: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> bias2: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> saved: array<vec4f>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> sh: array<vec4f, SH>;

//#include activation.wgsl

fn tanh4(z: vec4f) -> vec4f { return vec4f(tanh_safe(z.x), tanh_safe(z.y), tanh_safe(z.z), tanh_safe(z.w)); }

// One k-step of four rows' chains: acc_r += a_r.x·b0 + … + a_r.w·b3, the terms in k order (matmul_rowu's fmaQuad).
fn chain(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H4 = p.H4;
  if (wid.x < p.nT) {
    let t0 = wid.x * 4u;
    // rows past Lc are clamped copies of the last row: computed, never stored
    let r0 = min(t0, p.Lc - 1u) * H4; let r1 = min(t0 + 1u, p.Lc - 1u) * H4;
    let r2 = min(t0 + 2u, p.Lc - 1u) * H4; let r3 = min(t0 + 3u, p.Lc - 1u) * H4;
    for (var c = lid.x; c < H4; c += WG) {
      var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
      for (var i4 = 0u; i4 < H4; i4++) {
        let wb = p.oW1 + 4u * i4 * H4 + c;
        let b0 = P[wb]; let b1 = P[wb + H4]; let b2 = P[wb + 2u * H4]; let b3 = P[wb + 3u * H4];
        a0 = chain(a0, S[r0 + i4], b0, b1, b2, b3);
        a1 = chain(a1, S[r1 + i4], b0, b1, b2, b3);
        a2 = chain(a2, S[r2 + i4], b0, b1, b2, b3);
        a3 = chain(a3, S[r3 + i4], b0, b1, b2, b3);
      }
      let b = P[p.oB1 + c];
      let y0 = tanh4(a0 + b); let y1 = tanh4(a1 + b); let y2 = tanh4(a2 + b); let y3 = tanh4(a3 + b);
      sh[c] = y0; sh[H4 + c] = y1; sh[2u * H4 + c] = y2; sh[3u * H4 + c] = y3;
      if (t0 < p.Lc) { saved[t0 * H4 + c] = y0; }
      if (t0 + 1u < p.Lc) { saved[(t0 + 1u) * H4 + c] = y1; }
      if (t0 + 2u < p.Lc) { saved[(t0 + 2u) * H4 + c] = y2; }
      if (t0 + 3u < p.Lc) { saved[(t0 + 3u) * H4 + c] = y3; }
    }
    workgroupBarrier();
    for (var c = lid.x; c < H4; c += WG) {
      var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
      for (var k4 = 0u; k4 < H4; k4++) {
        let wb = p.oW2 + 4u * k4 * H4 + c;
        let b0 = P[wb]; let b1 = P[wb + H4]; let b2 = P[wb + 2u * H4]; let b3 = P[wb + 3u * H4];
        a0 = chain(a0, sh[k4], b0, b1, b2, b3);
        a1 = chain(a1, sh[H4 + k4], b0, b1, b2, b3);
        a2 = chain(a2, sh[2u * H4 + k4], b0, b1, b2, b3);
        a3 = chain(a3, sh[3u * H4 + k4], b0, b1, b2, b3);
      }
      let b = P[p.oB2 + c];
      if (t0 < p.Lc) { temb[t0 * H4 + c] = a0 + b; }
      if (t0 + 1u < p.Lc) { temb[(t0 + 1u) * H4 + c] = a1 + b; }
      if (t0 + 2u < p.Lc) { temb[(t0 + 2u) * H4 + c] = a2 + b; }
      if (t0 + 3u < p.Lc) { temb[(t0 + 3u) * H4 + c] = a3 + b; }
    }
  } else {
    // ē = w·E, one column block per lane (the weights are scalars: matmul_strided's chain over g)
    for (var c = lid.x; c < p.De4; c += WG) {
      var e = vec4f(0.0);
      for (var g = 0u; g < p.G; g++) { e = fma(vec4f(w[g]), P[p.oE + g * p.De4 + c], e); }
      sh[c] = e;
      saved[p.Lc * H4 + c] = e;
    }
    workgroupBarrier();
    for (var c = lid.x; c < H4; c += WG) {
      var a1 = vec4f(0.0); var a2 = vec4f(0.0);
      for (var k4 = 0u; k4 < p.De4; k4++) {
        let e = sh[k4];
        let u1 = p.oU1 + 4u * k4 * H4 + c; let u2 = p.oU2 + 4u * k4 * H4 + c;
        a1 = chain(a1, e, P[u1], P[u1 + H4], P[u1 + 2u * H4], P[u1 + 3u * H4]);
        a2 = chain(a2, e, P[u2], P[u2 + H4], P[u2 + 2u * H4], P[u2 + 3u * H4]);
      }
      bias1[c] = (a1 + P[p.ou1 + c]) + P[p.oMb1 + c];
      bias2[c] = (a2 + P[p.ou2 + c]) + P[p.oMb2 + c];
    }
  }
}
