// The count prior's rate terms from generator states, one pass over [M×d] (element (m, g), gene g = i mod d):
//   R = u_g · softplus(S)                      rates (u: the control's unit scaling)
//   L = log(R + 1e-20)                         for the x·log ρ term of the GEMM form
//   H = softplus(−R − θ_g) + log π_g           the zero term logaddexp(log π, log(1 − π) − ρ), log π = −softplus(−θ)
// Each is the same f32 operation, in the same order, as the separate passes it replaces (softplus, ×u, log, −·, −θ,
// softplus, + log π), so the three outputs are bit for bit theirs.
override WG: u32 = 64u;

struct Params { n: u32, d: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;      // [d]
@group(0) @binding(2) var<storage, read> theta: array<f32>;  // [d]
@group(0) @binding(3) var<storage, read_write> R: array<f32>;
@group(0) @binding(4) var<storage, read_write> L: array<f32>;
@group(0) @binding(5) var<storage, read_write> H: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

//#include activation.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let g = i % p.d;
  let t = theta[g];
  let r = softplus(S[i]) * u[g];
  R[i] = r;
  L[i] = log(1.0 * r + 1e-20);
  let logPi = -1.0 * softplus(-1.0 * t + 0.0) + 0.0;
  let negR = -1.0 * r + 0.0;
  H[i] = softplus(1.0 * (negR - t) + 0.0) + logPi;
}
