// The directed gene-network simulator (src/sim/grn.ts): its analytic Jacobian against finite differences, steady
// states with zero drift, a DAG with chains and feed-forward loops, a chain whose total effect (mean shift) differs
// from its direct effect (zero), cells around the steady state, and the counts' first moment against its closed form.
import { describe, it, expect } from 'vitest';
import { factors, grnDrift, grnJacobian, grnScreen, sampleGrn, steadyState, GRN_DEFAULTS } from '../src/sim/grn.ts';

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
