// Launchers for the batched dense solvers: cholesky_batched, lu_batched, trisolve_batched.
// Matrices are [batch, n, n] (or [n, n]); right-hand sides [batch, n, m]. `info` and `perm` are u32 data held in
// tensors (4-byte elements), read back with asU32.
import type { Engine } from '../engine.ts';
import { foldGrid } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

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
