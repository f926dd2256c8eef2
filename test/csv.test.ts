// CSV outputs through csv-stringify (src/io/csv.ts): a gene named "G,1" or 'say "hi"' stays one field, so every row
// keeps its columns; numbers print as JavaScript prints them, booleans as true/false.
import { describe, it, expect } from 'vitest';
import { toCsv, fromCsv } from '../src/io/csv.ts';
import { cliprFromPoints } from '../src/clipr/clipr.ts';
import { cliprOutputFiles } from '../src/clipr/export.ts';

/** RFC 4180 fields of one line (no line breaks inside fields here). */
const fields = (line: string): string[] => {
  const out: string[] = [];
  let cur = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') ((cur += '"'), i++);
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (out.push(cur), (cur = ''));
    else cur += ch;
  }
  return [...out, cur];
};

describe('CSV outputs', () => {
  it('quote fields with commas, quotes or line breaks; print numbers and booleans plainly', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['G,1', 1.5],
          ['say "hi"', true],
          ['x', NaN],
          ['y', null],
        ],
      ),
    ).toBe('a,b\n"G,1",1.5\n"say ""hi""",true\nx,NaN\ny,\n');
    expect(toCsv(['one'], [['two\nlines']])).toBe('one\n"two\nlines"\n');
  });
  it('round-trips through fromCsv (what the report reads back)', () => {
    const text = toCsv(
      ['perturbation', 'gene', 'observed'],
      [
        ['A+B', 'G,1', -0.25],
        ['C', 'say "hi"', 1e-7],
      ],
    );
    expect(fromCsv(text)).toEqual([
      { perturbation: 'A+B', gene: 'G,1', observed: '-0.25' },
      { perturbation: 'C', gene: 'say "hi"', observed: '1e-7' },
    ]);
  });
  it('causal_matrix.csv and edges.csv keep their columns for genes named with commas and quotes', () => {
    const genes = ['G,1', 'b"c', 'plain'],
      d = 3;
    const pts = [
      Float64Array.of(0, 0, 0),
      Float64Array.of(1, 0.5, 0.2),
      Float64Array.of(0.3, -1, 0.4),
      Float64Array.of(0.1, 0.2, 1),
    ];
    const files = cliprOutputFiles(cliprFromPoints(pts, [0, 1, 2], d, { effects: 'direct' }), genes, 0.01);
    const matrix = files['causal_matrix.csv']!.trimEnd().split('\n').map(fields);
    expect(matrix[0]).toEqual(['source \\ target', ...genes]);
    expect(matrix.slice(1).map((r) => r[0])).toEqual(genes);
    expect(matrix.every((r) => r.length === d + 1)).toBe(true);
    const edges = files['edges.csv']!.trimEnd().split('\n').map(fields);
    expect(edges[0]).toEqual(['source', 'target', 'effect', 'identified']);
    expect(edges.length).toBe(1 + d * (d - 1));
    expect(edges.slice(1).every((r) => r.length === 4 && genes.includes(r[0]!) && r[3] === 'true')).toBe(true);
  });
});
