// The gradient of zip_rates (one pass over [M×d]): from the cotangents gR, gL, gH of R, L, H (absent ones are zero),
//   ρ = u·softplus(S) (recomputed, the same f32 bits), σ(·) the logistic function,
//   ḡ_ρ = gR + gL/(ρ + 1e-20) − gH·σ(−ρ − θ)         every path through ρ
//   gS  = ḡ_ρ · u · σ(S)                              d softplus(S)/dS = σ(S)
//   gT  = gH · (σ(−θ) − σ(−ρ − θ))                    per element; summed over the states m it is θ's gradient
//                                                      (d log π/dθ = σ(−θ), d softplus(−ρ − θ)/dθ = −σ(−ρ − θ))
override WG: u32 = 64u;
override HAS_GR: bool = true;
override HAS_GL: bool = true;
override HAS_GH: bool = true;

struct Params { n: u32, d: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read> gR: array<f32>;
@group(0) @binding(4) var<storage, read> gL: array<f32>;
@group(0) @binding(5) var<storage, read> gH: array<f32>;
@group(0) @binding(6) var<storage, read_write> gS: array<f32>;
@group(0) @binding(7) var<storage, read_write> gT: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

//#include activation.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let g = i % p.d;
  let t = theta[g];
  let ug = u[g];
  let s = S[i];
  let r = softplus(s) * ug;
  let st = sigmoid(-r - t);
  var gr = 0.0;
  if (HAS_GR) { gr = gR[i]; }
  if (HAS_GL) { gr = gr + gL[i] / (r + 1e-20); }
  var gh = 0.0;
  if (HAS_GH) { gh = gH[i]; gr = gr - gh * st; }
  gS[i] = gr * ug * sigmoid(s);
  gT[i] = gh * (sigmoid(-t) - st);
}
