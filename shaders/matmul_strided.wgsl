// C[M,N] = act(alpha · op(A)·op(B) + bias + addend) for any shapes and transposes, through element strides:
// op(A)[i,k] = A[i*sAi + k*sAk], op(B)[k,j] = B[k*sBk + j*sBj]. Each invocation owns a 4×4 block of C held
// in registers (8×8 with WIDE); no shared memory, so it is also safe on CPU adapters (where barriers are slow). A batch of
// independent products is supported through the z grid dimension and per-batch offsets.
override WG: u32 = 8u;
// WIDE: each invocation owns an 8×8 block of C instead of 4×4 (eight B loads per 64 products instead of four per 16:
// on a software adapter the per-lane B loads cost more than the arithmetic). Each element's sum is the same fma
// chain, k ascending, so the two blocks give the same bits.
override WIDE: bool = false;
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
  let R = select(4u, 8u, WIDE); // rows and columns of the block
  let r0 = rowBlock * R; let c0 = gid.x * R;
  if (r0 >= p.M || c0 >= p.N) { return; }
  let offA = batch * p.batchStrideA; let offB = batch * p.batchStrideB; let offC = batch * p.batchStrideC;
  // acc[i]: rows r0 + i (i < 4) at columns c0..c0+3; WIDE: acc[4 + i] the same rows at c0+4..c0+7, acc[8 + i] rows
  // r0 + 4 + i at c0..c0+3, acc[12 + i] at c0+4..c0+7
  var acc: array<vec4f, 16>;
  var ra: array<u32, 8>;
  var cb: array<u32, 8>;
  for (var i = 0u; i < R; i++) {
    ra[i] = offA + min(r0 + i, p.M - 1u) * p.sAi;
    cb[i] = offB + min(c0 + i, p.N - 1u) * p.sBj;
  }
  let sums = COL_SUMS && r0 == 0u;
  var colSum = vec4f(0.0);
  var colSum1 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4f(B[cb[0] + k * p.sBk], B[cb[1] + k * p.sBk], B[cb[2] + k * p.sBk], B[cb[3] + k * p.sBk]);
    if (sums) { colSum = colSum + b; }
    let a0 = vec4f(A[ra[0] + k * p.sAk]); let a1 = vec4f(A[ra[1] + k * p.sAk]);
    let a2 = vec4f(A[ra[2] + k * p.sAk]); let a3 = vec4f(A[ra[3] + k * p.sAk]);
    acc[0] = fma(a0, b, acc[0]);
    acc[1] = fma(a1, b, acc[1]);
    acc[2] = fma(a2, b, acc[2]);
    acc[3] = fma(a3, b, acc[3]);
    if (WIDE) {
      let b1 = vec4f(B[cb[4] + k * p.sBk], B[cb[5] + k * p.sBk], B[cb[6] + k * p.sBk], B[cb[7] + k * p.sBk]);
      if (sums) { colSum1 = colSum1 + b1; }
      acc[4] = fma(a0, b1, acc[4]);
      acc[5] = fma(a1, b1, acc[5]);
      acc[6] = fma(a2, b1, acc[6]);
      acc[7] = fma(a3, b1, acc[7]);
      let a4 = vec4f(A[ra[4] + k * p.sAk]); let a5 = vec4f(A[ra[5] + k * p.sAk]);
      let a6 = vec4f(A[ra[6] + k * p.sAk]); let a7 = vec4f(A[ra[7] + k * p.sAk]);
      acc[8] = fma(a4, b, acc[8]);
      acc[9] = fma(a5, b, acc[9]);
      acc[10] = fma(a6, b, acc[10]);
      acc[11] = fma(a7, b, acc[11]);
      acc[12] = fma(a4, b1, acc[12]);
      acc[13] = fma(a5, b1, acc[13]);
      acc[14] = fma(a6, b1, acc[14]);
      acc[15] = fma(a7, b1, acc[15]);
    }
  }
  if (sums) {
    for (var j = 0u; j < R; j++) {
      if (c0 + j < p.N) { aux[c0 + j] = p.alpha * select(colSum[j % 4u], colSum1[j % 4u], j >= 4u); }
    }
  }
  for (var i = 0u; i < R; i++) {
    if (r0 + i >= p.M) { break; }
    for (var j = 0u; j < R; j++) {
      if (c0 + j >= p.N) { break; }
      let slot = (i % 4u) + select(0u, 4u, j >= 4u) + select(0u, 8u, i >= 4u);
      var z = p.alpha * acc[slot][j % 4u];
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
