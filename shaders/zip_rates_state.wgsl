// The count prior's rate terms with a state-dependent zero inflation, one pass over [M×d] (element (m, g), gene
// g = i mod d). The zero-inflation logit falls or rises with the state's log rate about the control level:
//   R = u_g · softplus(S)                            rates (u: the control's unit scaling, so R ≈ u_g at control)
//   L = log(R + 1e-20)
//   ν = θ_g + β_g · (L − log u_g)                    logit π; β = 0 is the per-gene model of zip_rates
//                                                    (β_g: a slope per gene, or one for all at stride 0)
//   N = R + softplus(ν)                              the x > 0 term's −ρ + log(1 − π)
//   H = softplus(−R − ν) − softplus(−ν)              the zero term logaddexp(log π, log(1 − π) − ρ)
//   NH = N + H                                       written in N's place; H is written too (for its row sums)
// With π depending on the state and the gene but not the cell, ℓ = X·Lᵀ − NZ·Nᵀ + Z·Hᵀ − Σ_g log x!, and with
// Z = 1 − NZ it is two products, ℓ = X·Lᵀ − NZ·NHᵀ + 1·hᵀ − Σ_g log x!, h_m = Σ_g H[m, g] (src/measurement/likelihood.ts).
override WG: u32 = 64u;

struct Params { n: u32, d: u32, bstride: u32, pad1: u32 }  // bstride 0: one slope for every gene
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;      // [d]
@group(0) @binding(2) var<storage, read> theta: array<f32>;  // [d]
@group(0) @binding(3) var<storage, read> beta: array<f32>;   // [d], or [1] shared
@group(0) @binding(4) var<storage, read_write> NH: array<f32>;
@group(0) @binding(5) var<storage, read_write> L: array<f32>;
@group(0) @binding(6) var<storage, read_write> H: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

//#include activation.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let g = i % p.d;
  let ug = u[g];
  let r = softplus(S[i]) * ug;
  let l = log(r + 1e-20);
  let nu = theta[g] + beta[g * p.bstride] * (l - log(ug));
  let h = softplus(-r - nu) - softplus(-nu);
  NH[i] = (r + softplus(nu)) + h;
  L[i] = l;
  H[i] = h;
}
