// Train/test splits of a perturbation screen (spec §8, helpers_perturb.py::select_perturbations).
//   'fold': perturbations shuffled with the seed; every single in training; the doubles split into `nVal`
//           validation doubles and `nFolds` folds (numpy array_split sizes); fold f tests its doubles and trains on
//           the control, the singles, the validation doubles and the other folds. A test double is kept only if each
//           of its genes is targeted by some training perturbation ("seen2"); the others are reported as discarded.
//   'val':   tuning split: the validation doubles halved, one half tested, everything else trained on.
//   'seen2': train on the control, the singles and every double with a gene lacking a single; test every double
//            all of whose genes have a single (the real-data check of a small screen).
import type { Screen } from './dataset.ts';
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';

export type SplitSpec =
  { mode: 'fold'; fold: number; nFolds?: number; nVal?: number } | { mode: 'val'; nVal?: number } | { mode: 'seen2' };
export interface Split {
  mode: string;
  seed: number;
  train: string[];
  test: string[];
  discarded: string[];
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
  throw new Error(`unknown split '${s}'; use 'fold:<k>' (k = 0…9), 'val' or 'seen2'`);
}

export function splitScreen(s: Screen, spec: SplitSpec, seed: number): Split {
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
      throw new Error(
        `split '${spec.mode}': ${multi.length} combinations are too few for ${nVal} validation doubles and ${nFolds} folds; use --split seen2 or fewer --val-doubles`,
      );
    }
    const val = multi.slice(0, nVal).map((e) => e.name),
      rest = multi.slice(nVal).map((e) => e.name);
    if (spec.mode === 'fold') {
      if (!(spec.fold >= 0 && spec.fold < nFolds))
        throw new Error(`split: fold ${spec.fold} does not exist (folds 0…${nFolds - 1})`);
      const folds = arraySplit(rest, nFolds);
      test = folds[spec.fold]!;
      train = [ctrl, ...singles, ...val, ...folds.filter((_, f) => f !== spec.fold).flat()];
    } else {
      const half = Math.floor(val.length / 2);
      test = val.slice(half);
      train = [ctrl, ...singles, ...val.slice(0, half), ...rest];
    }
  }
  const byName = new Map(s.envs.map((e) => [e.name, e]));
  const covered = new Set(train.flatMap((n) => byName.get(n)!.targets));
  const discarded = test.filter((n) => !byName.get(n)!.targets.every((g) => covered.has(g)));
  return {
    mode: spec.mode === 'fold' ? `fold:${spec.fold}` : spec.mode,
    seed,
    train,
    test: test.filter((n) => !discarded.includes(n)),
    discarded,
  };
}

/** The screen restricted to the named environments (control first, in the given order otherwise). */
export function subScreen(s: Screen, names: readonly string[]): Screen {
  const byName = new Map(s.envs.map((e) => [e.name, e]));
  return {
    ...s,
    envs: names.map((n) => {
      const e = byName.get(n);
      if (!e) throw new Error(`environment '${n}' is not in the screen`);
      return e;
    }),
  };
}
