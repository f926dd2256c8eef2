// Launcher for the three matmul kernels: C = act(op(A)·op(B) + bias), op = optional transpose,
// optionally batched (rank-3 A, and B either rank 3 or shared rank 2).
//
// Kernel choice (override with `variant` or ENGINE_MATMUL=rowu|rowu8x2|strided|strided8|tiled): measured per
// adapter when the engine is created (tuneMatmul, remembered by src/gpu/tuning.ts): the candidates run a
// 1024×256×256 product and the fastest applicable one in measured order is used. 'rowu' (vec4 register blocking, no
// barriers) applies when unbatched and K, N divisible by 4 (and M, for a transposed A; transposed operands are read
// as stored, no transpose dispatch); 'rowu8x2' is the same kernel with 8 × 8 blocks, taken only where it keeps a
// workgroup as busy (wideFits); 'strided' applies always, 'strided8' (its 8 × 8 blocks: a gene count that is not a
// multiple of 4) where wideFits; 'tiled' (shared-memory 64×64 tiles) always. Software adapters measure 'rowu',
// 'rowu8x2', 'strided' and 'strided8' only: 'tiled' is 10–50× slower there (llvmpipe makes every barrier a
// coroutine switch) and measuring it would cost seconds. Unmeasured (tuning off, or a borrowed device), the rule
// is: software → rowu, else strided; hardware → tiled. rowu, rowu8x2, strided and strided8 sum each element in the
// same order (k ascending, one fma per term), so on a given adapter they agree bit for bit (test/kernels.test.ts).
import type { Engine } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { ACTIVATIONS, type Activation } from './types.ts';

export type MatmulVariant = 'rowu' | 'rowu8x2' | 'strided' | 'strided8' | 'tiled';

/** Rows × vec4 columns of C per invocation of each register-blocked variant (matmul_rowu's ROWS, COLS). */
const ROWU_BLOCKS = { rowu: [4, 1], rowu8x2: [8, 2] } as const;
type RowuVariant = keyof typeof ROWU_BLOCKS;
const isRowu = (v: MatmulVariant): v is RowuVariant => v in ROWU_BLOCKS;
/** The variants with a wide block (8 × 8 per invocation), taken only where `wideFits`. */
const isWide = (v: MatmulVariant) => v === 'rowu8x2' || v === 'strided8';
/** Invocations per workgroup of the register-blocked kernels (matmul_rowu, matmul_strided). */
const WG = 8;

/**
 * matmul_rowu's lane map for an M × N product in blocks of ROWS rows × COLS vec4 columns: of the WG lanes of a
 * workgroup, colLanes = WG / ROW_LANES go over column blocks and ROW_LANES over row blocks, chosen for the largest
 * `efficiency`, the share of the lanes' block elements that are elements of C (clamped rows and columns and idle
 * lanes are the rest); the most lanes over columns among equals. N = 16 in 4 × 4 blocks: four lanes over its four
 * column blocks and two row blocks; N = 24: two lanes, three workgroups across; a wide product: all eight over columns.
 */
function rowuLanes(M: number, N: number, ROWS: number, COLS: number) {
  const colBlocks = Math.ceil(N / 4 / COLS),
    rowBlocks = Math.ceil(M / ROWS);
  const map = (colLanes: number) => {
    const ROW_LANES = WG / colLanes,
      columnGroups = Math.ceil(colBlocks / colLanes),
      rowGroups = Math.ceil(rowBlocks / ROW_LANES);
    const efficiency = (M * N) / (columnGroups * rowGroups * WG * ROWS * 4 * COLS);
    return { colLanes, ROW_LANES, columnGroups, rowGroups, efficiency };
  };
  let best = map(WG);
  for (let l = WG / 2; l >= 1; l /= 2) {
    const m = map(l);
    if (m.efficiency > best.efficiency) best = m;
  }
  return best;
}

/** Whether a wide block (8 × 8 per invocation) suits an M × N product: at least 32 rows, and its lanes as busy as
 *  the 4 × 4 block's, counting lanes over columns only (at N = 32 eight columns per invocation left half of them idle
 *  and the product ran 1.3× slower, at N = 40 or 60 1.3× faster; scratch measurement on llvmpipe). With matmul_rowu's
 *  lanes over row blocks (rowuLanes) narrow products in 8 × 8 blocks ran 15–25 % faster alone, but DSM and prior
 *  steps were no faster with them (three alternations each), so the rule stayed. */
function wideFits(M: number, N: number): boolean {
  const busy = (perInvocation: number) => {
    const n = Math.ceil(N / 4 / perInvocation);
    return n / (WG * Math.ceil(n / WG));
  };
  return M >= 32 && busy(2) >= busy(1);
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: GpuTensor | null;
  /** 0: bias is per column [N]; P > 0: bias is [groups × N] and row r adds row ⌊r/P⌋ (per-environment biases). */
  biasRowsPerGroup?: number;
  /** C = act(alpha · op(A)·op(B) + bias + addend) */
  alpha?: number;
  /** A tensor of C's shape added before the activation (fused: no separate add pass). */
  addend?: GpuTensor | null;
  /** A tanh layer's output y, of C's shape: C is multiplied by 1 − y² (the backward through that tanh, fused into
   *  the product that makes its incoming gradient); not with `addend`. */
  tanhGradOf?: GpuTensor | null;
  act?: Activation;
  variant?: MatmulVariant;
  /** Also write alpha · Σ_k op(B)[k, j] into this [N] tensor (unbatched): the bias gradient db = Σ_rows G computed
   *  in the weight gradient's own product dW = Xᵀ·G, which reads every row of G anyway (one reduction pass fewer). */
  colSums?: GpuTensor | null;
  /** The addend is a table [R×N] and row i adds its row addendRows[i] ([M] row numbers stored as f32; unbatched):
   *  a gather in the epilogue instead of a one-hot product (the score network's level embedding temb[t_i]). */
  addendRows?: GpuTensor | null;
  /** A SiLU layer's pre-activation z (the product's shape): the product times silu'(z), its backward (as tanhGradOf). */
  siluGradOf?: GpuTensor | null;
  /** Also write the pre-activation (before `act`) into this tensor of the product's shape (a SiLU layer's z). */
  preActivation?: GpuTensor | null;
}

const MAXD = 65535;

export function matmulShapes(aShape: readonly number[], bShape: readonly number[], transA = false, transB = false) {
  const ra = aShape.length,
    rb = bShape.length;
  if (ra < 2 || ra > 3 || rb < 2 || rb > 3 || (rb === 3 && ra !== 3)) {
    throw new ShapeError(
      `matmul: shapes [${aShape.join('×')}] and [${bShape.join('×')}]: A must be rank 2 or 3, B rank 2 or (with rank-3 A) 3`,
    );
  }
  const batch = ra === 3 ? aShape[0]! : 1;
  if (rb === 3 && bShape[0] !== batch)
    throw new ShapeError(`matmul: batch sizes differ: [${aShape.join('×')}] vs [${bShape.join('×')}]`);
  const a2 = aShape.slice(-2),
    b2 = bShape.slice(-2);
  const [M, Ka] = transA ? [a2[1]!, a2[0]!] : [a2[0]!, a2[1]!];
  const [Kb, N] = transB ? [b2[1]!, b2[0]!] : [b2[0]!, b2[1]!];
  if (Ka !== Kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: A [${aShape.join('×')}]${transA ? 'ᵀ' : ''} has K=${Ka}, B [${bShape.join('×')}]${transB ? 'ᵀ' : ''} has K=${Kb}`,
    );
  }
  return { batch, M, K: Ka, N, batchedB: rb === 3, outShape: ra === 3 ? [batch, M, N] : [M, N] };
}

/** Bias contract shared with the reference: [N] per column, or [groups × N] covering all M rows. */
export function checkBias(shape: readonly number[] | null, M: number, N: number, rowsPerGroup: number): void {
  if (!shape) return;
  const size = shape.reduce((a, b) => a * b, 1);
  if (rowsPerGroup > 0) {
    const groups = Math.ceil(M / rowsPerGroup);
    if (size !== groups * N)
      throw new ShapeError(
        `matmul: grouped bias [${shape.join('×')}] must be [${groups}×${N}] for ${M} rows in groups of ${rowsPerGroup}`,
      );
  } else if (size !== N) throw new ShapeError(`matmul: bias [${shape.join('×')}] does not match N=${N}`);
}

/** Candidates in default order (the first is the unmeasured choice), per kind of adapter. */
export const matmulCandidates = (software: boolean): MatmulVariant[] =>
  software ? ['rowu', 'rowu8x2', 'strided', 'strided8'] : ['tiled', 'rowu', 'strided'];

/** Time the candidates on this adapter (or recall the answer) and set the engine's matmul preference order. */
export async function tuneMatmul(e: Engine): Promise<void> {
  const [M, K, N] = [1024, 256, 256];
  const a = e.upload(new Float32Array(M * K).fill(0.01), [M, K]),
    b = e.upload(new Float32Array(K * N).fill(0.02), [K, N]);
  const labels = matmulCandidates(e.info.software);
  const c = await e.tuning.choose(
    'matmul',
    labels.map((variant) => ({ label: variant, run: () => matmul(e, a, b, { variant }).dispose() })),
  );
  a.dispose();
  b.dispose();
  // Fastest first; unmeasured (no times) the default order stays (a stable sort of equal keys).
  e.matmulOrder = [...labels].sort((x, y) => (c.ms[x] ?? Infinity) - (c.ms[y] ?? Infinity));
}

/** rowu reads vec4s along K and N, and a transposed A along M: a transposed A with M % 4 ≠ 0 (the one-hot level
 *  table's Lᵀ·G) goes to strided, one dispatch instead of a transpose and a product (as fast here up to H = 256). */
const rowuApplies = (batch: number, M: number, K: number, N: number, transA: boolean) =>
  batch === 1 && K % 4 === 0 && N % 4 === 0 && (!transA || M % 4 === 0);

/** Addend contract shared with the reference: exactly the product's shape. */
export function checkAddend(shape: readonly number[] | null, outShape: readonly number[]): void {
  if (shape && (shape.length !== outShape.length || shape.some((d, i) => d !== outShape[i])))
    throw new ShapeError(`matmul: addend [${shape.join('×')}] must have the product's shape [${outShape.join('×')}]`);
}

/** The epilogue's tensor input, shared with the reference: an addend or a tanh gate (one binding), of the product's
 *  shape; returns the one given. */
export function epilogueInput<T extends { shape: readonly number[] }>(
  addend: T | null | undefined,
  tanhGradOf: T | null | undefined,
  outShape: readonly number[],
  addendRows: T | null = null,
  siluGradOf: T | null = null,
): T | null {
  if ([addend, tanhGradOf, siluGradOf].filter((x) => x).length > 1)
    throw new ShapeError('matmul: addend, tanhGradOf and siluGradOf share a binding; pass one');
  const x = addend ?? tanhGradOf ?? siluGradOf ?? null;
  if (!addendRows) {
    checkAddend(x?.shape ?? null, outShape);
    return x;
  }
  const [M, N] = [outShape[0]!, outShape[outShape.length - 1]!];
  const rows = addendRows.shape.reduce((a, b) => a * b, 1);
  if (!addend || outShape.length !== 2 || addend.shape.length !== 2 || addend.shape[1] !== N || rows !== M)
    throw new ShapeError(
      `matmul: gathered addend needs an unbatched product, a table [R×${N}] and ${M} row numbers; got table [${addend?.shape.join('×') ?? 'none'}], ${rows} row numbers, product [${outShape.join('×')}]`,
    );
  return addend;
}

function pickVariant(e: Engine, opts: MatmulOptions, batch: number, M: number, K: number, N: number): MatmulVariant {
  const rowu = rowuApplies(batch, M, K, N, opts.transA ?? false);
  const forced =
    opts.variant ??
    (typeof process !== 'undefined' ? (process.env?.ENGINE_MATMUL as MatmulVariant | undefined) : undefined);
  if (forced) return isRowu(forced) && !rowu ? 'strided' : forced;
  const wide = wideFits(M, N);
  const order = e.matmulOrder ?? matmulCandidates(e.info.software);
  return order.find((v) => (!isRowu(v) || rowu) && (!isWide(v) || wide)) ?? 'strided';
}

export function matmul(e: Engine, a: GpuTensor, b: GpuTensor, opts: MatmulOptions = {}): GpuTensor {
  const { transA = false, transB = false, bias = null, act = 'identity', alpha = 1, biasRowsPerGroup = 0 } = opts;
  const { batch, M, K, N, batchedB, outShape } = matmulShapes(a.shape, b.shape, transA, transB);
  checkBias(bias?.shape ?? null, M, N, biasRowsPerGroup);
  const addendRows = opts.addendRows ?? null;
  const addend = epilogueInput(opts.addend, opts.tanhGradOf, outShape, addendRows, opts.siluGradOf ?? null);
  const colSums = opts.colSums ?? null,
    pre = opts.preActivation ?? null;
  if (colSums && (batch !== 1 || colSums.size !== N))
    throw new ShapeError(
      `matmul: column sums [${colSums.shape.join('×')}] need an unbatched product and N=${N} values (got batch ${batch})`,
    );
  if (pre && (colSums || pre.size !== batch * M * N))
    throw new ShapeError(
      `matmul: the pre-activation [${pre.shape.join('×')}] must have the product's ${batch * M * N} values, and not with column sums (one binding)`,
    );
  const epi = { alpha, rowsPerGroup: biasRowsPerGroup, addendRows: addendRows ? addend!.shape[0]! : 0 };
  const variant = pickVariant(e, opts, batch, M, K, N);
  const out = e.empty(outShape, 'matmul');
  const constants = {
    ACT: ACTIVATIONS[act],
    HAS_BIAS: bias !== null,
    HAS_ADDEND: addend !== null,
    GATE_TANH: !!opts.tanhGradOf,
    GATE_SILU: !!opts.siluGradOf,
    STORE_PRE: pre !== null,
    COL_SUMS: colSums !== null,
    ADDEND_ROWS: addendRows !== null,
  };

  if (isRowu(variant)) {
    // Transposed operands are read as stored (TRANS_A, TRANS_B: 4×4 blocks transposed in registers): the same sums,
    // in the same order, as an explicit transpose followed by the plain kernel, and no transpose dispatch. Every
    // block size forms each element of C alike, so the variants agree bit for bit.
    const [ROWS, COLS] = ROWU_BLOCKS[variant];
    const { ROW_LANES, columnGroups, rowGroups } = rowuLanes(M, N, ROWS, COLS);
    const y = Math.min(rowGroups, MAXD);
    e.dispatch(
      'matmul_rowu',
      { ...constants, WG, ROWS, COLS, ROW_LANES, TRANS_A: transA, TRANS_B: transB },
      [a, b, bias, out, addend, colSums ?? pre, addendRows],
      { M, K, N, rowBlocksPerZ: y, ...epi },
      [columnGroups, y, Math.ceil(rowGroups / y)],
    );
    return out;
  }

  const a2 = a.shape.slice(-2),
    b2 = b.shape.slice(-2);
  // Element strides of op(A)[i,k] and op(B)[k,j] in the row-major storage.
  const sAi = transA ? 1 : a2[1]!,
    sAk = transA ? a2[1]! : 1;
  const sBk = transB ? 1 : b2[1]!,
    sBj = transB ? b2[1]! : 1;
  const strides = {
    M,
    K,
    N,
    sAi,
    sAk,
    sBk,
    sBj,
    batchStrideA: M * K,
    batchStrideB: batchedB ? K * N : 0,
    batchStrideC: M * N,
  };
  const tile = variant === 'tiled' ? 64 : variant === 'strided8' ? 8 : 4;
  const rowBlocks = Math.ceil(M / tile);
  const y = Math.min(rowBlocks, MAXD);
  const zPerBatch = Math.ceil(rowBlocks / y);
  if (zPerBatch * batch > MAXD)
    throw new ShapeError(`matmul: batch ${batch} × ${M} rows exceeds the dispatch grid; split the batch`);
  const x = variant === 'tiled' ? Math.ceil(N / 64) : Math.ceil(Math.ceil(N / tile) / WG);
  const shader = variant === 'tiled' ? 'matmul_tiled' : 'matmul_strided';
  e.dispatch(
    shader,
    variant === 'tiled' ? constants : { ...constants, WG, WIDE: variant === 'strided8' },
    [a, b, bias, out, addend, colSums ?? pre, addendRows],
    { ...strides, rowBlocks: zPerBatch, ...epi },
    [x, y, zPerBatch * batch],
  );
  return out;
}
