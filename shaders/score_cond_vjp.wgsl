// The gradient of score_cond (one dispatch; eight matmuls before), from the cotangents gT of temb [Lc×H] and g1, g2
// of the two bias rows [H], with T1 and ē as score_cond saved them:
//   D      = (gT·W2ᵀ) ⊙ (1 − T1²)        [Lc×H]  T1's pre-activation cotangent
//   time.w2: T1ᵀ·gT,  time.b2: Σ_t gT     time.w1: Sᵀ·D,  time.b1: Σ_t D
//   dē     = g1·U1ᵀ + g2·U2ᵀ              [De]    embed.table: wᵀ·dē (outer product)
//   inject<l>.w: ēᵀ·g_l (outer product),  inject<l>.b: g_l,  mlp.b<l>: g_l
// Each element is the chain the separate products form (matmul_rowu's and matmul_strided's: the inner index ascending
// from 0; a column sum from 0 in row order; an outer product as fma(a, b, 0)), so the values are theirs bit for bit.
// Lanes 0 … H/4 − 1 own a column block c of D (kept in a private array, then reused by every row of time.w1's) and of
// time.w1's and time.b1's gradients; lanes H/4 … H/2 − 1 a column block of time.w2's and time.b2's; lanes H/2 …
// H/2 + De/4 − 1 a row block of ē's (dē, embed.table's columns, the injection weights' rows, a share of the bias
// copies). The gradients go to one buffer at their offsets (vec4s).
override WG: u32 = 8u;
const MAXL: u32 = 32u; // table rows at most (the level table padded to a multiple of 4: 30 levels → 32)

struct Params {
  Lc: u32, H4: u32, De4: u32, G: u32,
  oW2: u32, oU1: u32, oU2: u32, zero: f32,
  gW1: u32, gB1: u32, gW2: u32, gB2: u32,
  gE: u32, gU1: u32, gu1: u32, gU2: u32,
  gu2: u32, gMb1: u32, gMb2: u32, pad1: u32,
}
@group(0) @binding(0) var<storage, read> P: array<vec4f>;
@group(0) @binding(1) var<storage, read> S: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> saved: array<vec4f>; // T1 [Lc×H], then ē [De]
@group(0) @binding(4) var<storage, read> gT: array<vec4f>;
@group(0) @binding(5) var<storage, read> g1: array<vec4f>;
@group(0) @binding(6) var<storage, read> g2: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(8) var<uniform> p: Params;

//#include activation.wgsl

fn chain(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, acc))));
}

// rows i = 4·i4 … 4·i4 + 3 of Xᵀ·Y at column block c, X [Lc×H] from `saved` (T1) or S, Y's column block in y[]
fn timeWeightRows(x: u32, i4: u32, y: ptr<function, array<vec4f, MAXL>>, o: u32, c: u32) {
  let H4 = p.H4;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  for (var t = 0u; t < p.Lc; t++) {
    var a: vec4f;
    if (x == 0u) { a = saved[t * H4 + i4]; } else { a = S[t * H4 + i4]; }
    let b = (*y)[t];
    a0 = fma(vec4f(a.x), b, a0); a1 = fma(vec4f(a.y), b, a1);
    a2 = fma(vec4f(a.z), b, a2); a3 = fma(vec4f(a.w), b, a3);
  }
  out[o + 4u * i4 * H4 + c] = a0; out[o + (4u * i4 + 1u) * H4 + c] = a1;
  out[o + (4u * i4 + 2u) * H4 + c] = a2; out[o + (4u * i4 + 3u) * H4 + c] = a3;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let H4 = p.H4;
  let lane = gid.x;
  if (lane < H4) {
    let c = lane;
    // D's column block c (time.w1's and time.b1's), per row t:
    // D[t, c] = Σ_j gT[t, j]·W2[c…c+3, j], W2's 4×4 block of rows 4c… at column block j4 transposed in registers
    var d: array<vec4f, MAXL>;
    for (var t = 0u; t < p.Lc; t++) { d[t] = vec4f(0.0); }
    for (var j4 = 0u; j4 < H4; j4++) {
      let wb = p.oW2 + 4u * c * H4 + j4;
      let m = transpose(mat4x4f(P[wb], P[wb + H4], P[wb + 2u * H4], P[wb + 3u * H4]));
      for (var t = 0u; t < p.Lc; t++) { d[t] = chain(d[t], gT[t * H4 + j4], m[0], m[1], m[2], m[3]); }
    }
    var sumD = vec4f(0.0);
    for (var t = 0u; t < p.Lc; t++) {
      let yt = saved[t * H4 + c];
      let z = d[t];
      d[t] = vec4f(tanh_grad(yt.x, z.x), tanh_grad(yt.y, z.y), tanh_grad(yt.z, z.z), tanh_grad(yt.w, z.w));
      sumD = sumD + d[t];
    }
    for (var i4 = 0u; i4 < H4; i4++) { timeWeightRows(1u, i4, &d, p.gW1, c); }
    out[p.gB1 + c] = sumD;
    return;
  }
  if (lane < 2u * H4) {
    // gT's column block c (time.w2's and time.b2's)
    let c = lane - H4;
    var y: array<vec4f, MAXL>;
    var sumY = vec4f(0.0);
    for (var t = 0u; t < p.Lc; t++) {
      y[t] = gT[t * H4 + c];
      sumY = sumY + y[t];
    }
    for (var i4 = 0u; i4 < H4; i4++) { timeWeightRows(0u, i4, &y, p.gW2, c); }
    out[p.gB2 + c] = sumY;
    return;
  }
  let r = lane - 2u * H4; // row block of ē: rows k = 4r … 4r + 3
  if (r >= p.De4) { return; }
  // dē = g1·U1ᵀ + g2·U2ᵀ (the second product first, then the first with it as its addend)
  var e1 = vec4f(0.0); var e2 = vec4f(0.0);
  for (var j4 = 0u; j4 < H4; j4++) {
    let u1 = p.oU1 + 4u * r * H4 + j4; let u2 = p.oU2 + 4u * r * H4 + j4;
    let m1 = transpose(mat4x4f(P[u1], P[u1 + H4], P[u1 + 2u * H4], P[u1 + 3u * H4]));
    let m2 = transpose(mat4x4f(P[u2], P[u2 + H4], P[u2 + 2u * H4], P[u2 + 3u * H4]));
    e1 = chain(e1, g1[j4], m1[0], m1[1], m1[2], m1[3]);
    e2 = chain(e2, g2[j4], m2[0], m2[1], m2[2], m2[3]);
  }
  let de = e1 + e2;
  // + 0 at run time (p.zero is 0.0): a zero the compiler cannot fold away, so that a product −0 becomes +0 as the
  // products' accumulators (which start at 0 in a loop) make it
  let zero = vec4f(p.zero);
  for (var g = 0u; g < p.G; g++) { out[p.gE + g * p.De4 + r] = fma(vec4f(w[g]), de, zero); }
  let eb = saved[p.Lc * H4 + r];
  for (var j4 = 0u; j4 < H4; j4++) {
    let a = g1[j4]; let b = g2[j4];
    for (var q = 0u; q < 4u; q++) {
      out[p.gU1 + (4u * r + q) * H4 + j4] = fma(vec4f(eb[q]), a, zero);
      out[p.gU2 + (4u * r + q) * H4 + j4] = fma(vec4f(eb[q]), b, zero);
    }
  }
  // the biases' gradients are g1 and g2 (inject<l>.b's through a column sum over one row, from 0)
  for (var j4 = r; j4 < H4; j4 += p.De4) {
    out[p.gu1 + j4] = zero + g1[j4]; out[p.gMb1 + j4] = g1[j4];
    out[p.gu2 + j4] = zero + g2[j4]; out[p.gMb2 + j4] = g2[j4];
  }
}
