// Value domains and gene names at the door (screen-from-anndata.ts): log1p values are never negative, so a negative
// value is refused with the cell, the gene and the flag to pass, whether the kind was declared or detected; a gene
// name used twice is refused, since targets could not be matched to one column.
import { describe, it, expect } from 'vitest';
import type { AnnData } from '../src/data/h5ad.ts';
import { detectValueKind, screenFromAnnData } from '../src/data/screen-from-anndata.ts';

const ad = (X: number[], varNames = ['a', 'b'], meta: Record<string, string> = {}): AnnData => ({
  path: 'f.h5ad',
  nObs: X.length / varNames.length,
  nVars: varNames.length,
  X: Float32Array.from(X),
  obsNames: Array.from({ length: X.length / varNames.length }, (_, i) => `c${i}`),
  varNames,
  obs: { condition: Array.from({ length: X.length / varNames.length }, (_, i) => (i % 2 ? 'a' : 'ctrl')) },
  layer: 'X',
  meta,
});

describe('value domains', () => {
  it('detects counts, log1p and recorded kinds as before', () => {
    expect(detectValueKind(ad([0, 3, 1, 2]))).toBe('counts');
    expect(detectValueKind(ad([0, 0.5, 1.2, 2]))).toBe('log1p');
    expect(detectValueKind(ad([-1.5, 0.5, 1.2, 2], ['a', 'b'], { values: 'latent' }))).toBe('latent');
    expect(detectValueKind(ad([-1.5, 0.5, 1.2, 2]), 'latent')).toBe('latent');
  });
  it('refuses negative values where log1p is detected or declared, naming the cell, the gene and the flag', () => {
    // a count file with one negative value: not silently read as log1p
    expect(() => detectValueKind(ad([0, 3, 1, -2]))).toThrow(
      /f\.h5ad: X has negative values \(cell 'c1', gene 'b' holds -2\), so it is neither counts nor log1p; every other value is an integer.*damaged.*--values latent/,
    );
    expect(() => detectValueKind(ad([0, 0.5, -1.2, 2]))).toThrow(/neither counts nor log1p; if it holds centred/);
    expect(() => detectValueKind(ad([0, 0.5, -1.2, 2]), 'log1p')).toThrow(
      /--values log1p, but cell 'c1', gene 'a' holds -1\.2.*never negative.*--values latent/,
    );
  });
  it('refuses a gene name used for two columns', () => {
    expect(() => screenFromAnnData(ad([0, 1, 2, 3, 4, 5], ['a', 'b', 'a']))).toThrow(
      /gene 'a' names two columns of var \(0 and 2\).*var_names_make_unique/,
    );
  });
});
