// The gradient of tempered_lse's loss, one pass over ℓ [B×M], with ḡ the loss's cotangent:
//   dℓ[i, m] = −ḡ/(|T|·B) · Σ_T exp(ℓ[i, m]/T − lse_T[i])     (d T·lse(ℓ/T)/dℓ = softmax(ℓ/T))
//   dc_i     = −ḡ/B                                           (each row's softmax sums to one, per temperature)
override WG: u32 = 64u;

struct Params { B: u32, M: u32, nT: u32, pad0: u32 }
@group(0) @binding(0) var<storage, read> ell: array<f32>;
@group(0) @binding(1) var<storage, read> temps: array<f32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> gLoss: array<f32>;   // [1]
@group(0) @binding(4) var<storage, read_write> gEll: array<f32>;
@group(0) @binding(5) var<storage, read_write> gC: array<f32>; // [B]
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let k = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (k >= p.B * p.M) { return; }
  let row = k / p.M;
  let w = -gLoss[0] / f32(p.nT * p.B);
  var acc = 0.0;
  for (var t = 0u; t < p.nT; t++) { acc = acc + exp(ell[k] / temps[t] - lse[t * p.B + row]); }
  gEll[k] = w * acc;
  if (k % p.M == 0u) { gC[row] = -gLoss[0] / f32(p.B); }
}
