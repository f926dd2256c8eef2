// The directed gene-network simulator (src/sim/grn.ts): its analytic Jacobian against finite differences, steady
// states with zero drift, a DAG with chains and feed-forward loops, a chain whose total effect (mean shift) differs
// from its direct effect (zero), cells around the steady state, and the counts' first moment against its closed form;
// the planted-module family's wiring and gene sets.
import { describe, it, expect } from 'vitest';
import {
  factors,
  grnDrift,
  grnJacobian,
  grnScreen,
  sampleGrn,
  steadyState,
  GRN_DEFAULTS,
  CASCADE_DEFAULTS,
  MODULES_DEFAULTS,
  plantedModule,
} from '../src/sim/grn.ts';
import { indirectPairs } from '../src/metrics/causal.ts';

const o = { ...GRN_DEFAULTS, d: 30, regulators: 10, doubles: 6, cells: 120, seed: 3 };

describe('gene-network simulator', () => {
  const net = sampleGrn(o);
  it('is a DAG with chains and feed-forward loops among the regulators', () => {
    expect(net.edges.every((e) => e.source < e.target && e.source < net.regulators)).toBe(true);
    expect(net.chains.length).toBeGreaterThan(0);
    expect(net.ffls.length).toBeGreaterThan(0);
    for (const [a, b, c] of net.ffls) {
      const has = (s: number, t: number) => net.edges.some((e) => e.source === s && e.target === t);
      expect(has(a!, b!) && has(b!, c!) && has(a!, c!)).toBe(true);
    }
  });
  it('steady states have zero drift; the Jacobian matches central differences', () => {
    for (const targets of [[], [0], [1, 4]]) {
      const m = factors(net, targets, o),
        x = steadyState(net, m);
      expect(Math.max(...grnDrift(net, x, m).map(Math.abs))).toBeLessThan(1e-12);
      const J = grnJacobian(net, x, m),
        d = net.d,
        h = 1e-6;
      let worst = 0;
      for (let r = 0; r < d; r++) {
        const up = Float64Array.from(x),
          dn = Float64Array.from(x);
        up[r]! += h;
        dn[r]! -= h;
        const fu = grnDrift(net, up, m),
          fd = grnDrift(net, dn, m);
        for (let g = 0; g < d; g++) worst = Math.max(worst, Math.abs((fu[g]! - fd[g]!) / (2 * h) - J[g * d + r]!));
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });
  it('a chain: perturbing its head moves its tail (total effect) with no direct edge (direct effect 0)', () => {
    const has = (s: number, t: number) => net.edges.some((e) => e.source === s && e.target === t);
    const chain = net.chains.find(([a, , c]) => !has(a!, c!))!;
    expect(chain).toBeDefined();
    const [a, , c] = chain as [number, number, number];
    const ones = new Float64Array(net.d).fill(1);
    const xc = steadyState(net, ones),
      xp = steadyState(net, factors(net, [a], o));
    expect(Math.abs(xp[c]! - xc[c]!)).toBeGreaterThan(1e-3 * xc[c]!);
    expect(grnJacobian(net, xc, ones)[c * net.d + a]).toBe(0);
  });
  it('cells scatter around the steady state; counts follow scale · x · library with expression-dependent dropout', () => {
    const r = grnScreen(o);
    expect(r.screen.kind).toBe('counts');
    expect(r.screen.envs.length).toBe(1 + 10 + 6);
    expect(r.truth.adjacency.length).toBe(10);
    const d = o.d,
      ctrl = r.latent.envs[0]!,
      counts = r.screen.envs[0]!,
      xs = steadyState(r.net, new Float64Array(d).fill(1));
    const cm = o.counts!,
      rel: number[] = [];
    for (let g = 0; g < d; g++) {
      let mx = 0,
        expected = 0,
        mc = 0;
      for (let c = 0; c < ctrl.cells; c++) {
        const x = ctrl.values[c * d + g]!;
        mx += x / ctrl.cells;
        const drop = 1 / (1 + Math.exp(cm.dropoutSlope * (Math.log(Math.max(x, 1e-9)) - Math.log(cm.dropoutMid))));
        expected += (cm.scale * x * cm.librarySize * (1 - drop)) / ctrl.cells;
        mc += counts.values[c * d + g]! / ctrl.cells;
      }
      rel.push(Math.abs(mx - xs[g]!) / xs[g]!);
      // E[count | x] = scale · x · E[L] · (1 − drop(x)); the sample mean of 120 cells within 5 standard errors
      let v = 0;
      for (let c = 0; c < ctrl.cells; c++) v += (counts.values[c * d + g]! - mc) ** 2 / (ctrl.cells - 1);
      expect(Math.abs(mc - expected)).toBeLessThan(5 * Math.sqrt(Math.max(v, expected) / ctrl.cells) + 1e-9);
    }
    // the stationary means of the nonlinear SDE sit near the deterministic steady states (noise and the reflection
    // at 0 move them a little: Jensen's inequality on the Hill curves)
    rel.sort((a, b) => a - b);
    expect(rel[rel.length >> 1]).toBeLessThan(0.1);
    // the largest deviations are genes repressed close to 0, where the reflection lifts the mean
    expect(rel.filter((x) => x > 0.3).length).toBeLessThanOrEqual(3);
    // direct effects are the Jacobian's regulator columns; every nonzero adjacency entry has a nonzero effect
    for (let rr = 0; rr < 10; rr++)
      for (let g = 0; g < d; g++)
        if (r.truth.adjacency[rr]![g] !== 0) {
          expect(Math.sign(r.truth.direct[rr]![g]!)).toBe(r.truth.adjacency[rr]![g]);
        }
  });
});

describe('the cascade family (layered CRISPRi networks)', () => {
  const co = { ...CASCADE_DEFAULTS, doubles: 4, cells: 150, seed: 2 };
  const r = grnScreen(co);
  const net = r.net,
    d = net.d,
    R = net.regulators;
  it('regulators in layers: chains through every layer, feed-forward loops, parents only in the layer above', () => {
    const layerOf = (g: number) => Math.floor((g * co.layers!) / R);
    for (const e of net.edges.filter((e) => e.target < R)) {
      expect(layerOf(e.target) - layerOf(e.source)).toBeGreaterThanOrEqual(1);
      expect(layerOf(e.target) - layerOf(e.source)).toBeLessThanOrEqual(2); // 2 only for a loop's shortcut
    }
    // every regulator below the first layer has a parent in the layer right above it: chains of `layers` genes
    for (let b = 0; b < R; b++)
      if (layerOf(b) > 0)
        expect(net.edges.some((e) => e.target === b && layerOf(e.source) === layerOf(b) - 1)).toBe(true);
    expect(net.ffls.length).toBeGreaterThan(0);
    // many more indirect pairs than in the default family's screen of the same seed
    const adj = (n: typeof net) => {
      const a = new Float64Array(n.d * n.d);
      for (const e of n.edges) if (e.source < n.regulators && e.target < n.regulators) a[e.source * n.d + e.target] = 1;
      return a;
    };
    const count = (n: typeof net) => indirectPairs(adj(n), n.d).reduce((s, v) => s + v, 0);
    expect(count(net)).toBeGreaterThan(2 * count(sampleGrn({ ...GRN_DEFAULTS, seed: 2 })));
  });
  it('truth.total is the steady-state response to the nominal knock-down; a chain tail moves with no direct edge', () => {
    const ones = new Float64Array(d).fill(1),
      xc = steadyState(net, ones);
    const nominal = 1 - co.efficiency!.mean * (1 - co.knockDown);
    for (const reg of [0, 5, R - 1]) {
      const m = Float64Array.from(ones);
      m[reg] = nominal;
      const xr = steadyState(net, m);
      for (let g = 0; g < d; g++) expect(r.truth.total[reg]![g]).toBeCloseTo(xr[g]! - xc[g]!, 12);
    }
    const adj = new Float64Array(d * d);
    r.truth.adjacency.forEach((row, s) => row.forEach((v, t) => (adj[s * d + t] = v)));
    const ind = indirectPairs(adj, d);
    let moved = 0,
      pairs = 0;
    for (let s = 0; s < R; s++)
      for (let t = 0; t < R; t++)
        if (ind[s * d + t]) {
          pairs++;
          expect(r.truth.direct[s]![t]).toBe(0);
          if (Math.abs(r.truth.total[s]![t]!) > 1e-3 * xc[t]!) moved++;
        }
    expect(pairs).toBeGreaterThan(20);
    expect(moved / pairs).toBeGreaterThan(0.8); // total ≠ direct on most indirect pairs
  });
  it('knock-downs only (CRISPRi), each cell at its own efficiency: the target varies more than in the control', () => {
    expect(Object.values(r.truth.direction).every((v) => v === 'down')).toBe(true);
    const target = 3,
      env = r.latent.envs.find((e) => e.targets.length === 1 && e.targets[0] === `R${target}`)!;
    const ctrl = r.latent.envs[0]!;
    const cv = (e: typeof env) => {
      const xs = Array.from({ length: e.cells }, (_, c) => e.values[c * d + target]!);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) / m;
    };
    expect(cv(env)).toBeGreaterThan(1.2 * cv(ctrl));
  });
  it('counts are overdispersed (negative binomial): variance above the Poisson mixture of the same cells', () => {
    const small = { ...co, d: 30, cells: 100, doubles: 0 };
    const nb = grnScreen(small),
      pois = grnScreen({ ...small, counts: { ...co.counts!, nbSize: undefined } });
    // the same latent cells measured twice: with the gamma mixing the counts' variance grows by ≈ μ²/θ
    const v = (e: { values: Float32Array; cells: number }) => {
      let s = 0;
      for (let g = 0; g < small.d; g++) {
        const xs = Array.from({ length: e.cells }, (_, c) => e.values[c * small.d + g]!);
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        s += xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
      }
      return s;
    };
    expect(pois.latent.envs[0]!.values).toEqual(nb.latent.envs[0]!.values);
    expect(v(nb.screen.envs[0]!)).toBeGreaterThan(1.3 * v(pois.screen.envs[0]!));
  });
});

describe('the planted-module family', () => {
  const mo = { ...MODULES_DEFAULTS, seed: 1 };
  const net = sampleGrn(mo),
    R = mo.regulators,
    K = mo.modules!;
  it("every gene is regulated by its own module's regulators only, all of them; modules linked by one weak edge each", () => {
    for (let g = R; g < mo.d; g++) {
      const parents = net.edges.filter((e) => e.target === g).map((e) => e.source);
      const own = Array.from({ length: R }, (_, r) => r).filter(
        (r) => plantedModule(r, R, K) === plantedModule(g, R, K),
      );
      expect(parents.sort((a, b) => a - b)).toEqual(own);
    }
    const cross = net.edges.filter((e) => plantedModule(e.source, R, K) !== plantedModule(e.target, R, K));
    expect(cross).toHaveLength(K - 1);
    for (const e of cross) {
      expect(e.sign).toBe(1);
      expect(e.k).toBeLessThan(0.5);
      expect(plantedModule(e.target, R, K)).toBe(plantedModule(e.source, R, K) + 1);
    }
  });
  it('the truth names the modules and their gene sets; other families are unchanged by the option', () => {
    const r = grnScreen({ ...mo, cells: 5, doubles: 2, counts: null });
    expect(r.truth.modules).toHaveLength(mo.d);
    const sets = r.truth.geneSets!;
    expect(Object.keys(sets)).toHaveLength(K);
    r.truth.genes.forEach((g, i) => expect(sets[`MODULE_${r.truth.modules![i]}`]).toContain(g));
    expect(grnScreen({ ...GRN_DEFAULTS, d: 20, regulators: 6, cells: 3, doubles: 1 }).truth.modules).toBeUndefined();
  });
});
