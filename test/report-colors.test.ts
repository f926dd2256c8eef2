// The report's and the app's charts: one colour per method whatever methods a chart holds, and a causal heatmap whose
// colour range is set by the off-diagonal effects rather than the −1 diagonal.
import { describe, it, expect } from 'vitest';
import { methodColorScale, heatmapRange } from '../src/report/plots.ts';

describe('chart scales', () => {
  it('a method keeps its colour across charts with different methods', () => {
    const colour = (methods: string[], m: string) => {
      const s = methodColorScale(methods);
      return s.range[s.domain.indexOf(m)];
    };
    expect(colour(['LCD', 'additive', 'control'], 'LCD')).toBe(colour(['control', 'LCD'], 'LCD'));
    expect(colour(['LCD', 'additive', 'control'], 'control')).toBe(colour(['control', 'LCD'], 'control'));
    expect(colour(['peper', 'additive'], 'additive')).toBe(colour(['additive'], 'additive'));
    // methods not listed get distinct spare colours, in name order
    const s = methodColorScale(['zeta', 'LCD', 'alpha']);
    expect(s.domain).toEqual(['LCD', 'alpha', 'zeta']);
    expect(new Set(s.range).size).toBe(3);
  });
  it('the heatmap range ignores the diagonal', () => {
    const rows = [
      { source: 'a', target: 'a', effect: -1 },
      { source: 'a', target: 'b', effect: 0.2 },
      { source: 'b', target: 'a', effect: -0.35 },
      { source: 'b', target: 'b', effect: -1 },
    ];
    expect(heatmapRange(rows)).toBe(0.35);
  });
});
