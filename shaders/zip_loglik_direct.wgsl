// The ZIP log-likelihood matrix in its elementwise form, one invocation per (cell i, state m), looping over genes:
//   ℓ[i, m] = Σ_g  x > 0 ? log(1−π_g) + x·log ρ − ρ − lgamma(x+1) : logaddexp(log π_g, log(1−π_g) − ρ),  ρ = R[m, g] + 1e-20.
// The benchmark's baseline for the GEMM form (src/measurement/likelihood.ts), which needs only matmuls.
override WG: u32 = 64u;

struct Params { nB: u32, nM: u32, d: u32, pad0: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;          // [B × d] counts
@group(0) @binding(1) var<storage, read> lgx: array<f32>;        // [B × d] lgamma(x + 1)
@group(0) @binding(2) var<storage, read> R: array<f32>;          // [M × d] rates
@group(0) @binding(3) var<storage, read> theta: array<f32>;      // [d] zero-inflation logits
@group(0) @binding(4) var<storage, read_write> ell: array<f32>;  // [B × M]
@group(0) @binding(5) var<uniform> p: Params;

//#include activation.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let k = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (k >= p.nB * p.nM) { return; }
  let i = k / p.nM; let m = k % p.nM;
  var s = 0.0;
  for (var g = 0u; g < p.d; g++) {
    let x = X[i * p.d + g]; let rho = R[m * p.d + g] + 1e-20; let t = theta[g];
    let logPi = -softplus(-t); let log1mPi = -softplus(t);
    if (x > 0.0) { s += log1mPi + x * log(rho) - rho - lgx[i * p.d + g]; }
    else { let a = logPi; let b = log1mPi - rho; let mx = max(a, b); s += mx + log(exp(a - mx) + exp(b - mx)); }
  }
  ell[k] = s;
}
