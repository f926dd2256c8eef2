// Float64 dense linear algebra on row-major Float64Array matrices (n×n unless stated): the ground-truth side of
// the simulators and the f64 reference for GPU solves. Sizes here are ≤ a few thousand, so O(n³) is fine.

export type Mat = Float64Array;

export const eye = (n: number, s = 1): Mat => {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = s;
  return m;
};

/** C[m×p] = A[m×k] · B[k×p] (optionally Aᵀ, Bᵀ with the given storage shapes). */
export function matmul(a: Mat, b: Mat, m: number, k: number, p: number, transA = false, transB = false): Mat {
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++)
    for (let l = 0; l < k; l++) {
      const av = transA ? a[l * m + i]! : a[i * k + l]!;
      if (av === 0) continue;
      for (let j = 0; j < p; j++) c[i * p + j]! += av * (transB ? b[j * k + l]! : b[l * p + j]!);
    }
  return c;
}

export function transpose(a: Mat, m: number, n: number): Mat {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

export interface LU {
  lu: Mat;
  piv: Int32Array;
  n: number;
}

/** LU with partial pivoting, PA = LU. Throws on an exactly singular or non-finite matrix. */
export function luFactor(a: Mat, n: number): LU {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n).map((_, i) => i);
  for (let k = 0; k < n; k++) {
    let p = k,
      best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > 0) || !Number.isFinite(best))
      throw new Error(`LU: matrix is singular or not finite at column ${k} (pivot ${best})`);
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
      const t = piv[k]!;
      piv[k] = piv[p]!;
      piv[p] = t;
    }
    const d = lu[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k]! /= d);
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j]! -= f * lu[k * n + j]!;
    }
  }
  return { lu, piv, n };
}

/** Solve A X = B for X (B is n×m, row-major). */
export function luSolve({ lu, piv, n }: LU, b: Mat, m = 1): Mat {
  const x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) x[i * m + j] = b[piv[i]! * m + j]!;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < i; k++) {
      const f = lu[i * n + k]!;
      if (f !== 0) for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
    }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const f = lu[i * n + k]!;
      if (f !== 0) for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
    }
    const d = lu[i * n + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  return x;
}

export const solve = (a: Mat, b: Mat, n: number, m = 1): Mat => luSolve(luFactor(a, n), b, m);
export const inverse = (a: Mat, n: number): Mat => luSolve(luFactor(a, n), eye(n), n);

/** Cholesky A = L Lᵀ of a symmetric positive-definite matrix; L lower triangular. */
export function cholesky(a: Mat, n: number): Mat {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= l[j * n + k]! ** 2;
    if (!(s > 0)) throw new Error(`Cholesky: matrix is not positive definite (pivot ${s} at ${j})`);
    const d = Math.sqrt(s);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = t / d;
    }
  }
  return l;
}

/** Eigenvalues of a real (nonsymmetric) matrix: Hessenberg reduction by stabilised elimination, then the
 *  Francis double-shift QR iteration (EISPACK hqr). Returns real and imaginary parts. */
export function eigenvalues(a0: Mat, n: number): { re: Float64Array; im: Float64Array } {
  // 1-based working copy (the classical formulation), a[i][j] = A[(i-1)*n + (j-1)].
  const a: number[][] = Array.from({ length: n + 1 }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (i && j ? a0[(i - 1) * n + (j - 1)]! : 0)),
  );
  // Reduction to upper Hessenberg form.
  for (let m = 2; m < n; m++) {
    let x = 0,
      i = m;
    for (let j = m; j <= n; j++)
      if (Math.abs(a[j]![m - 1]!) > Math.abs(x)) {
        x = a[j]![m - 1]!;
        i = j;
      }
    if (i !== m) {
      for (let j = m - 1; j <= n; j++) {
        const t = a[i]![j]!;
        a[i]![j] = a[m]![j]!;
        a[m]![j] = t;
      }
      for (let j = 1; j <= n; j++) {
        const t = a[j]![i]!;
        a[j]![i] = a[j]![m]!;
        a[j]![m] = t;
      }
    }
    if (x !== 0)
      for (let i2 = m + 1; i2 <= n; i2++) {
        let y = a[i2]![m - 1]!;
        if (y !== 0) {
          y /= x;
          a[i2]![m - 1] = y;
          for (let j = m; j <= n; j++) a[i2]![j]! -= y * a[m]![j]!;
          for (let j = 1; j <= n; j++) a[j]![m]! += y * a[j]![i2]!;
        }
      }
  }
  for (let i = 1; i <= n; i++) for (let j = 1; j < i - 1; j++) a[i]![j] = 0;
  const wr = new Float64Array(n + 1),
    wi = new Float64Array(n + 1);
  const sign = (x: number, y: number) => (y >= 0 ? Math.abs(x) : -Math.abs(x));
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(a[i]![j]!);
  let nn = n,
    t = 0;
  let p = 0,
    q = 0,
    r = 0,
    s = 0,
    w = 0,
    x = 0,
    y = 0,
    z = 0;
  while (nn >= 1) {
    let its = 0,
      l: number;
    do {
      for (l = nn; l >= 2; l--) {
        s = Math.abs(a[l - 1]![l - 1]!) + Math.abs(a[l]![l]!);
        if (s === 0) s = anorm;
        if (Math.abs(a[l]![l - 1]!) + s === s) {
          a[l]![l - 1] = 0;
          break;
        }
      }
      x = a[nn]![nn]!;
      if (l === nn) {
        wr[nn] = x + t;
        wi[nn--] = 0;
      } else {
        y = a[nn - 1]![nn - 1]!;
        w = a[nn]![nn - 1]! * a[nn - 1]![nn]!;
        if (l === nn - 1) {
          p = 0.5 * (y - x);
          q = p * p + w;
          z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = -(wi[nn] = z);
          }
          nn -= 2;
        } else {
          if (its === 60) throw new Error('eigenvalues: QR iteration did not converge');
          if (its === 10 || its === 20) {
            // exceptional shifts
            t += x;
            for (let i = 1; i <= nn; i++) a[i]![i]! -= x;
            s = Math.abs(a[nn]![nn - 1]!) + Math.abs(a[nn - 1]![nn - 2]!);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          ++its;
          let m: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m]![m]!;
            r = x - z;
            s = y - z;
            p = (r * s - w) / a[m + 1]![m]! + a[m]![m + 1]!;
            q = a[m + 1]![m + 1]! - z - r - s;
            r = a[m + 2]![m + 1]!;
            s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m]![m - 1]!) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1]![m - 1]!) + Math.abs(z) + Math.abs(a[m + 1]![m + 1]!));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i]![i - 2] = 0;
            if (i !== m + 2) a[i]![i - 3] = 0;
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k]![k - 1]!;
              q = a[k + 1]![k - 1]!;
              r = 0;
              if (k !== nn - 1) r = a[k + 2]![k - 1]!;
              if ((x = Math.abs(p) + Math.abs(q) + Math.abs(r)) !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            if ((s = sign(Math.sqrt(p * p + q * q + r * r), p)) !== 0) {
              if (k === m) {
                if (l !== m) a[k]![k - 1] = -a[k]![k - 1]!;
              } else a[k]![k - 1] = -s * x;
              p += s;
              x = p / s;
              y = q / s;
              z = r / s;
              q /= p;
              r /= p;
              for (let j = k; j <= nn; j++) {
                p = a[k]![j]! + q * a[k + 1]![j]!;
                if (k !== nn - 1) {
                  p += r * a[k + 2]![j]!;
                  a[k + 2]![j]! -= p * z;
                }
                a[k + 1]![j]! -= p * y;
                a[k]![j]! -= p * x;
              }
              const mmin = nn < k + 3 ? nn : k + 3;
              for (let i = l; i <= mmin; i++) {
                p = x * a[i]![k]! + y * a[i]![k + 1]!;
                if (k !== nn - 1) {
                  p += z * a[i]![k + 2]!;
                  a[i]![k + 2]! -= p * r;
                }
                a[i]![k + 1]! -= p * q;
                a[i]![k]! -= p;
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: wr.slice(1), im: wi.slice(1) };
}

export const maxRealEig = (a: Mat, n: number): number => Math.max(...eigenvalues(a, n).re);

/**
 * Solve the continuous Lyapunov equation A S + S Aᵀ + Q = 0 for stable A (all Re λ < 0).
 * Cayley transform with p > 0: U = (A − pI)⁻¹(A + pI) maps the
 * open left half-plane into the unit disc, and S = Σ_k U^k V (Uᵀ)^k with V = 2p (A − pI)⁻¹ Q (A − pI)⁻ᵀ; the
 * squared Smith iteration S ← S + U S Uᵀ, U ← U² sums 2^k terms per step (quadratic convergence).
 */
export function lyapunov(a: Mat, q: Mat, n: number, { tol = 1e-14, maxIter = 100 } = {}): Mat {
  // p = geometric mean of |λ| bounds is a good shift; √(‖A‖₁‖A⁻¹‖₁)⁻¹-style estimates work, |diag| mean is adequate here.
  let p = 0;
  for (let i = 0; i < n; i++) p += Math.abs(a[i * n + i]!);
  p = Math.max(p / n, 1e-3);
  const amp = Float64Array.from(a),
    app = Float64Array.from(a);
  for (let i = 0; i < n; i++) {
    amp[i * n + i]! -= p;
    app[i * n + i]! += p;
  }
  const f = luFactor(amp, n);
  let u = luSolve(f, app, n);
  const x = luSolve(f, q, n); // (A − pI)⁻¹ Q
  let s = transpose(luSolve(f, transpose(x, n, n), n), n, n).map((v) => 2 * p * v); // 2p (A−pI)⁻¹ Q (A−pI)⁻ᵀ
  for (let it = 0; it < maxIter; it++) {
    const inc = matmul(matmul(u, s, n, n, n), u, n, n, n, false, true);
    let incNorm = 0,
      sNorm = 0;
    for (let i = 0; i < n * n; i++) {
      incNorm = Math.max(incNorm, Math.abs(inc[i]!));
      s[i]! += inc[i]!;
      sNorm = Math.max(sNorm, Math.abs(s[i]!));
    }
    if (incNorm <= tol * sNorm) break;
    u = matmul(u, u, n, n, n);
    if (it === maxIter - 1) throw new Error('lyapunov: Smith iteration did not converge (is A stable?)');
  }
  // Symmetrise the round-off.
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * (s[i * n + j]! + s[j * n + i]!);
      s[i * n + j] = m;
      s[j * n + i] = m;
    }
  return s;
}

/** Batched f64 references with the GPU kernels' conventions (info = 0 or failing column + 1). */
export function choleskyInfo(a: Mat, n: number): { L: Mat; info: number } {
  try {
    return { L: cholesky(a, n), info: 0 };
  } catch (e) {
    const m = /at (\d+)/.exec((e as Error).message);
    return { L: new Float64Array(n * n), info: m ? Number(m[1]) + 1 : 1 };
  }
}

/** Tikhonov-regularised pseudo-inverse applied from the right: M⁺ᵠ = Mᵀ(M Mᵀ + λI_d)⁻¹ (k×d) for M (d×k). */
export function tikhonovPinvDxD(M: Mat, d: number, k: number, lambda: number): Mat {
  const G = matmul(M, M, d, k, d, false, true);
  for (let i = 0; i < d; i++) G[i * d + i]! += lambda;
  // Mᵀ G⁻¹ = (G⁻¹ M)ᵀ since G is symmetric.
  return transpose(solve(G, M, d, k), d, k);
}

/** The same operator in its k×k form: (MᵀM + λI_k)⁻¹ Mᵀ (cheaper when k < d). */
export function tikhonovPinvKxK(M: Mat, d: number, k: number, lambda: number): Mat {
  const G = matmul(M, M, k, d, k, true, false);
  for (let i = 0; i < k; i++) G[i * k + i]! += lambda;
  return solve(G, transpose(M, d, k), k, d);
}
