// Fused kernels cholesky_batched, lu_batched and trisolve_batched (shaders/<name>.wgsl): batched dense factorisations
// and triangular solves for CLIPR's many small systems, their Float64 references (batched loops over
// reference/linalg.ts, same conventions), and the two solvers built on them. Tests: test/kernels/<name>.test.ts,
// and test/clipr.test.ts for the solvers, info codes and permutations.
// Matrices are [batch, n, n] (or [n, n]); right-hand sides [batch, n, m]. `info` and `perm` are u32 data held in
// tensors (4-byte elements), read back with asU32.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import { refArray, type RefArray } from '../../reference/kernels.ts';
import { cholesky, luFactor } from '../../reference/linalg.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

export class SingularMatrixError extends Error {
  override name = 'SingularMatrixError';
  constructor(
    readonly batchIndex: number,
    readonly column: number,
    kind: 'cholesky' | 'lu',
  ) {
    super(
      kind === 'cholesky'
        ? `matrix ${batchIndex} of the batch is not positive definite or not finite (pivot of column ${column} ≤ 0 or NaN/inf); regularise it (add λI) or use the LU solver`
        : `matrix ${batchIndex} of the batch is singular or not finite (no usable pivot in column ${column}); check the inputs for NaN/inf or regularise`,
    );
  }
}

export const asU32 = (f: Float32Array): Uint32Array => new Uint32Array(f.buffer, f.byteOffset, f.length);

function dims(a: GpuTensor): { batch: number; n: number } {
  const s = a.shape;
  if (s.length < 2 || s.length > 3 || s[s.length - 1] !== s[s.length - 2])
    throw new ShapeError(`expected square matrices [batch, n, n] or [n, n], got [${s.join('×')}]`);
  return { batch: s.length === 3 ? s[0]! : 1, n: s[s.length - 1]! };
}

/** In-place-style Cholesky: returns a new tensor holding L (lower), and info per matrix. */
export function choleskyBatched(e: Engine, a: GpuTensor): { L: GpuTensor; info: GpuTensor } {
  const { batch, n } = dims(a);
  const L = e.empty(a.shape, 'cholesky');
  e.copy(a, L);
  const info = e.empty([batch], 'info');
  e.dispatch('cholesky_batched', { WG }, [L, info], { n, batch }, foldGrid(batch));
  return { L, info };
}

export function luBatched(e: Engine, a: GpuTensor): { LU: GpuTensor; perm: GpuTensor; info: GpuTensor } {
  const { batch, n } = dims(a);
  const LU = e.empty(a.shape, 'lu');
  e.copy(a, LU);
  const perm = e.empty([batch, n], 'perm'),
    info = e.empty([batch], 'info');
  e.dispatch('lu_batched', { WG }, [LU, perm, info], { n, batch }, foldGrid(batch));
  return { LU, perm, info };
}

export interface TriOptions {
  lower: boolean;
  trans?: boolean;
  unitDiag?: boolean;
  perm?: GpuTensor | null;
}

/** X = op(T)⁻¹ · (P·B): T [batch, n, n], B [batch, n, m] or [n, m] with batch 1. */
export function trisolveBatched(e: Engine, t: GpuTensor, b: GpuTensor, o: TriOptions): GpuTensor {
  const { batch, n } = dims(t);
  const m = b.shape[b.shape.length - 1]!;
  if (b.size !== batch * n * m || b.shape[b.shape.length - 2] !== n)
    throw new ShapeError(
      `trisolve: right-hand sides [${b.shape.join('×')}] do not match ${batch} matrices of ${n}×${n}`,
    );
  const x = e.empty(b.shape, 'trisolve');
  e.dispatch(
    'trisolve_batched',
    { WG, LOWER: o.lower, TRANS: o.trans ?? false, UNIT_DIAG: o.unitDiag ?? false, PERMUTE: !!o.perm },
    [t, b, o.perm ?? null, x],
    { n, m, batch },
    foldGrid(Math.ceil((batch * m) / WG)),
  );
  return x;
}

async function checkInfo(e: Engine, info: GpuTensor, kind: 'cholesky' | 'lu'): Promise<void> {
  const codes = asU32(await e.read(info));
  const bad = codes.findIndex((c) => c !== 0);
  if (bad >= 0) throw new SingularMatrixError(bad, codes[bad]! - 1, kind);
}

/** Solve A X = B for symmetric positive-definite A (Cholesky); throws SingularMatrixError. */
export async function solveSpdBatched(e: Engine, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  const { L, info } = choleskyBatched(e, a);
  const y = trisolveBatched(e, L, b, { lower: true });
  const x = trisolveBatched(e, L, y, { lower: true, trans: true });
  try {
    await checkInfo(e, info, 'cholesky');
  } catch (err) {
    x.dispose();
    throw err;
  } finally {
    [L, info, y].forEach((t) => t.dispose());
  }
  return x;
}

/** Solve A X = B for general A (LU with partial pivoting); throws SingularMatrixError. */
export async function solveBatched(e: Engine, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  const { LU, perm, info } = luBatched(e, a);
  const y = trisolveBatched(e, LU, b, { lower: true, unitDiag: true, perm });
  const x = trisolveBatched(e, LU, y, { lower: false });
  try {
    await checkInfo(e, info, 'lu');
  } catch (err) {
    x.dispose();
    throw err;
  } finally {
    [LU, perm, info, y].forEach((t) => t.dispose());
  }
  return x;
}

// ---------------------------------------------------------------- definitions (launcher + Float64 reference)

const batchDims = (a: RefArray) => ({ batch: a.shape.length === 3 ? a.shape[0]! : 1, n: a.shape.at(-1)! });

export const choleskyBatchedKernel: FusedKernel<Record<string, never>> = {
  name: 'cholesky_batched',
  inputs: ['A [batch, n, n] symmetric positive definite'],
  outputs: ['L (lower triangle, zero above)'],
  summary: 'batched Cholesky A = L Lᵀ, one workgroup per matrix (info codes checked by the solvers)',
  tolerance: { atol: 1e-4, rtol: 1e-4 },
  gpu(e, xs) {
    const { L, info } = choleskyBatched(e, input(this, xs, 0));
    info.dispose();
    return [L];
  },
  reference(xs) {
    const a = input(this, xs, 0),
      { batch, n } = batchDims(a),
      out = new Float64Array(a.data.length);
    for (let b = 0; b < batch; b++) out.set(cholesky(a.data.subarray(b * n * n, (b + 1) * n * n), n), b * n * n);
    return [refArray(out, a.shape)];
  },
};

export const luBatchedKernel: FusedKernel<Record<string, never>> = {
  name: 'lu_batched',
  inputs: ['A [batch, n, n]'],
  outputs: ['LU (unit-diagonal L below, U on and above; rows in pivot order)'],
  summary: 'batched LU with partial pivoting P A = L U, one workgroup per matrix (perm and info: test/clipr.test.ts)',
  tolerance: { atol: 1e-4, rtol: 1e-4 },
  gpu(e, xs) {
    const { LU, perm, info } = luBatched(e, input(this, xs, 0));
    perm.dispose();
    info.dispose();
    return [LU];
  },
  reference(xs) {
    const a = input(this, xs, 0),
      { batch, n } = batchDims(a),
      out = new Float64Array(a.data.length);
    for (let b = 0; b < batch; b++) out.set(luFactor(a.data.subarray(b * n * n, (b + 1) * n * n), n).lu, b * n * n);
    return [refArray(out, a.shape)];
  },
};

/** X = op(T)⁻¹ · (P·B) per matrix in Float64, the conventions of trisolve_batched.wgsl (perm: row i of P·B is row
 *  perm[i] of B). */
export function trisolveReference(T: RefArray, B: RefArray, o: Omit<TriOptions, 'perm'>, perm?: RefArray): RefArray {
  const { batch, n } = batchDims(T),
    m = B.shape.at(-1)!;
  const X = new Float64Array(batch * n * m),
    x = new Float64Array(n);
  const lowerOp = o.lower !== Boolean(o.trans); // is op(T) lower triangular?
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < m; j++) {
      const t = (i: number, k: number) => T.data[b * n * n + (o.trans ? k * n + i : i * n + k)]!;
      for (let i = 0; i < n; i++) x[i] = B.data[b * n * m + (perm ? perm.data[b * n + i]! : i) * m + j]!;
      for (let r = 0; r < n; r++) {
        const i = lowerOp ? r : n - 1 - r;
        let s = x[i]!;
        if (lowerOp) for (let k = 0; k < i; k++) s -= t(i, k) * x[k]!;
        else for (let k = i + 1; k < n; k++) s -= t(i, k) * x[k]!;
        x[i] = o.unitDiag ? s : s / t(i, i);
      }
      for (let i = 0; i < n; i++) X[b * n * m + i * m + j] = x[i]!;
    }
  return refArray(X, B.shape);
}

export const trisolveBatchedKernel: FusedKernel<Omit<TriOptions, 'perm'>> = {
  name: 'trisolve_batched',
  inputs: ['T [batch, n, n] (lower or upper part used)', 'B [batch, n, m]', 'perm [batch, n] (optional, u32)'],
  outputs: ['X [batch, n, m]'],
  summary: 'batched triangular solves op(T) X = P B with many right-hand sides, one invocation per column',
  tolerance: { atol: 1e-4, rtol: 1e-4 },
  gpu(e, xs, o) {
    return [trisolveBatched(e, input(this, xs, 0), input(this, xs, 1), { ...o, perm: xs[2] ?? null })];
  },
  reference(xs, o) {
    return [trisolveReference(input(this, xs, 0), input(this, xs, 1), o, xs[2])];
  },
};
