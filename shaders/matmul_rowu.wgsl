// C[M,N] = act(alpha · A[M,K]·B[K,N] + bias + addend)   — register-blocked kernel for CPU (software) adapters.
// bias is per column (bias[N]) or, with rowsPerGroup > 0, per row group: row r adds bias[r / rowsPerGroup, :]
// (the sampler's per-environment biases: all particles of one environment share a row). HAS_ADDEND adds a whole
// [M×N] tensor before the activation (the score network's per-sample level embedding: h1 = tanh(xW1 + b1 + temb[t]),
// one pass instead of a matmul, an add and a tanh; the sum is formed in the same order, so the result is bit for bit
// the unfused one).
//
// Why this shape: llvmpipe/lavapipe runs 8 invocations per AVX2 batch and makes workgroup barriers very
// expensive, so there is no shared memory here. Each invocation owns a 4×4 block of C (4 rows × one vec4
// of columns); a workgroup spans columns only, so the 4 A rows are the same for every lane (uniform loads)
// and B is read as vec4. Requires K % 4 == 0 and N % 4 == 0 (the host picks another kernel otherwise).
// TRANS_A: A is stored transposed ([K×M], M % 4 == 0; the weight gradient Xᵀ·G of a layer): the 4×4 block of A
// for rows r..r+3 and k = 4k4..4k4+3 is 4 vec4 loads along M, transposed in registers, so the products and their
// summation order are exactly those of the explicit transpose followed by the plain kernel.
// Dispatch: (ceil(N/4 / WG), ceil(M/4)) workgroups; y past 65535 is folded into z.
override WG: u32 = 8u;
override ACT: u32 = 0u;        // 0 identity, 1 tanh, 2 silu, 3 relu
override HAS_BIAS: bool = false;
override HAS_ADDEND: bool = false;
// GATE_TANH: the addend binding holds y = tanh(·) of a layer, and the product is multiplied by tanh' = 1 − y² instead
// (the backward through that tanh, folded into the matmul that makes its incoming gradient; activation.wgsl's tanh_grad).
override GATE_TANH: bool = false;
// GATE_SILU: as GATE_TANH for a SiLU layer: the addend binding holds its pre-activation z and the product is multiplied
// by silu'(z) = σ(z)(1 + z(1 − σ(z))) (activation.wgsl's silu_grad, which binary.wgsl's siluGrad is too).
override GATE_SILU: bool = false;
// STORE_PRE: the aux binding also receives the pre-activation act⁻¹ of C (a SiLU layer's z, which its gradient needs).
override STORE_PRE: bool = false;
override TRANS_A: bool = false;
// TRANS_B: B is stored transposed ([N×K]; a layer's backward G·Wᵀ): the 4×4 block of B for k = 4k4..4k4+3 and the
// invocation's 4 columns is 4 vec4 loads along K (one per column), transposed in registers like TRANS_A's block, so
// the sums are again exactly those of the explicit transpose followed by the plain kernel.
override TRANS_B: bool = false;
// COL_SUMS: also aux[j] = alpha · Σ_k B[k, j], k ascending (a bias's gradient beside its weight's: dW = Xᵀ·G and
// db = Σ_rows G read the same G). The first row block's invocations add up the B rows they load anyway.
override COL_SUMS: bool = false;
// ADDEND_ROWS: the addend binding holds a table [R×N] and row r adds its row idx[r] (a gather: the score network's
// level embedding temb[t_r] without the one-hot product that would expand it to [M×N]); R in p.addendRows.
override ADDEND_ROWS: bool = false;

struct Params { M: u32, K: u32, N: u32, rowBlocksPerZ: u32, alpha: f32, rowsPerGroup: u32, addendRows: u32, pad0: u32 }
@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(4) var<storage, read> addend: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> aux: array<vec4f>; // COL_SUMS: [N]; STORE_PRE: [M×N]
@group(0) @binding(6) var<storage, read> idx: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

//#include activation.wgsl

// alpha·acc + bias + addend (or × a gate): the pre-activation
fn preact(acc: vec4f, row: u32, c4: u32) -> vec4f {
  var z = p.alpha * acc;
  if (HAS_BIAS) {
    if (p.rowsPerGroup > 0u) { z = z + bias[(row / p.rowsPerGroup) * (p.N / 4u) + c4]; } else { z = z + bias[c4]; }
  }
  if (HAS_ADDEND) {
    var ar = row;
    if (ADDEND_ROWS) { ar = min(u32(idx[row]), p.addendRows - 1u); } // clamped: a bad index cannot read out of range
    let y = addend[ar * (p.N / 4u) + c4];
    if (GATE_TANH) { z = vec4f(tanh_grad(y.x, z.x), tanh_grad(y.y, z.y), tanh_grad(y.z, z.z), tanh_grad(y.w, z.w)); }
    else if (GATE_SILU) { z = vec4f(silu_grad(y.x, z.x), silu_grad(y.y, z.y), silu_grad(y.z, z.z), silu_grad(y.w, z.w)); }
    else { z = z + y; }
  }
  return z;
}

fn store(row: u32, c4: u32, N4: u32, acc: vec4f) {
  let z = preact(acc, row, c4);
  if (STORE_PRE) { aux[row * N4 + c4] = z; }
  C[row * N4 + c4] = vec4f(activate(z.x, ACT), activate(z.y, ACT), activate(z.z, ACT), activate(z.w, ACT));
}

@compute @workgroup_size(WG, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let N4 = p.N / 4u; let K4 = p.K / 4u;
  let c4 = min(gid.x, N4 - 1u);
  let r = (gid.z * p.rowBlocksPerZ + gid.y) * 4u;
  var acc0 = vec4f(0.0); let ar0 = min(r + 0u, p.M - 1u) * K4;
  var acc1 = vec4f(0.0); let ar1 = min(r + 1u, p.M - 1u) * K4;
  var acc2 = vec4f(0.0); let ar2 = min(r + 2u, p.M - 1u) * K4;
  var acc3 = vec4f(0.0); let ar3 = min(r + 3u, p.M - 1u) * K4;
  let M4 = p.M / 4u; let rb = min(r, p.M - 1u) / 4u;
  let sums = COL_SUMS && r == 0u; // uniform over the workgroup (it spans columns only)
  var colSum = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    var a0: vec4f; var a1: vec4f; var a2: vec4f; var a3: vec4f;
    if (TRANS_A) { // rows k of the stored Aᵀ, transposed in registers: column i of the block is row r + i of A
      let t = transpose(mat4x4f(A[(4u * k4) * M4 + rb], A[(4u * k4 + 1u) * M4 + rb],
                                A[(4u * k4 + 2u) * M4 + rb], A[(4u * k4 + 3u) * M4 + rb]));
      a0 = t[0]; a1 = t[1]; a2 = t[2]; a3 = t[3];
    } else {
      a0 = A[ar0 + k4]; a1 = A[ar1 + k4]; a2 = A[ar2 + k4]; a3 = A[ar3 + k4];
    }
    var b0: vec4f; var b1: vec4f; var b2: vec4f; var b3: vec4f;
    if (TRANS_B) { // columns j of B are rows of the stored Bᵀ: the same register transpose
      let t = transpose(mat4x4f(B[(4u * c4) * K4 + k4], B[(4u * c4 + 1u) * K4 + k4],
                                B[(4u * c4 + 2u) * K4 + k4], B[(4u * c4 + 3u) * K4 + k4]));
      b0 = t[0]; b1 = t[1]; b2 = t[2]; b3 = t[3];
    } else {
      let bb = k4 * 4u * N4 + c4;
      b0 = B[bb]; b1 = B[bb + N4]; b2 = B[bb + 2u * N4]; b3 = B[bb + 3u * N4];
    }
    if (sums) { colSum = colSum + b0; colSum = colSum + b1; colSum = colSum + b2; colSum = colSum + b3; }
    // Fixed summation order per output: k ascending within each vec4, vec4 blocks ascending.
    acc0 = fma(vec4f(a0.w), b3, fma(vec4f(a0.z), b2, fma(vec4f(a0.y), b1, fma(vec4f(a0.x), b0, acc0))));
    acc1 = fma(vec4f(a1.w), b3, fma(vec4f(a1.z), b2, fma(vec4f(a1.y), b1, fma(vec4f(a1.x), b0, acc1))));
    acc2 = fma(vec4f(a2.w), b3, fma(vec4f(a2.z), b2, fma(vec4f(a2.y), b1, fma(vec4f(a2.x), b0, acc2))));
    acc3 = fma(vec4f(a3.w), b3, fma(vec4f(a3.z), b2, fma(vec4f(a3.y), b1, fma(vec4f(a3.x), b0, acc3))));
  }
  if (gid.x < N4) {
    if (sums) { aux[c4] = p.alpha * colSum; }
    if (r + 0u < p.M) { store(r + 0u, c4, N4, acc0); }
    if (r + 1u < p.M) { store(r + 1u, c4, N4, acc1); }
    if (r + 2u < p.M) { store(r + 2u, c4, N4, acc2); }
    if (r + 3u < p.M) { store(r + 3u, c4, N4, acc3); }
  }
}
