// Gene modules from a causal matrix, Float64, engine-free (the analysis of the method's reference, written here from
// its description):
//   closeness    C = |A| + |A|ᵀ (an effect either way brings two genes together)
//   distance     shortest paths on the complete graph with edge lengths 1/(C_ij + ε) (ε = 1e-10), so two genes that
//                share a strong regulator are close even with no edge between them; symmetric since C is
//   tree         average linkage (UPGMA, ml-hclust's agnes), leaves in the optimal order (Bar-Joseph et al. 2001:
//                the order consistent with the tree that minimises the sum of distances between neighbours)
//   modules      the tree cut at a height (scipy's fcluster criterion 'distance': a cluster's cophenetic distances
//                ≤ the height); clusters smaller than a minimum size are no module (label −1); modules numbered
//                in leaf order
//   auto cut     the reference's height (0.175) depends on the scale of its matrices; without a height, the cut
//                maximises the mean silhouette over all genes (genes outside modules count 0), a scale-free choice
//   placement    a gene the cut leaves in no module (a weak responder: long distances to everything, so it joins
//                the tree late, or a cluster below the minimum size) joins the module it is nearest to on average
//                (the mean distance to the module's members), as the tree's own average linkage would measure it;
//                the second stage of dynamic tree cutting (Langfelder et al. 2008, its PAM stage). Each such gene is
//                marked, so it can be told from the tree's own members; 'none' leaves them out
// Shortest paths are Floyd–Warshall on the dense matrix (the graph is complete: a graph library would hold d² edge
// objects for the same O(d³) work).
import { agnes, type Cluster } from 'ml-hclust';

export const REFERENCE_CUT_HEIGHT = 0.175;
export const DEFAULT_MIN_MODULE_SIZE = 5;

/** The modules' distance between genes from a d×d causal matrix (row-major), d×d row-major. */
export function causalDistances(a: ArrayLike<number>, d: number, eps = 1e-10): Float64Array {
  const D = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      D[i * d + j] = i === j ? 0 : 1 / (Math.abs(a[i * d + j]!) + Math.abs(a[j * d + i]!) + eps);
  for (let k = 0; k < d; k++)
    for (let i = 0; i < d; i++) {
      const dik = D[i * d + k]!;
      for (let j = 0; j < d; j++) {
        const via = dik + D[k * d + j]!;
        if (via < D[i * d + j]!) D[i * d + j] = via;
      }
    }
  return D;
}

/** 1 − Pearson correlation between columns of a rows×cols matrix (each gene's response profile over the
 *  perturbations): the distance for clustering differential-expression responses; `absolute`: 1 − |r| (genes
 *  moved in opposite directions by the same perturbations count as close). Constant columns get distance 1. */
export function correlationDistances(m: ArrayLike<number>, rows: number, cols: number, absolute = false): Float64Array {
  const z = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += m[i * cols + j]! / rows;
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += (m[i * cols + j]! - mean) ** 2;
    const s = Math.sqrt(ss);
    for (let i = 0; i < rows; i++) z[i * cols + j] = s > 0 ? (m[i * cols + j]! - mean) / s : 0;
  }
  const D = new Float64Array(cols * cols);
  for (let a = 0; a < cols; a++)
    for (let b = a + 1; b < cols; b++) {
      let r = 0;
      for (let i = 0; i < rows; i++) r += z[i * cols + a]! * z[i * cols + b]!;
      D[a * cols + b] = D[b * cols + a] = 1 - (absolute ? Math.abs(r) : r);
    }
  return D;
}

/** A merge of the tree, as a row of scipy's linkage matrix: children (leaves 0..n−1, merge i is node n + i),
 *  height, size. Merges sorted by height. */
export interface Merge {
  left: number;
  right: number;
  height: number;
  size: number;
}

interface Node {
  id: number;
  height: number;
  leaves: number[];
  children: [Node, Node] | null;
}

function toNodes(root: Cluster, n: number): { root: Node; merges: Merge[] } {
  const internal: Node[] = [];
  const walk = (c: Cluster): Node => {
    if (c.isLeaf) return { id: c.index, height: 0, leaves: [c.index], children: null };
    const [a, b] = c.children.map(walk) as [Node, Node];
    const node: Node = { id: -1, height: c.height, leaves: [...a.leaves, ...b.leaves], children: [a, b] };
    internal.push(node);
    return node;
  };
  const top = n === 1 ? { id: 0, height: 0, leaves: [0], children: null } : walk(root);
  internal.sort((x, y) => x.height - y.height || x.leaves.length - y.leaves.length);
  internal.forEach((node, i) => (node.id = n + i));
  const merges = internal.map((node) => ({
    left: node.children![0].id,
    right: node.children![1].id,
    height: node.height,
    size: node.leaves.length,
  }));
  return { root: top, merges };
}

/** The leaf order of `root` that minimises Σ D(order[i], order[i+1]) among the orders the tree allows. */
function optimalLeafOrder(root: Node, D: Float64Array, n: number): number[] {
  if (!root.children) return [root.id];
  const M = new Float64Array(n * n); // M[u, y]: best cost of the subtree at LCA(u, y) ordered from u to y
  const childOf = (v: Node, leaf: number) => (v.children![0].leaves.includes(leaf) ? 0 : 1);
  const inner = (w: Node, u: number): number[] => (w.children ? w.children[1 - childOf(w, u)]!.leaves : [u]);
  const post = (v: Node): void => {
    if (!v.children) return;
    const [w, x] = v.children;
    post(w);
    post(x);
    // T[u, m] = min over the far ends k of w's orders from u: M(u, k) + D(k, m); then M(u, y) = min over m.
    const T = new Float64Array(w.leaves.length * x.leaves.length);
    w.leaves.forEach((u, iu) => {
      const ks = inner(w, u);
      x.leaves.forEach((m, im) => {
        let best = Infinity;
        for (const k of ks) best = Math.min(best, (k === u ? 0 : M[u * n + k]!) + D[k * n + m]!);
        T[iu * x.leaves.length + im] = best;
      });
    });
    const pos = new Map(x.leaves.map((m, i) => [m, i]));
    const innerOfY = x.leaves.map((y) => inner(x, y));
    w.leaves.forEach((u, iu) =>
      x.leaves.forEach((y, iy) => {
        let best = Infinity;
        for (const m of innerOfY[iy]!)
          best = Math.min(best, T[iu * x.leaves.length + pos.get(m)!]! + (m === y ? 0 : M[m * n + y]!));
        M[u * n + y] = M[y * n + u] = best;
      }),
    );
  };
  post(root);
  const order = (v: Node, u: number, y: number): number[] => {
    if (!v.children) return [u];
    let [w, x] = v.children;
    if (childOf(v, u) === 1) [w, x] = [x, w];
    let best = Infinity,
      bk = u,
      bm = y;
    for (const k of inner(w, u))
      for (const m of inner(x, y)) {
        const c = (k === u ? 0 : M[u * n + k]!) + D[k * n + m]! + (m === y ? 0 : M[m * n + y]!);
        if (c < best) [best, bk, bm] = [c, k, m];
      }
    return [...order(w, u, bk), ...order(x, bm, y)];
  };
  let best = Infinity,
    bu = 0,
    by = 0;
  for (const u of root.children[0].leaves)
    for (const y of root.children[1].leaves) if (M[u * n + y]! < best) [best, bu, by] = [M[u * n + y]!, u, y];
  return order(root, bu, by);
}

/** Σ of distances between neighbours of an order (what the optimal leaf order minimises). */
export function orderCost(order: readonly number[], D: ArrayLike<number>, n: number): number {
  let c = 0;
  for (let i = 1; i < order.length; i++) c += D[order[i - 1]! * n + order[i]!]!;
  return c;
}

export interface Dendrogram {
  /** Leaves left to right (the optimal leaf order). */
  order: number[];
  merges: Merge[];
}

/** Average-linkage tree of a symmetric n×n distance matrix, with its optimal leaf order. */
export function averageLinkage(D: Float64Array, n: number): Dendrogram {
  const rows = Array.from({ length: n }, (_, i) => Array.from(D.subarray(i * n, (i + 1) * n)));
  const { root, merges } = toNodes(agnes(rows, { method: 'average', isDistanceMatrix: true }), n);
  return { order: optimalLeafOrder(root, D, n), merges };
}

/** Flat clusters at a height (scipy fcluster, criterion 'distance'), numbered by first appearance in `order`;
 *  clusters smaller than minSize get −1. */
export function cutAt(t: Dendrogram, n: number, height: number, minSize = 1): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const rep = new Int32Array(n + t.merges.length);
  for (let i = 0; i < n; i++) rep[i] = i;
  t.merges.forEach((m, i) => {
    rep[n + i] = rep[m.left]!;
    if (m.height <= height) parent[find(rep[m.right]!)] = find(rep[m.left]!);
  });
  const size = new Map<number, number>();
  for (let i = 0; i < n; i++) size.set(find(i), (size.get(find(i)) ?? 0) + 1);
  const label = new Map<number, number>(),
    out = new Int32Array(n).fill(-1);
  for (const g of t.order) {
    const r = find(g);
    if (size.get(r)! < minSize) continue;
    if (!label.has(r)) label.set(r, label.size);
    out[g] = label.get(r)!;
  }
  return out;
}

/** Mean silhouette over all n points; points with label −1 count 0 (as sklearn counts singletons). */
export function meanSilhouette(labels: ArrayLike<number>, D: ArrayLike<number>, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const li = labels[i]!;
    if (li < 0) continue;
    const sum = new Map<number, [number, number]>();
    for (let j = 0; j < n; j++) {
      if (j === i || labels[j]! < 0) continue;
      const s = sum.get(labels[j]!) ?? [0, 0];
      s[0] += D[i * n + j]!;
      s[1]++;
      sum.set(labels[j]!, s);
    }
    const own = sum.get(li);
    if (!own) continue; // a module of one point: silhouette 0
    const a = own[0] / own[1];
    let b = Infinity;
    for (const [l, [s, c]] of sum) if (l !== li) b = Math.min(b, s / c);
    if (Number.isFinite(b)) total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

/** The cut height that maximises the mean silhouette of the modules (min size applied), over the midpoints
 *  between consecutive merge heights. */
export function silhouetteCut(t: Dendrogram, D: Float64Array, n: number, minSize: number): number {
  const hs = [...new Set(t.merges.map((m) => m.height))].sort((a, b) => a - b);
  let best = -Infinity,
    bestH = hs.length ? hs[hs.length - 1]! : 0;
  for (let i = 0; i + 1 < hs.length; i++) {
    const h = (hs[i]! + hs[i + 1]!) / 2,
      labels = cutAt(t, n, h, minSize);
    const k = new Set(labels).size - (labels.includes(-1) ? 1 : 0);
    if (k < 2) continue;
    const s = meanSilhouette(labels, D, n);
    if (s > best) [best, bestH] = [s, h];
  }
  return bestH;
}

/** Adjusted Rand index (Hubert & Arabie) of two labelings; label −1 counts as a cluster of its own per point. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const key = (l: number, i: number) => (l < 0 ? `s${i}` : `${l}`);
  const cont = new Map<string, number>(),
    ra = new Map<string, number>(),
    rb = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const x = key(a[i]!, i),
      y = key(b[i]!, i);
    cont.set(`${x}|${y}`, (cont.get(`${x}|${y}`) ?? 0) + 1);
    ra.set(x, (ra.get(x) ?? 0) + 1);
    rb.set(y, (rb.get(y) ?? 0) + 1);
  }
  const c2 = (v: number) => (v * (v - 1)) / 2;
  const sum = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + c2(v), 0);
  const index = sum(cont),
    sa = sum(ra),
    sb = sum(rb),
    expected = (sa * sb) / c2(n),
    max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

export interface Modules {
  /** Module of each gene (−1: in no module). */
  labels: Int32Array;
  /** 1 where the gene joined its nearest module after the cut (placement 'nearest'), 0 for the tree's members. */
  placed: Uint8Array;
  placement: Placement;
  dendrogram: Dendrogram;
  cutHeight: number;
  /** How the height was chosen. */
  cut: 'given' | 'silhouette';
  minSize: number;
  silhouette: number;
  distances: Float64Array;
}

/** What happens to the genes the cut leaves in no module: they join the nearest module, or stay in none. */
export type Placement = 'nearest' | 'none';
export const DEFAULT_PLACEMENT: Placement = 'nearest';

export interface ModuleOptions {
  /** Cut height; absent: the silhouette cut. */
  cutHeight?: number;
  minSize?: number;
  /** Genes outside the cut's modules (default 'nearest'). */
  place?: Placement;
}

/** Each gene labelled −1 joins the module whose members are nearest on average, unless two modules tie (then it
 *  stays out); the modules are the cut's (genes placed earlier do not move later ones). No module: nothing changes. */
export function placeNearest(
  labels: ArrayLike<number>,
  D: ArrayLike<number>,
  n: number,
): { labels: Int32Array; placed: Uint8Array } {
  const out = Int32Array.from(labels),
    placed = new Uint8Array(n);
  const k = Math.max(-1, ...Array.from(labels)) + 1;
  if (k === 0) return { labels: out, placed };
  const sum = new Float64Array(k),
    size = new Float64Array(k);
  for (let g = 0; g < n; g++) {
    if (labels[g]! >= 0) continue;
    sum.fill(0);
    size.fill(0);
    for (let h = 0; h < n; h++) {
      const l = labels[h]!;
      if (l < 0) continue;
      sum[l]! += D[g * n + h]!;
      size[l]! += 1;
    }
    let best = -1,
      bestMean = Infinity,
      tie = false;
    for (let l = 0; l < k; l++) {
      if (size[l] === 0) continue;
      const mean = sum[l]! / size[l]!;
      if (mean < bestMean) [best, bestMean, tie] = [l, mean, false];
      else if (mean === bestMean) tie = true;
    }
    // a gene equally far from two modules (one with no effect at all is 1/ε from every gene) says nothing: left out
    if (best < 0 || tie) continue;
    out[g] = best;
    placed[g] = 1;
  }
  return { labels: out, placed };
}

/** Modules of a gene×gene distance matrix. */
export function modulesOfDistances(D: Float64Array, n: number, o: ModuleOptions = {}): Modules {
  const minSize = o.minSize ?? DEFAULT_MIN_MODULE_SIZE;
  const dendrogram = averageLinkage(D, n);
  const cutHeight = o.cutHeight ?? silhouetteCut(dendrogram, D, n, minSize);
  const placement = o.place ?? DEFAULT_PLACEMENT,
    cut = cutAt(dendrogram, n, cutHeight, minSize);
  const { labels, placed } =
    placement === 'nearest' ? placeNearest(cut, D, n) : { labels: cut, placed: new Uint8Array(n) };
  return {
    labels,
    placed,
    placement,
    dendrogram,
    cutHeight,
    cut: o.cutHeight === undefined ? 'silhouette' : 'given',
    minSize,
    silhouette: meanSilhouette(labels, D, n),
    distances: D,
  };
}

/** Modules of a d×d causal matrix (row-major, a_causal[i][j] = effect of i on j). */
export function causalModules(a: ArrayLike<number>, d: number, o: ModuleOptions = {}): Modules {
  return modulesOfDistances(causalDistances(a, d), d, o);
}
