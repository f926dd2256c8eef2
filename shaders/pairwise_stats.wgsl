// Per-row sums over a block of pairwise distances, for energy distance and RBF-MMD:
//   d²_ij = ‖x_i‖² + ‖y_j‖² − 2 G_ij (G = X·Yᵀ from the matmul kernel; clamped at 0 against cancellation),
//   out[i, 0] = Σ_j √d²_ij,   out[i, 1 + k] = Σ_j exp(−γ_k d²_ij)  for the 10 bandwidths, γ_k = 1/(2ℓ_k²).
// Diagonal terms of a within-sample block are included (d² = 0, kernel 1); the host removes them exactly.
// Sums run over j in index order, so results are reproducible.
override WG: u32 = 64u;

struct Params { n: u32, m: u32, g0: f32, g1: f32, g2: f32, g3: f32, g4: f32, g5: f32, g6: f32, g7: f32, g8: f32, g9: f32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> nx: array<f32>;
@group(0) @binding(2) var<storage, read> ny: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let gam = array<f32, 10>(p.g0, p.g1, p.g2, p.g3, p.g4, p.g5, p.g6, p.g7, p.g8, p.g9);
  var sq = 0.0;
  var k: array<f32, 10>;
  for (var j = 0u; j < p.m; j++) {
    let d2 = max(nx[i] + ny[j] - 2.0 * G[i * p.m + j], 0.0);
    sq = sq + sqrt(d2);
    for (var b = 0u; b < 10u; b++) { k[b] = k[b] + exp(-gam[b] * d2); }
  }
  out[i * 11u] = sq;
  for (var b = 0u; b < 10u; b++) { out[i * 11u + 1u + b] = k[b]; }
}
