// C[M,N] = act(alpha · op(A)·op(B) + bias + addend) with shared-memory tiles, for hardware GPUs (on CPU adapters the
// workgroup barriers dominate, and the host picks matmul_rowu / matmul_strided instead).
// Workgroup 16×16 computes a 64×64 tile of C, 4×4 outputs per invocation, K in steps of 16.
// Transposes enter through element strides exactly as in matmul_strided.wgsl.
override ACT: u32 = 0u;
override HAS_ADDEND: bool = false;   // + addend[same index as C] before the activation (see matmul_rowu.wgsl)
override GATE_TANH: bool = false;    // × (1 − addend²) instead of + addend (see matmul_rowu.wgsl)
override GATE_SILU: bool = false;    // × silu'(addend) instead of + addend (see matmul_rowu.wgsl)
override STORE_PRE: bool = false;    // the pre-activation also into aux [M×N] (see matmul_rowu.wgsl)
override HAS_BIAS: bool = false;     // per column, or per row group when rowsPerGroup > 0 (see matmul_rowu.wgsl)
override ADDEND_ROWS: bool = false;  // addend is a table [R×N], row r adds its row idx[r] (see matmul_rowu.wgsl)
override COL_SUMS: bool = false;     // aux[j] = alpha · Σ_k op(B)[k, j], k ascending (unbatched; see matmul_rowu.wgsl)

struct Params {
  M: u32, K: u32, N: u32, batchStrideA: u32,
  sAi: u32, sAk: u32, sBk: u32, sBj: u32,
  batchStrideB: u32, batchStrideC: u32, rowBlocks: u32, alpha: f32,
  rowsPerGroup: u32, addendRows: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> addend: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>; // COL_SUMS: [N]; STORE_PRE: [M×N]
@group(0) @binding(6) var<storage, read> idx: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

//#include activation.wgsl

const TILE: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> As: array<array<f32, 64>, 16>;   // As[k][row]
var<workgroup> Bs: array<array<f32, 64>, 16>;   // Bs[k][col]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wid.z / p.rowBlocks;
  let rowTile = (wid.z % p.rowBlocks) * 65535u + wid.y;
  let offA = batch * p.batchStrideA; let offB = batch * p.batchStrideB; let offC = batch * p.batchStrideC;
  let row0 = rowTile * TILE; let col0 = wid.x * TILE;
  let t = lid.y * 16u + lid.x;          // 0..255
  var acc: array<vec4f, 4>;
  // the first tile row's first invocation row sums op(B)'s columns from the shared tile (k past K loads as 0)
  let sums = COL_SUMS && row0 == 0u && lid.y == 0u;
  var colSum = vec4f(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += KT) {
    // Cooperative load: 256 invocations × 4 elements = 64×16 of each operand.
    for (var e = 0u; e < 4u; e++) {
      let idx = t * 4u + e;             // 0..1023
      let kk = idx / 64u; let rr = idx % 64u;
      let gk = k0 + kk;
      let gr = row0 + rr; let gc = col0 + rr;
      As[kk][rr] = select(0.0, A[offA + min(gr, p.M - 1u) * p.sAi + min(gk, p.K - 1u) * p.sAk], gr < p.M && gk < p.K);
      Bs[kk][rr] = select(0.0, B[offB + min(gk, p.K - 1u) * p.sBk + min(gc, p.N - 1u) * p.sBj], gc < p.N && gk < p.K);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let b = vec4f(Bs[kk][lid.x * 4u], Bs[kk][lid.x * 4u + 1u], Bs[kk][lid.x * 4u + 2u], Bs[kk][lid.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] = fma(vec4f(As[kk][lid.y * 4u + i]), b, acc[i]); }
      if (sums) { colSum = colSum + b; }
    }
    workgroupBarrier();
  }
  if (sums) {
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c < p.N) { aux[c] = p.alpha * colSum[j]; }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= p.N) { break; }
      var z = p.alpha * acc[i][j];
      if (HAS_BIAS) { z = z + bias[select(c, (r / p.rowsPerGroup) * p.N + c, p.rowsPerGroup > 0u)]; }
      if (HAS_ADDEND) {
        var at = offC + r * p.N + c;
        if (ADDEND_ROWS) { at = min(u32(idx[r]), p.addendRows - 1u) * p.N + c; }
        let y = addend[at];
        if (GATE_TANH) { z = tanh_grad(y, z); } else if (GATE_SILU) { z = silu_grad(y, z); } else { z = z + y; }
      }
      if (STORE_PRE) { aux[offC + r * p.N + c] = z; }
      C[offC + r * p.N + c] = activate(z, ACT);
    }
  }
}
