// Distance correlation (Székely, Rizzo & Bakirov 2007), the V-statistic form statsmodels' distance_correlation
// computes: with double-centred Euclidean distance matrices A, B of the n observations,
//   dCov²(X, Y) = mean(A ∘ B),  dCor(X, Y) = √(dCov²(X, Y) / √(dCov²(X, X) · dCov²(Y, Y)))   (0 if a variance is 0).
// Observations are rows of X [n × p] (p = 1 for a vector). Float64, O(n²) memory.

function centredDistances(x: ArrayLike<number>, n: number, p: number): Float64Array {
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) {
        const t = x[i * p + k]! - x[j * p + k]!;
        s += t * t;
      }
      D[i * n + j] = D[j * n + i] = Math.sqrt(s);
    }
  const row = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += D[i * n + j]!;
    row[i] = s / n;
    all += s;
  }
  all /= n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) D[i * n + j] = D[i * n + j]! - row[i]! - row[j]! + all;
  return D;
}

export function distanceCorrelation(x: ArrayLike<number>, px: number, y: ArrayLike<number>, py: number): number {
  const n = x.length / px;
  if (y.length / py !== n) throw new Error(`distanceCorrelation: ${n} vs ${y.length / py} observations`);
  const A = centredDistances(x, n, px),
    B = centredDistances(y, n, py);
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n * n; i++) {
    ab += A[i]! * B[i]!;
    aa += A[i]! * A[i]!;
    bb += B[i]! * B[i]!;
  }
  if (!(aa > 0 && bb > 0)) return 0;
  return Math.sqrt(Math.max(0, ab) / Math.sqrt(aa * bb));
}
