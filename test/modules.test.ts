// Gene modules and gene-set enrichment (src/stats/modules.ts, src/stats/gene-sets.ts) against scipy 1.10 reference
// values (test/fixtures/modules-scipy.json, written by scripts/modules-reference.py), plus properties: the planted
// modules of a block matrix are found, the optimal leaf order beats every order a brute force over the tree's flips
// finds, ARI's closed-form values, and the GMT reader's errors.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  causalDistances,
  averageLinkage,
  cutAt,
  orderCost,
  adjustedRandIndex,
  causalModules,
  correlationDistances,
  modulesOfDistances,
  placeNearest,
} from '../src/stats/modules.ts';
import { parseGmt, formatGmt, hypergeometricUpperTail, enrichModules } from '../src/stats/gene-sets.ts';
import { InputError } from '../src/core/errors.ts';
import { moduleTable } from '../src/report/module-views.ts';

const ref = JSON.parse(readFileSync(new URL('./fixtures/modules-scipy.json', import.meta.url), 'utf8')) as {
  a: number[][];
  distances: number[][];
  heights: number[];
  cophenetic: number[][];
  optimalOrder: number[];
  optimalCost: number;
  exhaustiveCost: number;
  exhaustiveOrder: number[];
  cutHeight: number;
  fcluster: number[];
  hypergeomSf: [number, number, number, number, number][];
};
const d = ref.a.length;
const flat = (m: number[][]) => Float64Array.from(m.flat());

/** Cophenetic distances of a tree: the height of the merge that first joins i and j. */
function cophenetic(t: ReturnType<typeof averageLinkage>, n: number): Float64Array {
  const members: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const c = new Float64Array(n * n);
  t.merges.forEach((m) => {
    const l = members[m.left]!,
      r = members[m.right]!;
    for (const i of l) for (const j of r) c[i * n + j] = c[j * n + i] = m.height;
    members.push([...l, ...r]);
  });
  return c;
}

describe('modules from a causal matrix (scipy reference)', () => {
  const D = causalDistances(flat(ref.a), d);
  const tree = averageLinkage(D, d);

  it('shortest-path distances equal scipy dijkstra on 1/(|A| + |A|ᵀ)', () => {
    const want = flat(ref.distances);
    for (let i = 0; i < d * d; i++) expect(D[i]).toBeCloseTo(want[i]!, 9);
  });

  it('average linkage: merge heights and cophenetic distances equal scipy linkage(method="average")', () => {
    const got = tree.merges.map((m) => m.height);
    ref.heights.forEach((h, i) => expect(got[i]).toBeCloseTo(h, 9));
    const c = cophenetic(tree, d),
      want = flat(ref.cophenetic);
    for (let i = 0; i < d * d; i++) expect(c[i]).toBeCloseTo(want[i]!, 9);
  });

  it('the optimal leaf order is the exhaustive optimum over the tree (which scipy 1.10 misses on this input)', () => {
    // scipy's optimal_leaf_ordering returned an order of cost 11.27 here; exhausting the 2^13 flips finds 10.43.
    expect(orderCost(tree.order, D, d)).toBeCloseTo(ref.exhaustiveCost, 9);
    expect(orderCost(tree.order, D, d)).toBeLessThanOrEqual(ref.optimalCost);
    expect(orderCost(ref.optimalOrder, D, d)).toBeCloseTo(ref.optimalCost, 9);
    expect([tree.order, [...tree.order].reverse()]).toContainEqual(ref.exhaustiveOrder);
    // Every order the tree allows costs at least as much: all 2^(n−1) flips of a smaller tree.
    const n = 9,
      D9 = causalDistances(flat(ref.a.slice(0, n).map((r) => r.slice(0, n))), n),
      t9 = averageLinkage(D9, n);
    let best = Infinity;
    for (let mask = 0; mask < 1 << t9.merges.length; mask++) {
      const walk = (id: number): number[] => {
        if (id < n) return [id];
        const m = t9.merges[id - n]!,
          a = walk(m.left),
          b = walk(m.right);
        return mask & (1 << (id - n)) ? [...b, ...a] : [...a, ...b];
      };
      best = Math.min(best, orderCost(walk(n + t9.merges.length - 1), D9, n));
    }
    expect(orderCost(t9.order, D9, n)).toBeCloseTo(best, 12);
  });

  it('cutting at a height gives the same partition as scipy fcluster(criterion="distance")', () => {
    const got = cutAt(tree, d, ref.cutHeight);
    expect(adjustedRandIndex(got, ref.fcluster)).toBe(1);
    // A minimum size turns small clusters into −1 and numbers modules in leaf order.
    const min3 = cutAt(tree, d, ref.cutHeight, 3);
    const sizes = new Map<number, number>();
    ref.fcluster.forEach((l) => sizes.set(l, (sizes.get(l) ?? 0) + 1));
    ref.fcluster.forEach((l, i) => expect(min3[i]! < 0).toBe(sizes.get(l)! < 3));
    const seen = tree.order.map((g) => min3[g]!).filter((l) => l >= 0);
    expect(seen.filter((l, i) => i === 0 || l !== seen[i - 1])).toEqual([...new Set(seen)].sort((x, y) => x - y));
  });

  it("places the genes the cut leaves out in the module nearest on mean distance, and marks them; 'none' leaves them out", () => {
    // Two tight blocks (0–3, 4–7) and a weak gene 8, far from everything but nearer block 2 on average; gene 9 is
    // nearer block 1 through one close member only (mean distance decides, not the single nearest gene).
    const n = 10,
      D = new Float64Array(n * n).fill(10);
    const set = (i: number, j: number, v: number) => ((D[i * n + j] = v), (D[j * n + i] = v));
    for (let i = 0; i < n; i++) D[i * n + i] = 0;
    for (const b of [0, 4]) for (let i = b; i < b + 4; i++) for (let j = i + 1; j < b + 4; j++) set(i, j, 1);
    for (let h = 0; h < 4; h++) (set(8, h, 9), set(8, h + 4, 7));
    set(9, 0, 2);
    for (let h = 1; h < 4; h++) set(9, h, 9);
    for (let h = 4; h < 8; h++) set(9, h, 6); // mean to block 1: (2 + 27) / 4 = 7.25; to block 2: 6
    const none = modulesOfDistances(D, n, { cutHeight: 1.5, minSize: 3, place: 'none' });
    expect(Array.from(none.labels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, -1, -1]);
    expect(Array.from(none.placed)).toEqual(Array(n).fill(0));
    const near = modulesOfDistances(D, n, { cutHeight: 1.5, minSize: 3 });
    expect(near.placement).toBe('nearest');
    expect(Array.from(near.labels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(near.placed)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    // A gene with no effect on anything (1/ε from every gene) ties between the modules and stays out.
    for (let h = 0; h < 8; h++) set(9, h, 1e10);
    const tied = modulesOfDistances(D, n, { cutHeight: 1.5, minSize: 3 });
    expect(tied.labels[8]).toBe(tied.labels[4]); // modules are numbered in leaf order, which the change may move
    expect(tied.labels[9]).toBe(-1);
    expect(tied.placed[9]).toBe(0);
    // the report says which genes joined after the cut and which a tie left out
    const table = moduleTable({
      genes: Array.from({ length: n }, (_, g) => `g${g}`),
      modules: tied,
      enrichment: [],
      collections: [],
      fdr: 0.05,
    });
    expect(table).toMatch(
      /1 of 10 genes fell outside the cut's modules .* \(in italics\); 1 equally near two modules stayed in none/,
    );
    expect(table).toContain('<i>g8</i>');
    // The tree's own members never move, and with no module at all nothing is placed.
    const p = placeNearest([-1, -1, -1], new Float64Array(9), 3);
    expect(Array.from(p.labels)).toEqual([-1, -1, -1]);
    expect(Array.from(p.placed)).toEqual([0, 0, 0]);
  });

  it('finds planted blocks: genes that share a strong regulator, weakly linked blocks, noise elsewhere', () => {
    // 3 blocks of 8 genes; in each, gene 0 of the block drives the others (effect 1 ± 0.2); blocks linked by one
    // 0.05 edge; every other entry noise of size 0.01.
    const n = 24,
      a = new Float64Array(n * n),
      truth = Array.from({ length: n }, (_, g) => Math.floor(g / 8));
    let s = 1;
    const u = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let i = 0; i < n * n; i++) a[i] = 0.01 * u();
    for (let b = 0; b < 3; b++) for (let g = 1; g < 8; g++) a[b * 8 * n + b * 8 + g] = 1 + 0.2 * u();
    a[0 * n + 8] = a[8 * n + 16] = 0.05;
    const m = causalModules(a, n);
    expect(m.cut).toBe('silhouette');
    expect(adjustedRandIndex(m.labels, truth)).toBe(1);
    // The same partition from response profiles that are block-constant.
    const prof = Float64Array.from(
      { length: 3 * n },
      (_, k) => (Math.floor(k / n) === Math.floor((k % n) / 8) ? 1 : 0) + 0.05 * u(),
    );
    expect(adjustedRandIndex(causalModules(a, n, { cutHeight: m.cutHeight }).labels, truth)).toBe(1);
    const D = correlationDistances(prof, 3, n);
    expect(D[0 * n + 1]).toBeLessThan(0.1);
    expect(D[0 * n + 9]).toBeGreaterThan(1);
  });

  it('adjusted Rand index: 1 for equal partitions up to renaming, 0 in expectation, negative below', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBe(1);
    // sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,1,0,1]) = -0.5
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    // sklearn: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424...
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.2424242424, 9);
  });
});

describe('gene-set enrichment (scipy.stats.hypergeom reference)', () => {
  it('the upper tail equals hypergeom.sf(k − 1, N, K, n), tiny p-values included', () => {
    for (const [k, N, K, n, p] of ref.hypergeomSf) expect(hypergeometricUpperTail(k, N, K, n) / p).toBeCloseTo(1, 9);
    expect(hypergeometricUpperTail(0, 100, 10, 20)).toBe(1);
  });

  it('enrichment: overlaps within the panel, BH per module, sorted by p', () => {
    const genes = Array.from({ length: 60 }, (_, g) => `G${g}`);
    const labels = genes.map((_, g) => (g < 15 ? 0 : g < 30 ? 1 : -1));
    const gmt = formatGmt({
      A: genes.slice(0, 15).concat(['NOT_IN_PANEL']),
      B: genes.slice(15, 20),
      tiny: ['G1', 'G2'],
    });
    const sets = parseGmt(gmt, 'planted.gmt');
    expect(sets[0]!.genes).toHaveLength(16);
    const rows = enrichModules(labels, genes, sets);
    expect(rows.map((r) => r.term)).toEqual(['A', 'B', 'B', 'A']); // 'tiny' has < 3 genes: not tested
    const a0 = rows[0]!;
    expect([a0.module, a0.overlap, a0.setSize, a0.universe]).toEqual([0, 15, 15, 60]);
    expect(a0.p / 1.8799081160634986e-14).toBeCloseTo(1, 9); // the fixture's (15, 60, 15, 15)
    expect(a0.fdr).toBeCloseTo(2 * a0.p, 20); // BH over the module's 2 tests
    expect(rows[1]!.p).toBe(1); // module 0 has no gene of B
  });

  it('names the file and line of a malformed GMT', () => {
    expect(() => parseGmt('SET_A\tdesc\tG1\nbroken line\n', 'sets.gmt')).toThrow(InputError);
    expect(() => parseGmt('SET_A\tdesc\tG1\nbroken line\n', 'sets.gmt')).toThrow(/sets\.gmt, line 2: not a GMT line/);
    expect(() => parseGmt('# only a comment\n', 'e.gmt')).toThrow(/no gene sets/);
  });
});
