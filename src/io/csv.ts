// CSV text for every table this project writes (metrics, summaries, mean shifts, GI tables, causal matrices, edges,
// losses, benchmark tables), through csv-stringify: a field holding a comma, a quote or a line break (a gene named
// "G,1") is quoted as RFC 4180 says, so no row gains a column. Numbers are written as JavaScript prints them and
// booleans as true/false (csv-stringify's default would write 1 and an empty field). Tables read back (the report
// reads mean_shifts.csv) go through csv-parse, its sibling, so quoted fields round-trip. Both are imported from their
// browser ESM builds: the Node builds call the global Buffer, which a browser (the web app's worker) does not have.
import { stringify } from 'csv-stringify/browser/esm/sync';
import { parse } from 'csv-parse/browser/esm/sync';

export type CsvField = string | number | boolean | null | undefined;

/** A header row and data rows as CSV text, each row ending in a line break. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvField[])[]): string {
  return stringify([header as CsvField[], ...(rows as CsvField[][])], {
    cast: { boolean: (v: boolean) => String(v), number: (v: number) => String(v) },
  });
}

/** CSV text with a header row as records keyed by the header's names (every value a string). */
export function fromCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}
