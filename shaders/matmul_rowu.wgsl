// C[M,N] = act(alpha · A[M,K]·B[K,N] + bias + addend)   — register-blocked kernel for CPU (software) adapters.
// bias is per column (bias[N]) or, with rowsPerGroup > 0, per row group: row r adds bias[r / rowsPerGroup, :]
// (the sampler's per-environment biases: all particles of one environment share a row). HAS_ADDEND adds a whole
// [M×N] tensor before the activation (the score network's per-sample level embedding: h1 = tanh(xW1 + b1 + temb[t]),
// one pass instead of a matmul, an add and a tanh; the sum is formed in the same order, so the result is bit for bit
// the unfused one).
//
// Why this shape: llvmpipe/lavapipe runs 8 invocations per AVX2 batch and makes workgroup barriers very
// expensive, so there is no shared memory here. Each invocation owns a block of C of ROWS rows × COLS vec4s of
// columns (4 × 1 by default; 8 × 2 for wide products, where fewer B loads per multiply-add pay: on a software
// adapter the B loads, one per lane, cost more than the arithmetic; 16 × 2 was faster still on large products but
// took twice as long to compile, 2 s a pipeline on llvmpipe); a workgroup spans columns only, so the
// A rows are the same for every lane (uniform loads) and B is read as vec4. Every element of C is the same fma chain
// whatever the block, so the blocks give the same bits. Requires K % 4 == 0 and N % 4 == 0 (the host picks another
// kernel otherwise).
// TRANS_A: A is stored transposed ([K×M], M % 4 == 0; the weight gradient Xᵀ·G of a layer): the 4×4 block of A
// for rows r..r+3 and k = 4k4..4k4+3 is 4 vec4 loads along M, transposed in registers, so the products and their
// summation order are exactly those of the explicit transpose followed by the plain kernel.
// Dispatch: (ceil(N/4 / COLS / (WG / ROW_LANES)), ceil(M / ROWS / ROW_LANES)) workgroups; y past 65535 is folded
// into z.
override WG: u32 = 8u;
override ROWS: u32 = 4u; // rows per invocation: 4 or 8 (quads of four rows)
override COLS: u32 = 1u; // vec4s of columns per invocation: 1 or 2
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
// ROW_LANES: lanes of a workgroup over row blocks. A product narrower than a workgroup's columns (N = 16: four
// vec4 columns for eight lanes) would leave lanes computing clamped copies; with ROW_LANES = 2 the eight lanes are
// four columns × two row blocks. Every element is the same fma chain, so the lane map changes no bit.
override ROW_LANES: u32 = 1u;
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

// Four vec4s: four rows of A at one k-block, four k-rows of B at one column block, or four rows' accumulators.
struct Quad { x0: vec4f, x1: vec4f, x2: vec4f, x3: vec4f }

// Rows r..r+3 of op(A) at k = 4k4..4k4+3 (r a multiple of 4; rows past M are clamped: their results are never stored).
fn loadA(r: u32, k4: u32, K4: u32) -> Quad {
  if (TRANS_A) { // rows k of the stored Aᵀ, transposed in registers: column i of the block is row r + i of A
    let M4 = p.M / 4u; let rb = min(r, p.M - 1u) / 4u;
    let t = transpose(mat4x4f(A[(4u * k4) * M4 + rb], A[(4u * k4 + 1u) * M4 + rb],
                              A[(4u * k4 + 2u) * M4 + rb], A[(4u * k4 + 3u) * M4 + rb]));
    return Quad(t[0], t[1], t[2], t[3]);
  }
  return Quad(A[min(r, p.M - 1u) * K4 + k4], A[min(r + 1u, p.M - 1u) * K4 + k4],
              A[min(r + 2u, p.M - 1u) * K4 + k4], A[min(r + 3u, p.M - 1u) * K4 + k4]);
}

// k-rows 4k4..4k4+3 of op(B) at the column vec4 c4 (clamped by the caller).
fn loadB(c4: u32, k4: u32, K4: u32, N4: u32) -> Quad {
  if (TRANS_B) { // columns j of B are rows of the stored Bᵀ: the same register transpose
    let t = transpose(mat4x4f(B[(4u * c4) * K4 + k4], B[(4u * c4 + 1u) * K4 + k4],
                              B[(4u * c4 + 2u) * K4 + k4], B[(4u * c4 + 3u) * K4 + k4]));
    return Quad(t[0], t[1], t[2], t[3]);
  }
  let bb = k4 * 4u * N4 + c4;
  return Quad(B[bb], B[bb + N4], B[bb + 2u * N4], B[bb + 3u * N4]);
}

// One k-block into four rows' accumulators. Fixed summation order per output: k ascending within each vec4, vec4
// blocks ascending.
fn fmaQuad(acc: Quad, a: Quad, b: Quad) -> Quad {
  return Quad(
    fma(vec4f(a.x0.w), b.x3, fma(vec4f(a.x0.z), b.x2, fma(vec4f(a.x0.y), b.x1, fma(vec4f(a.x0.x), b.x0, acc.x0)))),
    fma(vec4f(a.x1.w), b.x3, fma(vec4f(a.x1.z), b.x2, fma(vec4f(a.x1.y), b.x1, fma(vec4f(a.x1.x), b.x0, acc.x1)))),
    fma(vec4f(a.x2.w), b.x3, fma(vec4f(a.x2.z), b.x2, fma(vec4f(a.x2.y), b.x1, fma(vec4f(a.x2.x), b.x0, acc.x2)))),
    fma(vec4f(a.x3.w), b.x3, fma(vec4f(a.x3.z), b.x2, fma(vec4f(a.x3.y), b.x1, fma(vec4f(a.x3.x), b.x0, acc.x3)))));
}

fn colSumOf(s: vec4f, b: Quad) -> vec4f {
  var c = s; c = c + b.x0; c = c + b.x1; c = c + b.x2; c = c + b.x3;
  return c;
}

fn storeQuad(r: u32, c4: u32, N4: u32, acc: Quad) {
  if (c4 >= N4) { return; }
  if (r + 0u < p.M) { store(r + 0u, c4, N4, acc.x0); }
  if (r + 1u < p.M) { store(r + 1u, c4, N4, acc.x1); }
  if (r + 2u < p.M) { store(r + 2u, c4, N4, acc.x2); }
  if (r + 3u < p.M) { store(r + 3u, c4, N4, acc.x3); }
}

@compute @workgroup_size(WG, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let N4 = p.N / 4u; let K4 = p.K / 4u;
  // lane → (row block, column block): WG / ROW_LANES lanes along the columns, ROW_LANES row blocks (ROW_LANES = 1: a
  // workgroup spans columns only)
  let colLanes = WG / ROW_LANES;
  let c0 = (wid.x * colLanes + lid.x % colLanes) * COLS; // first column vec4 (≥ N4 only in the last column group)
  let cA = min(c0, N4 - 1u);
  let cB = min(c0 + 1u, N4 - 1u);
  let r = ((wid.z * p.rowBlocksPerZ + wid.y) * ROW_LANES + lid.x / colLanes) * ROWS; // ≥ M: clamped loads, no store
  let zero = Quad(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  // accumulators: quad q (rows r + 4q …) × column block (A: c0, B: c0 + 1)
  var q0A = zero; var q1A = zero;
  var q0B = zero; var q1B = zero;
  let sums = COL_SUMS && r == 0u; // the first row block's lanes
  var colSumA = vec4f(0.0);
  var colSumB = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let bA = loadB(cA, k4, K4, N4);
    var bB = zero;
    if (COLS > 1u) { bB = loadB(cB, k4, K4, N4); }
    if (sums) {
      colSumA = colSumOf(colSumA, bA);
      if (COLS > 1u) { colSumB = colSumOf(colSumB, bB); }
    }
    let a0 = loadA(r, k4, K4);
    q0A = fmaQuad(q0A, a0, bA);
    if (COLS > 1u) { q0B = fmaQuad(q0B, a0, bB); }
    if (ROWS > 4u) {
      let a1 = loadA(r + 4u, k4, K4);
      q1A = fmaQuad(q1A, a1, bA);
      if (COLS > 1u) { q1B = fmaQuad(q1B, a1, bB); }
    }
  }
  if (sums && c0 < N4) {
    aux[c0] = p.alpha * colSumA;
    if (COLS > 1u && c0 + 1u < N4) { aux[c0 + 1u] = p.alpha * colSumB; }
  }
  // one store loop over the block's quads (not unrolled: the epilogue's code is emitted once, which keeps the 8 × 2
  // block's compile time down; 1.0 s against 2.8 s a pipeline on llvmpipe with the epilogue written out per quad)
  for (var q = 0u; q < (ROWS / 4u) * COLS; q++) {
    let quad = q / COLS; // quads in order: rows r…, column c0 first
    let col = q % COLS;
    var acc = q0A;
    if (quad == 1u) { acc = q1A; }
    if (col == 1u) { acc = q0B; if (quad == 1u) { acc = q1B; } }
    storeQuad(r + 4u * quad, c0 + col, N4, acc);
  }
}
