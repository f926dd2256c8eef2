// Random causal graphs of the synthetic benchmarks (spec §7.1), as 0/1 adjacency matrices G[i, j] = edge i → j.
import type { Rng } from '../reference/rng.ts';

export type GraphKind = 'er' | 'sf' | 'sfo';

/** Erdős–Rényi with expected degree `degree`: p = min(degree·d/(d(d−1)), 0.99), i.i.d. over all pairs, no self-loops. */
export function erdosRenyi(d: number, degree: number, rng: Rng): Uint8Array {
  const p = Math.min((degree * d) / (d * (d - 1)), 0.99);
  const g = new Uint8Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j && rng.bernoulli(p)) g[i * d + j] = 1;
  return permute(g, d, rng);
}

/**
 * Barabási–Albert with `m` edges per new node and attachment ∝ in-degree + 1 (igraph's default zero appeal),
 * no multi-edges, new node → existing nodes; random vertex order; then a fraction pFlip of entries is replaced by
 * the transpose (M ← M(1−F) + MᵀF). Power-law in-degree ('sf'); its transpose gives hubs with many outgoing edges ('sfo').
 */
export function scaleFree(d: number, m: number, rng: Rng, pFlip = 0.1): Uint8Array {
  const g = new Uint8Array(d * d);
  const indeg = new Float64Array(d);
  for (let v = 1; v < d; v++) {
    const k = Math.min(m, v);
    const chosen = new Set<number>();
    while (chosen.size < k) {
      let total = 0;
      for (let u = 0; u < v; u++) if (!chosen.has(u)) total += indeg[u]! + 1;
      let r = rng.uniform() * total;
      for (let u = 0; u < v; u++) {
        if (chosen.has(u)) continue;
        r -= indeg[u]! + 1;
        if (r <= 0) {
          chosen.add(u);
          break;
        }
      }
    }
    for (const u of chosen) {
      g[v * d + u] = 1;
      indeg[u]!++;
    }
  }
  const flipped = new Uint8Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) flipped[i * d + j] = rng.bernoulli(pFlip) ? g[j * d + i]! : g[i * d + j]!;
  for (let i = 0; i < d; i++) flipped[i * d + i] = 0;
  return permute(flipped, d, rng);
}

export function makeGraph(kind: GraphKind, d: number, degree: number, rng: Rng): Uint8Array {
  if (kind === 'er') return erdosRenyi(d, degree, rng);
  const sf = scaleFree(d, degree, rng);
  if (kind === 'sf') return sf;
  const t = new Uint8Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[i * d + j] = sf[j * d + i]!;
  return t;
}

/** Pᵀ G P for a random permutation P. */
function permute(g: Uint8Array, d: number, rng: Rng): Uint8Array {
  const p = rng.permutation(d);
  const out = new Uint8Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = g[p[i]! * d + p[j]!]!;
  return out;
}
