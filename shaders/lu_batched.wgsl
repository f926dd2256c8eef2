// Batched LU with partial pivoting, P A = L U, in place (unit-diagonal L below, U on and above the diagonal),
// one workgroup per matrix. perm[b·n + i] = the original row now at row i. info[b] = 0, or j + 1 when column j
// had no usable pivot (all candidates zero or not finite).
override WG: u32 = 64u;

struct Params { n: u32, batch: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> perm: array<u32>;
@group(0) @binding(2) var<storage, read_write> info: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> failed: u32;
var<workgroup> pivotRow: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= p.batch) { return; }
  let n = p.n; let base = b * n * n;
  for (var i = lid.x; i < n; i += WG) { perm[b * n + i] = i; }
  if (lid.x == 0u) { failed = 0u; }
  workgroupBarrier();
  for (var j = 0u; j < n; j++) {
    if (lid.x == 0u) {
      // Sequential search keeps the choice deterministic (first maximum wins).
      var best = -1.0; var r = j;
      for (var i = j; i < n; i++) {
        let v = abs(A[base + i * n + j]);
        if (v > best && v <= 3.0e38) { best = v; r = i; }
      }
      if (!(best > 0.0)) { if (failed == 0u) { failed = j + 1u; } }
      pivotRow = r;
      if (r != j) { let t = perm[b * n + j]; perm[b * n + j] = perm[b * n + r]; perm[b * n + r] = t; }
    }
    workgroupBarrier();
    let r = pivotRow;
    if (r != j) {
      for (var k = lid.x; k < n; k += WG) {
        let t = A[base + j * n + k]; A[base + j * n + k] = A[base + r * n + k]; A[base + r * n + k] = t;
      }
    }
    workgroupBarrier();
    var piv = A[base + j * n + j];
    if (piv == 0.0) { piv = 1.0; }   // singular: info is set; avoid inf/NaN flooding the rest
    for (var i = j + 1u + lid.x; i < n; i += WG) {
      let l = A[base + i * n + j] / piv;
      A[base + i * n + j] = l;
      for (var k = j + 1u; k < n; k++) { A[base + i * n + k] = A[base + i * n + k] - l * A[base + j * n + k]; }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { info[b] = failed; }
}
