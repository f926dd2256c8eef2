// Train/test splits of a perturbation screen (spec §8, helpers_perturb.py::select_perturbations).
//   'fold': perturbations shuffled with the seed; every single in training; the doubles split into `nVal`
//           validation doubles and `nFolds` folds (numpy array_split sizes); fold f tests its doubles and trains on
//           the control, the singles, the validation doubles and the other folds. A test double is kept only if each
//           of its genes is targeted by some training perturbation ("seen2"); the others are reported as discarded.
//   'val':   tuning split: the validation doubles halved, one half tested, everything else trained on.
//   'seen2': train on the control, the singles and every double with a gene lacking a single; test every double
//            all of whose genes have a single (the real-data check of a small screen).
//   'explicit': the user's lists, as GEARS and PerturBench ship them ({"train": [...], "test": [...], "val": [...]},
//            conditions named as in the data: 'A+B', 'A+ctrl', 'ctrl'); without a train list, everything not tested or
//            validated trains. Validation conditions are held out of training and recorded, not tested. The control
//            always trains, whichever list names it.
import type { Screen } from './dataset.ts';
import { CONTROL, envName, labelTargets } from './dataset.ts';
import { didYouMean } from '../core/near-matches.ts';
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { InputError } from '../core/errors.ts';

export interface ExplicitSplit {
  mode: 'explicit';
  /** Where the lists came from, for messages and run.json: a file path or '--test'. */
  source: string;
  test: string[];
  train?: string[];
  val?: string[];
  /** How the data label their control and combinations (the load options), to read the lists' names. */
  control?: string;
  separator?: string;
}
export type SplitSpec =
  | { mode: 'fold'; fold: number; nFolds?: number; nVal?: number }
  | { mode: 'val'; nVal?: number }
  | { mode: 'seen2' }
  | ExplicitSplit;
export interface Split {
  mode: string;
  seed: number;
  train: string[];
  test: string[];
  discarded: string[];
  /** Explicit splits: validation conditions (held out of training, not tested) and conditions in no list. */
  val?: string[];
  unused?: string[];
}

/** numpy.array_split sizes: the first n % k parts get one extra element. */
export function arraySplit<T>(xs: T[], k: number): T[][] {
  const base = Math.floor(xs.length / k),
    extra = xs.length % k,
    out: T[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push(xs.slice(at, at + n));
    at += n;
  }
  return out;
}

export function parseSplit(s: string): SplitSpec {
  if (s === 'seen2') return { mode: 'seen2' };
  if (s === 'val') return { mode: 'val' };
  const m = /^fold:(\d+)$/.exec(s);
  if (m) return { mode: 'fold', fold: Number(m[1]) };
  throw new InputError(`unknown split '${s}'; use 'fold:<k>' (k = 0…9), 'val' or 'seen2'`);
}

/** A split file's text → an explicit split: {"train": [...], "test": [...], "val": [...]} (train and val optional). */
export function parseSplitFile(text: string, source: string): ExplicitSplit {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `${source}: not valid JSON (${(e as Error).message}); expected {"train": [...], "test": [...]}`,
    );
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new InputError(`${source}: expected an object {"train": [...], "test": [...], "val": [...]}`);
  const o = j as Record<string, unknown>,
    known = ['train', 'test', 'val'];
  const extra = Object.keys(o).filter((k) => !known.includes(k));
  if (extra.length)
    throw new InputError(
      `${source}: unknown key(s) ${extra.map((k) => `'${k}'`).join(', ')}; the keys are train, test, val`,
    );
  const list = (k: string): string[] | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw new InputError(`${source}: '${k}' must be a list of condition names (strings)`);
    return v as string[];
  };
  const test = list('test');
  if (!test?.length) throw new InputError(`${source}: 'test' is missing or empty; list the conditions to hold out`);
  return { mode: 'explicit', source, test, train: list('train'), val: list('val') };
}

/** The environment name of a condition label as the data write it ('B+A', 'A+ctrl', 'ctrl' → 'A+B', 'A', 'ctrl'). */
export function conditionName(label: string, control = 'ctrl', separator = '+'): string {
  if (label === CONTROL) return CONTROL;
  return envName(labelTargets(label, control, separator).filter((t) => t !== CONTROL));
}

function explicitLists(
  s: Screen,
  spec: ExplicitSplit,
): { train: string[]; test: string[]; val: string[]; unused: string[] } {
  const names = new Set(s.envs.map((e) => e.name)),
    ctrl = s.envs[0]!.name;
  const resolve = (labels: readonly string[] | undefined, list: string): string[] => {
    const out: string[] = [],
      unknown: string[] = [];
    for (const l of labels ?? []) {
      const n = names.has(l) ? l : conditionName(l, spec.control, spec.separator);
      if (names.has(n)) out.push(n);
      else unknown.push(`'${l}'${didYouMean(n, names)}`);
    }
    if (unknown.length)
      throw new InputError(
        `${spec.source}: ${unknown.length} ${list} condition(s) are not in the data (after QC and target filtering): ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', …' : ''}; the data hold ${names.size} conditions such as ${[...names].slice(0, 6).join(', ')}`,
      );
    return [...new Set(out)].filter((n) => n !== ctrl);
  };
  const test = resolve(spec.test, 'test'),
    val = resolve(spec.val, 'val');
  const given = spec.train ? resolve(spec.train, 'train') : null;
  const seen = new Map<string, string>();
  for (const [list, xs] of [
    ['test', test],
    ['val', val],
    ['train', given ?? []],
  ] as const)
    for (const n of xs) {
      const other = seen.get(n);
      if (other)
        throw new InputError(
          `${spec.source}: '${n}' is listed in both ${other} and ${list}; a condition belongs to one list`,
        );
      seen.set(n, list);
    }
  const held = new Set([...test, ...val]);
  const train = [
    ctrl,
    ...(given ??
      s.envs
        .slice(1)
        .map((e) => e.name)
        .filter((n) => !held.has(n))),
  ];
  const used = new Set([...train, ...held]);
  if (test.length === 0)
    throw new InputError(`${spec.source}: the test list names only the control; list perturbations to hold out`);
  return { train, test, val, unused: s.envs.map((e) => e.name).filter((n) => !used.has(n)) };
}

export function splitScreen(s: Screen, spec: SplitSpec, seed: number): Split {
  if (spec.mode === 'explicit') {
    const l = explicitLists(s, spec);
    return {
      mode: `explicit:${spec.source}`,
      seed,
      ...withDiscarded(s, l.train, l.test),
      val: l.val,
      unused: l.unused,
    };
  }
  const perturbed = s.envs.slice(1);
  const order = new Rng(randomStream(seed, 'split.order')).permutation(perturbed.length).map((i) => perturbed[i]!);
  const singles = order.filter((e) => e.targets.length === 1).map((e) => e.name);
  const multi = order.filter((e) => e.targets.length > 1);
  const ctrl = s.envs[0]!.name;
  let train: string[], test: string[];
  if (spec.mode === 'seen2') {
    const single = new Set(perturbed.filter((e) => e.targets.length === 1).map((e) => e.targets[0]!));
    const isSeen = (t: string[]) => t.every((g) => single.has(g));
    test = multi.filter((e) => isSeen(e.targets)).map((e) => e.name);
    train = [ctrl, ...singles, ...multi.filter((e) => !isSeen(e.targets)).map((e) => e.name)];
  } else {
    const nVal = spec.nVal ?? 20,
      nFolds = spec.mode === 'fold' ? (spec.nFolds ?? 10) : 10;
    if (multi.length < nVal + nFolds) {
      throw new InputError(
        `split '${spec.mode}': ${multi.length} combinations are too few for ${nVal} validation doubles and ${nFolds} folds; use --split seen2 or fewer --val-doubles`,
      );
    }
    const val = multi.slice(0, nVal).map((e) => e.name),
      rest = multi.slice(nVal).map((e) => e.name);
    if (spec.mode === 'fold') {
      if (!(spec.fold >= 0 && spec.fold < nFolds))
        throw new InputError(`split: fold ${spec.fold} does not exist (folds 0…${nFolds - 1})`);
      const folds = arraySplit(rest, nFolds);
      test = folds[spec.fold]!;
      train = [ctrl, ...singles, ...val, ...folds.filter((_, f) => f !== spec.fold).flat()];
    } else {
      const half = Math.floor(val.length / 2);
      test = val.slice(half);
      train = [ctrl, ...singles, ...val.slice(0, half), ...rest];
    }
  }
  return { mode: spec.mode === 'fold' ? `fold:${spec.fold}` : spec.mode, seed, ...withDiscarded(s, train, test) };
}

/** A test combination is kept only if each of its genes is targeted by some training perturbation: LCD has no
 *  embedding for a gene it never saw perturbed. */
function withDiscarded(s: Screen, train: string[], test: string[]): Pick<Split, 'train' | 'test' | 'discarded'> {
  const byName = new Map(s.envs.map((e) => [e.name, e]));
  const covered = new Set(train.flatMap((n) => byName.get(n)!.targets));
  const discarded = test.filter((n) => !byName.get(n)!.targets.every((g) => covered.has(g)));
  return { train, test: test.filter((n) => !discarded.includes(n)), discarded };
}

/** The screen restricted to the named environments (control first, in the given order otherwise). */
export function subScreen(s: Screen, names: readonly string[]): Screen {
  const byName = new Map(s.envs.map((e) => [e.name, e]));
  return {
    ...s,
    envs: names.map((n) => {
      const e = byName.get(n);
      if (!e) throw new InputError(`environment '${n}' is not in the screen`);
      return e;
    }),
  };
}
