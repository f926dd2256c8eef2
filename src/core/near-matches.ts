// "Did you mean" for names a user typed (conditions in a split file, genes, labels): the closest candidates by edit
// distance, case-insensitive, within a distance that grows with the name's length.
import { distance } from 'fastest-levenshtein';

export function nearMatches(name: string, candidates: Iterable<string>, k = 3): string[] {
  const lower = name.toLowerCase(),
    limit = Math.max(2, Math.ceil(name.length / 3));
  return [...new Set(candidates)]
    .map((c) => [c, distance(lower, c.toLowerCase())] as const)
    .filter(([, dist]) => dist <= limit)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, k)
    .map(([c]) => c);
}

/** " (did you mean A or B?)" or "" when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const m = nearMatches(name, candidates);
  return m.length ? ` (did you mean ${m.map((x) => `'${x}'`).join(' or ')}?)` : '';
}
