// Batched triangular solves with many right-hand sides: X[b] = op(T[b])⁻¹ · B'[b], where T is n×n (lower or
// upper part of a packed factor), B is n×m, and B' is B with its rows permuted by perm when PERMUTE (the LU
// case: row i of B' is row perm[i] of B). op(T) = T or Tᵀ. One invocation per (matrix, right-hand side column),
// sequential substitution down (or up) the column, so each solution is computed in a fixed order.
override WG: u32 = 64u;
override LOWER: bool = true;
override TRANS: bool = false;
override UNIT_DIAG: bool = false;
override PERMUTE: bool = false;

struct Params { n: u32, m: u32, batch: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> T: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// Element (i, k) of op(T) restricted to its triangle.
fn tri(base: u32, i: u32, k: u32) -> f32 {
  if (TRANS) { return T[base + k * p.n + i]; }
  return T[base + i * p.n + k];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (id >= p.batch * p.m) { return; }
  let b = id / p.m; let c = id % p.m; let n = p.n; let m = p.m;
  let tb = b * n * n; let xb = b * n * m;
  // op(T) is lower triangular when LOWER != TRANS: forward substitution, else backward.
  let forward = LOWER != TRANS;
  for (var s = 0u; s < n; s++) {
    let i = select(n - 1u - s, s, forward);
    var src = i;
    if (PERMUTE) { src = perm[b * n + i]; }
    var acc = B[xb + src * m + c];
    if (forward) { for (var k = 0u; k < i; k++) { acc = acc - tri(tb, i, k) * X[xb + k * m + c]; } }
    else { for (var k = i + 1u; k < n; k++) { acc = acc - tri(tb, i, k) * X[xb + k * m + c]; } }
    if (!UNIT_DIAG) { acc = acc / tri(tb, i, i); }
    X[xb + i * m + c] = acc;
  }
}
