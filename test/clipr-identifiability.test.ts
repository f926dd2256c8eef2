// Which CLIPR entries the perturbations identify, and how every output says so: only effects between two perturbed
// panel genes (spec §6.3); none with fewer than two. The mask, the JSON, edges.csv's column and order are checked on
// a hand-made result.
import { describe, it, expect } from 'vitest';
import type { CliprResult } from '../src/clipr/clipr.ts';
import { cliprOutputFiles, identifiability, rankedEdges } from '../src/clipr/export.ts';

function result(d: number, perturbed: number[]): CliprResult {
  const aCausal = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? -1 : ((k * 7) % 11) / 10 - 0.5));
  return {
    d,
    genes: perturbed,
    A: aCausal,
    aCausal,
    b: new Float64Array(d),
    c: perturbed.map(() => new Float64Array(d)),
    meanShifts: perturbed.map(() => new Float64Array(d)),
    responses: {} as CliprResult['responses'],
    form: 'dxd',
  };
}
const genes = ['A', 'B', 'C', 'D'];

describe('CLIPR identifiability', () => {
  it('marks exactly the off-diagonal entries among perturbed genes', () => {
    const id = identifiability(result(4, [0, 2]), genes);
    expect(id.enough).toBe(true);
    expect(id.entries).toBe(2);
    expect(Array.from(id.mask)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]); // A→C and C→A
    expect(id.note).toMatch(/2 of 4 genes were perturbed: only the 2 entries among them are identified/);
    const one = identifiability(result(4, [1]), genes);
    expect(one.enough).toBe(false);
    expect(one.entries).toBe(0);
    expect(one.note).toMatch(/only 1 gene\(s\) of the panel were perturbed: CLIPR identifies no causal effect/);
    expect(identifiability(result(4, [0, 1, 2, 3]), genes).entries).toBe(12);
  });
  it('edges.csv and causal_matrix.json carry the marking; identified edges rank first', () => {
    const r = result(4, [0, 2]);
    const edges = rankedEdges(r, genes);
    expect(edges.slice(0, 2).every((e) => e.identified)).toBe(true);
    expect(edges.slice(2).every((e) => !e.identified)).toBe(true);
    expect(
      edges
        .slice(0, 2)
        .map((e) => `${e.source}→${e.target}`)
        .sort(),
    ).toEqual(['A→C', 'C→A']);
    const files = cliprOutputFiles(r, genes, 1e-3);
    expect(files['edges.csv']!.split('\n')[0]).toBe('source,target,effect,identified');
    expect(files['edges.csv']!.split('\n')[1]).toMatch(/,true$/);
    const j = JSON.parse(files['causal_matrix.json']!);
    expect(j.identified[0][2]).toBe(1);
    expect(j.identified[1][2]).toBe(0);
    expect(j.identifiability.identifiedEntries).toBe(2);
    expect(j.identifiability.perturbed).toEqual(['A', 'C']);
  });
});
