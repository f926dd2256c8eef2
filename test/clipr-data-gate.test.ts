// CLIPR's data gate (src/clipr/data-gate.ts): each direct effect k → i scaled by min(1, |t| / t0), t the Welch t of
// gene i's shift in the cells with k perturbed; the gate's inputs matched by gene name, counts normalised, and the
// response reading gating its direct effects only.
import { describe, it, expect } from 'vitest';
import { dataShiftGate, gateByShifts, DATA_GATE_T } from '../src/clipr/data-gate.ts';
import { responseReading, describeResponseReading } from '../src/clipr/responses.ts';
import { welchShiftT } from '../src/stats/shift-t.ts';
import { normalizeLog1p } from '../src/data/normalize.ts';
import { InputError } from '../src/core/errors.ts';
import type { Screen } from '../src/data/dataset.ts';
import { scratchRng } from '../src/reference/rng.ts';

/** A screen of `genes`, a control and a single per target, each env's values drawn around per-gene means. */
function screen(genes: string[], means: Record<string, number[]>, kind: Screen['kind'] = 'log1p', seed = 1): Screen {
  const rng = scratchRng(seed),
    d = genes.length,
    n = 40;
  return {
    genes,
    kind,
    envs: Object.entries(means).map(([name, mu]) => ({
      name,
      targets: name === 'ctrl' ? [] : [name],
      cells: n,
      values: Float32Array.from({ length: n * d }, (_, k) =>
        kind === 'counts' ? Math.round(mu[k % d]! * (1 + 0.2 * rng.normal()) ** 2) : mu[k % d]! + 0.3 * rng.normal(),
      ),
    })),
  } as Screen;
}

describe('CLIPR data gate', () => {
  it('scales each row of a perturbed gene by min(1, |t| / t0) and leaves other rows and the diagonal alone', () => {
    const d = 3,
      a = Float64Array.from([-1, 0.4, -0.2, 0.3, -1, 0.5, 0.7, 0.8, -1]);
    const shifts = [Float64Array.from([9, 0.5, -3]), null]; // query genes 0 and 2; gene 2 has no cells
    const g = gateByShifts(a, [0, 2], d, { t0: 2, shifts });
    expect(Array.from(g)).toEqual([-1, 0.4 * 0.25, -0.2, 0.3, -1, 0.5, 0.7, 0.8, -1]);
    expect(Array.from(a)).toEqual([-1, 0.4, -0.2, 0.3, -1, 0.5, 0.7, 0.8, -1]); // a copy
    expect(() => gateByShifts(a, [0, 2], d, { t0: 2, shifts: [shifts[0]!] })).toThrow(/1 shift vectors for 2/);
  });

  it("reads the Welch t of the model's genes, matched by name, against the control's cells", () => {
    const data = screen(['C', 'A', 'B'], { ctrl: [1, 2, 3], A: [1.5, 0.5, 3], B: [1, 2, 4] });
    const gate = dataShiftGate(data, ['A', 'B', 'C'], [0, 1]); // model order A, B, C; queries A and B
    expect(gate.t0).toBe(DATA_GATE_T);
    const pick = (e: Screen['envs'][number]) => ({
      values: Float64Array.from(
        { length: e.cells * 3 },
        (_, k) => e.values[Math.floor(k / 3) * 3 + [1, 2, 0][k % 3]!]!,
      ),
      cells: e.cells,
    });
    expect(Array.from(gate.shifts[0]!)).toEqual(Array.from(welchShiftT(pick(data.envs[0]!), pick(data.envs[1]!), 3)));
    expect(Array.from(gate.shifts[1]!)).toEqual(Array.from(welchShiftT(pick(data.envs[0]!), pick(data.envs[2]!), 3)));
    expect(gate.shifts[0]![0]!).toBeLessThan(-10); // A's own knock-down
    // a query gene without single-perturbation cells is not gated
    expect(dataShiftGate(data, ['A', 'B', 'C'], [0, 2]).shifts[1]).toBeNull();
    expect(() => dataShiftGate(data, ['A', 'D'], [0])).toThrow(InputError);
    expect(() => dataShiftGate(data, ['A', 'D'], [0])).toThrow(/gene 'D' is not in the data's 3 genes/);
    expect(() => dataShiftGate({ ...data, envs: data.envs.slice(1) }, ['A', 'B', 'C'], [0])).toThrow(/no control/);
    expect(() => dataShiftGate(data, ['A', 'B', 'C'], [0], 0)).toThrow(/t0 must be > 0/);
  });

  it('normalises raw counts to log1p before the t statistics', () => {
    const counts = screen(['A', 'B'], { ctrl: [20, 40], A: [5, 40], B: [20, 90] }, 'counts');
    const log1p: Screen = {
      ...counts,
      kind: 'log1p',
      envs: counts.envs.map((e) => ({ ...e, values: normalizeLog1p(e.values, e.cells, 2) })),
    };
    const g = dataShiftGate(counts, ['A', 'B'], [0, 1]),
      h = dataShiftGate(log1p, ['A', 'B'], [0, 1]);
    g.shifts.forEach((t, q) => expect(Array.from(t!)).toEqual(Array.from(h.shifts[q]!)));
  });

  it('gates the response reading’s direct effects, not its total effects, and says so', () => {
    // states of a 3-gene linear chain 0 → 1 → 2, every gene perturbed (x*_j = −A⁻¹ c_j)
    const states = [
      Float64Array.from([0, 0, 0]),
      Float64Array.from([1, 0.5, 0.25]),
      Float64Array.from([0, 1, 0.5]),
      Float64Array.from([0, 0, 1]),
    ];
    const genes = [0, 1, 2],
      shifts = [Float64Array.from([20, 4, 0.5]), Float64Array.from([0.2, 20, 6]), Float64Array.from([0, 0, 20])];
    const gate = { t0: 1, shifts };
    const plain = responseReading(states, genes, 3, { effects: 'direct', lambda: 1e-3 });
    const gated = responseReading(states, genes, 3, { effects: 'direct', lambda: 1e-3, gate });
    expect(Array.from(gated.aCausal)).toEqual(Array.from(gateByShifts(plain.aCausal, genes, 3, gate)));
    expect(gated.gated).toEqual({ t0: 1, rows: 3 });
    expect(gated.aCausal[0 * 3 + 2]).toBeCloseTo(0.5 * plain.aCausal[0 * 3 + 2]!, 15); // 0 → 2: |t| 0.5
    expect(describeResponseReading(gated)).toMatch(
      /scaled by the data's evidence of the shift, min\(1, \|Welch t\| \/ 1\)/,
    );
    const total = responseReading(states, genes, 3, { effects: 'total', gate });
    expect(total.gated).toBeUndefined();
    expect(Array.from(total.aCausal)).toEqual(
      Array.from(responseReading(states, genes, 3, { effects: 'total' }).aCausal),
    );
  });
});
