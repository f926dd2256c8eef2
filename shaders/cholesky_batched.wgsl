// Batched Cholesky A = L Lᵀ, in place, one workgroup per matrix (batch index = workgroup id, folded over y).
// Right-looking, column by column: pivot (one invocation), scale the column below it, rank-1 update of the
// trailing lower triangle (rows spread over the invocations). On exit the lower triangle holds L, the strict
// upper triangle is zero, and info[b] = 0, or j + 1 when the pivot of column j was not positive or not finite
// (LAPACK's convention; the factor is then meaningless).
override WG: u32 = 64u;

struct Params { n: u32, batch: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> info: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> failed: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= p.batch) { return; }
  let n = p.n; let base = b * n * n;
  if (lid.x == 0u) { failed = 0u; }
  workgroupBarrier();
  for (var j = 0u; j < n; j++) {
    if (lid.x == 0u) {
      let d = A[base + j * n + j];
      if (d > 0.0 && d <= 3.0e38) { A[base + j * n + j] = sqrt(d); }
      else { if (failed == 0u) { failed = j + 1u; } A[base + j * n + j] = 1.0; }
    }
    workgroupBarrier();
    let ljj = A[base + j * n + j];
    for (var i = j + 1u + lid.x; i < n; i += WG) { A[base + i * n + j] = A[base + i * n + j] / ljj; }
    workgroupBarrier();
    // A_ik −= L_ij L_kj for j < k ≤ i
    for (var i = j + 1u + lid.x; i < n; i += WG) {
      let lij = A[base + i * n + j];
      for (var k = j + 1u; k <= i; k++) { A[base + i * n + k] = A[base + i * n + k] - lij * A[base + k * n + j]; }
    }
    workgroupBarrier();
  }
  for (var i = lid.x; i < n; i += WG) { for (var k = i + 1u; k < n; k++) { A[base + i * n + k] = 0.0; } }
  if (lid.x == 0u) { info[b] = failed; }
}
