// C[M,N] = act(alpha · op(A)·op(B) + bias + addend) for any shapes and transposes, through element strides:
// op(A)[i,k] = A[i*sAi + k*sAk], op(B)[k,j] = B[k*sBk + j*sBj]. Each invocation owns a 4×4 block of C held
// in registers; no shared memory, so it is also safe on CPU adapters (where barriers are slow). A batch of
// independent products is supported through the z grid dimension and per-batch offsets.
override WG: u32 = 8u;
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

@compute @workgroup_size(WG, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // z folds (batch, row block): z = batch * rowBlocks + rowBlockHigh; y = low part of the row block.
  let batch = gid.z / p.rowBlocks;
  let rowBlock = (gid.z % p.rowBlocks) * 65535u + gid.y;
  let r0 = rowBlock * 4u; let c0 = gid.x * 4u;
  if (r0 >= p.M || c0 >= p.N) { return; }
  let offA = batch * p.batchStrideA; let offB = batch * p.batchStrideB; let offC = batch * p.batchStrideC;
  var acc: array<vec4f, 4>;
  var ra: array<u32, 4>;
  var cb: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    ra[i] = offA + min(r0 + i, p.M - 1u) * p.sAi;
    cb[i] = offB + min(c0 + i, p.N - 1u) * p.sBj;
  }
  let sums = COL_SUMS && r0 == 0u;
  var colSum = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4f(B[cb[0] + k * p.sBk], B[cb[1] + k * p.sBk], B[cb[2] + k * p.sBk], B[cb[3] + k * p.sBk]);
    if (sums) { colSum = colSum + b; }
    acc[0] = fma(vec4f(A[ra[0] + k * p.sAk]), b, acc[0]);
    acc[1] = fma(vec4f(A[ra[1] + k * p.sAk]), b, acc[1]);
    acc[2] = fma(vec4f(A[ra[2] + k * p.sAk]), b, acc[2]);
    acc[3] = fma(vec4f(A[ra[3] + k * p.sAk]), b, acc[3]);
  }
  if (sums) {
    for (var j = 0u; j < 4u; j++) { if (c0 + j < p.N) { aux[c0 + j] = p.alpha * colSum[j]; } }
  }
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j >= p.N) { break; }
      var z = p.alpha * acc[i][j];
      if (HAS_BIAS) { z = z + bias[select(c0 + j, ((r0 + i) / p.rowsPerGroup) * p.N + c0 + j, p.rowsPerGroup > 0u)]; }
      if (HAS_ADDEND) {
        var at = offC + (r0 + i) * p.N + c0 + j;
        if (ADDEND_ROWS) { at = min(u32(idx[r0 + i]), p.addendRows - 1u) * p.N + c0 + j; }
        let y = addend[at];
        if (GATE_TANH) { z = tanh_grad(y, z); } else if (GATE_SILU) { z = silu_grad(y, z); } else { z = z + y; }
      }
      if (STORE_PRE) { aux[offC + (r0 + i) * p.N + c0 + j] = z; }
      C[offC + (r0 + i) * p.N + c0 + j] = activate(z, ACT);
    }
  }
}
