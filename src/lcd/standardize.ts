// Standardisation z = (x − m)/σ_all: m the per-gene control mean, σ_all the per-gene std of all environments
// pooled (ddof 0; a zero std is replaced by 1). (reference: model.py::compute_elementwise_scaling, 'all-std')
import type { Screen } from '../data/dataset.ts';
import { envMean } from '../data/dataset.ts';

export interface Standardization { mean: Float64Array; scale: Float64Array }

export function fitStandardization(s: Screen): Standardization {
  const d = s.genes.length;
  const mean = envMean(s.envs[0]!, d);
  const sum = new Float64Array(d), sq = new Float64Array(d);
  let n = 0;
  for (const e of s.envs) {
    for (let i = 0; i < e.values.length; i++) { const v = e.values[i]!; sum[i % d]! += v; sq[i % d]! += v * v; }
    n += e.cells;
  }
  const scale = sum.map((sm, g) => { const v = sq[g]! / n - (sm / n) ** 2; return v > 1e-24 ? Math.sqrt(v) : 1; });
  return { mean, scale };
}

export function standardize(values: ArrayLike<number>, st: Standardization): Float32Array {
  const d = st.mean.length;
  return Float32Array.from(values, (v, i) => (v - st.mean[i % d]!) / st.scale[i % d]!);
}

export function unstandardize(values: ArrayLike<number>, st: Standardization): Float32Array {
  const d = st.mean.length;
  return Float32Array.from(values, (v, i) => v * st.scale[i % d]! + st.mean[i % d]!);
}
