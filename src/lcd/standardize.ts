// Standardisation z = (x − m)/σ_all: m the per-gene control mean, σ_all the per-gene std of all environments
// pooled (ddof 0; a zero std is replaced by 1). (reference: model.py::compute_elementwise_scaling, 'all-std')
// `scaleFloor` > 0 bounds every σ from below (not in the reference, whose LCD sees continuous latent states): on sparse
// log1p data a gene that is non-zero in a handful of cells has a tiny σ, and those few cells land tens of units out in
// standardised space, where the score network cannot learn them and the sampler diverges.
import type { Screen } from '../data/dataset.ts';
import { envMean } from '../data/dataset.ts';

export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
  /** Genes constant over all training cells. Their standardised value is a point mass, whose score (−z/σ²) the
   *  network cannot match at small σ, so predictions set them to the constant instead of sampling them. */
  constant?: number[];
}

export function fitStandardization(s: Screen, scaleFloor = 0): Standardization {
  const d = s.genes.length;
  const mean = envMean(s.envs[0]!, d);
  const sum = new Float64Array(d),
    sq = new Float64Array(d);
  let n = 0;
  for (const e of s.envs) {
    for (let i = 0; i < e.values.length; i++) {
      const v = e.values[i]!;
      sum[i % d]! += v;
      sq[i % d]! += v * v;
    }
    n += e.cells;
  }
  const variance = sum.map((sm, g) => sq[g]! / n - (sm / n) ** 2);
  const scale = variance.map((v) => (v > 1e-24 ? Math.max(Math.sqrt(v), scaleFloor) : Math.max(1, scaleFloor)));
  const constant = Array.from(variance.keys()).filter((g) => !(variance[g]! > 1e-24));
  return { mean, scale, ...(constant.length ? { constant } : {}) };
}

export function standardize(values: ArrayLike<number>, st: Standardization): Float32Array {
  const d = st.mean.length;
  return Float32Array.from(values, (v, i) => (v - st.mean[i % d]!) / st.scale[i % d]!);
}

export function unstandardize(values: ArrayLike<number>, st: Standardization): Float32Array {
  const d = st.mean.length;
  const out = Float32Array.from(values, (v, i) => v * st.scale[i % d]! + st.mean[i % d]!);
  if (st.constant) for (let r = 0; r < out.length / d; r++) for (const g of st.constant) out[r * d + g] = st.mean[g]!;
  return out;
}
