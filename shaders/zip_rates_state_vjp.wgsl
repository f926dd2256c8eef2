// The gradient of zip_rates_state (one pass over [M×d]): from the cotangents gNH of NH = N + H, gL of L and ghRow [M]
// of H's row sums h_m = Σ_g H[m, g] (absent ones are zero), so that N's cotangent is gN = gNH and H's is
// gH = gNH + ghRow[m]; with ρ = u·softplus(S), ν = θ + β·(log(ρ + 1e-20) − log u) recomputed as the forward pass does:
//   ḡ_ν = gN·σ(ν) + gH·(σ(−ν) − σ(−ρ − ν))          d softplus(ν)/dν = σ(ν); H's two terms
//   ḡ_ρ = gN − gH·σ(−ρ − ν) + (gL + ḡ_ν·β)/(ρ + 1e-20)   ν depends on ρ through the log rate
//   gS  = ḡ_ρ · u · σ(S)
//   gT  = ḡ_ν,  gB = ḡ_ν · (log(ρ + 1e-20) − log u)  per element; summed over the states they are θ's and β's gradients
//                                                  (and over the genes for one shared slope, read at stride 0)
override WG: u32 = 64u;
override HAS_GNH: bool = true;
override HAS_GL: bool = true;
override HAS_GHROW: bool = true;

struct Params { n: u32, d: u32, bstride: u32, pad1: u32 }  // bstride 0: one slope for every gene
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> gNH: array<f32>;
@group(0) @binding(5) var<storage, read> gL: array<f32>;
@group(0) @binding(6) var<storage, read> ghRow: array<f32>; // [M]
@group(0) @binding(7) var<storage, read_write> gS: array<f32>;
@group(0) @binding(8) var<storage, read_write> gT: array<f32>;
@group(0) @binding(9) var<storage, read_write> gB: array<f32>;
@group(0) @binding(10) var<uniform> p: Params;

//#include activation.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let g = i % p.d;
  let ug = u[g];
  let b = beta[g * p.bstride];
  let s = S[i];
  let r = softplus(s) * ug;
  let a = log(r + 1e-20) - log(ug);
  let nu = theta[g] + b * a;
  let st = sigmoid(-r - nu);
  var gn = 0.0;
  if (HAS_GNH) { gn = gNH[i]; }
  var gl = 0.0;
  if (HAS_GL) { gl = gL[i]; }
  var gh = gn;
  if (HAS_GHROW) { gh = gn + ghRow[i / p.d]; }
  let gnu = gn * sigmoid(nu) + gh * (sigmoid(-nu) - st);
  let gr = gn - gh * st + (gl + gnu * b) / (r + 1e-20);
  gS[i] = gr * ug * sigmoid(s);
  gT[i] = gnu;
  gB[i] = gnu * a;
}
