// The count prior's loss from the log-likelihood matrix ℓ [B×M] and per-cell constants c [B] in one dispatch:
//   lse_T[i] = log Σ_m exp(ℓ[i, m]/T)          (streaming: running max and rescaled sum, k ascending)
//   loss     = −(1/|T|) Σ_T mean_i (T·(lse_T[i] − log M) + c_i)
// (T·lse((ℓ + c)/T) = T·lse(ℓ/T) + c, so the constants never touch the [B×M] matrix). One workgroup: each invocation
// takes rows i = lid, lid + WG, …, then invocation 0 adds the partial sums in order. lse_T is kept for the gradient.
override WG: u32 = 64u;

struct Params { B: u32, M: u32, nT: u32, hasC: u32 }
@group(0) @binding(0) var<storage, read> ell: array<f32>;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> temps: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;   // [nT × B]
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  let logM = log(f32(p.M));
  for (var i = lid.x; i < p.B; i += WG) {
    var ci = 0.0;
    if (p.hasC != 0u) { ci = c[i]; }
    for (var t = 0u; t < p.nT; t++) {
      let T = temps[t];
      var mx = -0x1.fffffep+127f; var s = 0.0;
      for (var m = 0u; m < p.M; m++) {
        let x = ell[i * p.M + m] / T;
        if (x > mx) { s = s * exp(mx - x) + 1.0; mx = x; } else { s = s + exp(x - mx); }
      }
      let l = mx + log(s);
      lse[t * p.B + i] = l;
      acc = acc + (T * (l - logM) + ci);
    }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  if (lid.x == 0u) {
    var total = 0.0;
    for (var k = 0u; k < WG; k++) { total = total + part[k]; }
    loss[0] = -total / f32(p.nT * p.B);
  }
}
