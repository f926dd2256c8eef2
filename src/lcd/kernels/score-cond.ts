// Fused kernels `score_cond` and `score_cond_vjp` (shaders/score_cond.wgsl, shaders/score_cond_vjp.wgsl): the score
// network's conditioning for a batch from one environment — the level embedding table temb = MLP(S) and the first two
// layers' bias rows (ē·U_l + u_l) + mb_l — forward in one dispatch and its gradient in another, where the separate
// products took five and eight. They depend on the parameters and the environment, not on the batch, so on a
// software adapter their cost was dispatch overhead; ScoreNet.dsmLoss puts them on the tape as one op.
// Tests: test/kernels/score_cond.test.ts, test/kernels/score_cond_vjp.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { sizeOf } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';
import { COND_PARAMS } from '../param-names.ts';

/** The table rows the backward keeps per lane (score_cond_vjp.wgsl's MAXL): the level table padded from 30 levels. */
export const MAX_TABLE_ROWS = 32;

/** The forward's parameter inputs, in order (after the level table S and the weights w). */
export { COND_PARAMS } from '../param-names.ts';

interface Dims {
  Lc: number;
  H: number;
  De: number;
  G: number;
}

type Shaped = { shape: readonly number[] };

function dims(kernel: string, S: Shaped, w: Shaped, E: Shaped, U1: Shaped): Dims {
  const [Lc, H] = S.shape as [number, number];
  const [G, De] = E.shape as [number, number];
  if (S.shape.length !== 2 || E.shape.length !== 2 || U1.shape[0] !== De || U1.shape[1] !== H || sizeOf(w.shape) < G)
    throw new ShapeError(
      `${kernel}: level table [${S.shape.join('×')}] must be [Lc×H], embed.table [${E.shape.join('×')}] [G×De], ` +
        `inject1.w [${U1.shape.join('×')}] [De×H] and the weights [${w.shape.join('×')}] at least G long`,
    );
  if (!condShapesOk(Lc, H, De))
    throw new ShapeError(
      `${kernel}: needs H (${H}) and De (${De}) multiples of 4, H ≤ 1024, De ≤ 4096 and 1–${MAX_TABLE_ROWS} table rows (${Lc}); use the separate products`,
    );
  return { Lc, H, De, G };
}

/** The workgroup memory every WebGPU device has (the spec's minimum maxComputeWorkgroupStorageSize), in bytes. */
const WORKGROUP_BYTES = 16384;

/** Whether a level table of `rows` rows and these widths can take the fused path, on any backend and device: H and De
 *  multiples of 4, at most MAX_TABLE_ROWS rows, and four rows of T1 (and ē) within one workgroup's memory. */
export function condShapesOk(rows: number, H: number, De: number): boolean {
  return (
    H % 4 === 0 && De % 4 === 0 && rows >= 1 && rows <= MAX_TABLE_ROWS && 16 * Math.max(H, De / 4) <= WORKGROUP_BYTES
  );
}

/** One buffer holding `ts` and each one's offset in vec4s: their own buffer when they are all slices of one (the packed
 *  parameters), else a copy into a new one (recorded in order, released once the dispatch that reads it is recorded). */
function bindTogether(
  e: Engine,
  ts: readonly GpuTensor[],
): { buffer: GPUBuffer; at: number[]; temp: GpuTensor | null } {
  const first = ts[0]!.buffer;
  if (ts.every((t) => t.buffer === first && t.byteOffset % 16 === 0))
    return { buffer: first, at: ts.map((t) => t.byteOffset / 16), temp: null };
  const at: number[] = [];
  let n = 0;
  for (const t of ts) {
    at.push(n / 4);
    n += Math.ceil(t.size / 4) * 4;
  }
  const temp = e.empty([Math.max(n, 4)], 'score_cond.params');
  ts.forEach((t, k) => {
    const slot = e.wrap(temp.buffer, t.shape, 'score_cond.params', at[k]! * 16, true);
    e.copy(t, slot);
    slot.dispose(); // a view: the copy is recorded, the buffer is temp's
  });
  return { buffer: temp.buffer, at, temp };
}

export const scoreCondKernel: FusedKernel<Record<string, never>> = {
  name: 'score_cond',
  inputs: ['S (level table, Lc×H)', 'w (target weights, G or 1×G)', ...COND_PARAMS],
  outputs: ['temb (Lc×H)', 'bias1 (H)', 'bias2 (H)', 'saved (T1 rows, then ē: Lc·H + De)'],
  summary: "the score network's level table and first two bias rows for one environment, in one pass",
  tolerance: { atol: 1e-5, rtol: 1e-4 },
  gpu(e: Engine, xs): GpuTensor[] {
    const [S, w, ...ps] = xs.map((_, k) => input(this, xs, k)) as [GpuTensor, GpuTensor, ...GpuTensor[]];
    const { Lc, H, De, G } = dims('score_cond', S, w, ps[4]!, ps[5]!);
    const temb = e.empty([Lc, H], 'score_cond.temb'),
      bias1 = e.empty([H], 'score_cond.bias1'),
      bias2 = e.empty([H], 'score_cond.bias2'),
      saved = e.empty([Lc * H + De], 'score_cond.saved');
    const { buffer, at, temp } = bindTogether(e, ps);
    const [oW1, oB1, oW2, oB2, oE, oU1, ou1, oU2, ou2, oMb1, oMb2] = at as [number, ...number[]];
    const nT = Math.ceil(Lc / 4),
      WG = Math.min(64, Math.max(8, H / 4));
    e.dispatch(
      'score_cond',
      { WG, SH: Math.max(H, De / 4, 4) },
      [buffer, S, w, temb, bias1, bias2, saved],
      { Lc, H4: H / 4, De4: De / 4, G, oW1, oB1, oW2, oB2, oE, oU1, ou1, oU2, ou2, oMb1, oMb2, nT },
      [nT + 1],
    );
    temp?.dispose();
    return [temb, bias1, bias2, saved];
  },
  reference(xs): RefArray[] {
    const [S, w, W1, b1, W2, b2, E, U1, u1, U2, u2, mb1, mb2] = xs.map((_, k) => input(this, xs, k));
    const { Lc, H, De, G } = dims('score_cond', S!, w!, E!, U1!);
    const T1 = new Float64Array(Lc * H),
      temb = new Float64Array(Lc * H);
    for (let t = 0; t < Lc; t++)
      for (let k = 0; k < H; k++) {
        let z = 0;
        for (let i = 0; i < H; i++) z += S!.data[t * H + i]! * W1!.data[i * H + k]!;
        T1[t * H + k] = Math.tanh(z + b1!.data[k]!);
      }
    for (let t = 0; t < Lc; t++)
      for (let j = 0; j < H; j++) {
        let z = 0;
        for (let k = 0; k < H; k++) z += T1[t * H + k]! * W2!.data[k * H + j]!;
        temb[t * H + j] = z + b2!.data[j]!;
      }
    const eb = new Float64Array(De);
    for (let k = 0; k < De; k++) for (let g = 0; g < G; g++) eb[k] += w!.data[g]! * E!.data[g * De + k]!;
    const bias = (U: RefArray, u: RefArray, mb: RefArray) =>
      Float64Array.from({ length: H }, (_, j) => {
        let z = 0;
        for (let k = 0; k < De; k++) z += eb[k]! * U.data[k * H + j]!;
        return z + u.data[j]! + mb.data[j]!;
      });
    const saved = new Float64Array(Lc * H + De);
    saved.set(T1);
    saved.set(eb, Lc * H);
    return [
      { data: temb, shape: [Lc, H] },
      { data: bias(U1!, u1!, mb1!), shape: [H] },
      { data: bias(U2!, u2!, mb2!), shape: [H] },
      { data: saved, shape: [Lc * H + De] },
    ];
  },
};

/** The gradients' shapes, in COND_PARAMS order. */
function gradShapes({ H, De, G }: Dims): number[][] {
  return [[H, H], [H], [H, H], [H], [G, De], [De, H], [H], [De, H], [H], [H], [H]];
}

/** The optional gradient slots (inputs 10 …): all eleven, each of its gradient's size, or none. On the GPU they must
 *  be slices of one buffer at vec4 offsets (the kernel binds that buffer once). */
function slots<T extends { shape: readonly number[] }>(
  k: { name: string },
  xs: readonly (T | undefined)[],
  shapes: number[][],
): T[] | null {
  const given = xs.slice(10);
  if (given.every((t) => t === undefined)) return null;
  if (given.length !== COND_PARAMS.length || given.some((t, i) => !t || sizeOf(t.shape) !== sizeOf(shapes[i]!)))
    throw new ShapeError(
      `${k.name}: the gradient slots must be all ${COND_PARAMS.length} of the gradients' sizes, or none`,
    );
  const ts = given as T[];
  const gpu = ts.filter((t): t is T & GpuTensor => 'buffer' in t);
  if (gpu.length && gpu.some((t) => t.buffer !== gpu[0]!.buffer || t.byteOffset % 16 !== 0))
    throw new ShapeError(`${k.name}: the gradient slots must be slices of one buffer, each at a multiple of 16 bytes`);
  return ts;
}

export const scoreCondVjpKernel: FusedKernel<Record<string, never>> = {
  name: 'score_cond_vjp',
  inputs: [
    'S (level table, Lc×H)',
    'w (target weights)',
    "saved (score_cond's T1 and ē)",
    'gTemb (Lc×H)',
    'gBias1 (H)',
    'gBias2 (H)',
    'time.w2',
    'embed.table (its shape only)',
    'inject1.w',
    'inject2.w',
    ...COND_PARAMS.map((n) => `into: ${n}'s gradient slot (optional; all or none, slices of one buffer)`),
  ],
  outputs: COND_PARAMS.map((n) => `${n}'s gradient`),
  summary: "the gradient of score_cond's outputs into its eleven parameters, in one pass",
  tolerance: { atol: 1e-5, rtol: 1e-4 },
  gpu(e: Engine, xs): GpuTensor[] {
    const [S, w, saved, gT, g1, g2, W2, E, U1, U2] = xs.slice(0, 10).map((_, k) => input(this, xs, k));
    const d = dims('score_cond_vjp', S!, w!, E!, U1!);
    const { Lc, H, De, G } = d;
    if (saved!.size !== Lc * H + De || gT!.size !== Lc * H || g1!.size !== H || g2!.size !== H)
      throw new ShapeError(
        `score_cond_vjp: saved (${saved!.size}), gTemb [${gT!.shape.join('×')}] and the bias cotangents (${g1!.size}, ${g2!.size}) do not match Lc = ${Lc}, H = ${H}, De = ${De}`,
      );
    // the gradients as slices of one buffer, each at a storage-offset boundary (a later kernel may bind any of them)
    const shapes = gradShapes(d),
      a = e.sliceAlignment;
    const starts: number[] = [];
    let n = 0;
    for (const s of shapes) {
      starts.push(n);
      n += Math.max(1, Math.ceil(sizeOf(s) / a)) * a;
    }
    const into = slots(this, xs, shapes);
    const whole = into ? null : e.empty([n], 'score_cond.grads');
    const { buffer, at, temp } = bindTogether(e, [W2!, U1!, U2!]);
    const [gW1, gB1, gW2, gB2, gE, gU1, gu1, gU2, gu2, gMb1, gMb2] = (
      into ? into.map((t) => t.byteOffset / 16) : starts.map((s) => s / 4)
    ) as [number, ...number[]];
    const WG = 8;
    e.dispatch(
      'score_cond_vjp',
      { WG },
      [buffer, S!, w!, saved!, gT!, g1!, g2!, into ? into[0]!.buffer : whole!],
      {
        Lc,
        H4: H / 4,
        De4: De / 4,
        G,
        oW2: at[0]!,
        oU1: at[1]!,
        oU2: at[2]!,
        zero: 0,
        gW1,
        gB1,
        gW2,
        gB2,
        gE,
        gU1,
        gu1,
        gU2,
        gu2,
        gMb1,
        gMb2,
        pad1: 0,
      },
      [Math.ceil((H / 2 + De / 4) / WG)],
    );
    temp?.dispose();
    return (
      into ?? shapes.map((s, k) => e.wrap(whole!.buffer, s, `score_cond.grad.${COND_PARAMS[k]}`, starts[k]! * 4, true))
    );
  },
  reference(xs): RefArray[] {
    const [S, w, saved, gT, g1, g2, W2, E, U1, U2] = xs.slice(0, 10).map((_, k) => input(this, xs, k));
    const d = dims('score_cond_vjp', S!, w!, E!, U1!);
    const { Lc, H, De, G } = d;
    const T1 = saved!.data.subarray(0, Lc * H),
      eb = saved!.data.subarray(Lc * H);
    const D = new Float64Array(Lc * H);
    for (let t = 0; t < Lc; t++)
      for (let k = 0; k < H; k++) {
        let z = 0;
        for (let j = 0; j < H; j++) z += gT!.data[t * H + j]! * W2!.data[k * H + j]!;
        const y = T1[t * H + k]!;
        D[t * H + k] = z * (1 - y * y);
      }
    // Xᵀ·Y and Σ_t Y over the table rows
    const xty = (X: ArrayLike<number>, Y: ArrayLike<number>) => {
      const out = new Float64Array(H * H);
      for (let t = 0; t < Lc; t++)
        for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) out[i * H + j] += X[t * H + i]! * Y[t * H + j]!;
      return out;
    };
    const colSums = (Y: ArrayLike<number>) => {
      const out = new Float64Array(H);
      for (let t = 0; t < Lc; t++) for (let j = 0; j < H; j++) out[j] += Y[t * H + j]!;
      return out;
    };
    const de = Float64Array.from({ length: De }, (_, k) => {
      let z = 0;
      for (let j = 0; j < H; j++) z += g1!.data[j]! * U1!.data[k * H + j]! + g2!.data[j]! * U2!.data[k * H + j]!;
      return z;
    });
    const outer = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Float64Array.from({ length: a.length * b.length }, (_, i) => a[Math.floor(i / b.length)]! * b[i % b.length]!);
    const wG = Float64Array.from({ length: G }, (_, g) => w!.data[g]!);
    const grads = [
      xty(S!.data, D),
      colSums(D),
      xty(T1, gT!.data),
      colSums(gT!.data),
      outer(wG, de),
      outer(eb, g1!.data),
      Float64Array.from(g1!.data),
      outer(eb, g2!.data),
      Float64Array.from(g2!.data),
      Float64Array.from(g1!.data),
      Float64Array.from(g2!.data),
    ];
    const into = slots(this, xs, gradShapes(d));
    if (into) {
      into.forEach((t, k) => t.data.set(grads[k]!));
      return into;
    }
    return grads.map((data, k) => ({ data, shape: gradShapes(d)[k]! }));
  },
};
