// Which stage of a fitted gene-network run moves genes a perturbation does not reach (README, CLIPR, "Which stage
// leaks"): for every training single of a regulator, the response of each gene in units of its control standard
// deviation, and the median |response| / |the target's own response| over the genes with no total effect in the
// simulator's truth (`total` = 0) and over those with one (metrics/causal.ts responseLeak), in
//   data    the run's training cells (log1p CP10k of its counts)
//   prior   the measurement model's own latent states (its generator of each environment)
//   lcd     LCD's sampled latent states
// Usage: npx tsx scripts/clipr-leak.ts --run <run folder> --truth <truth.json> [--states 1000] [--seed 3]
import { parseArgs } from 'node:util';
import { openFittedRun } from './lib/fitted-run.ts';
import { readFileSync } from 'node:fs';
import { normalizeLog1p } from '../src/data/normalize.ts';
import { responseLeak } from '../src/metrics/causal.ts';
import { columnMeans } from '../src/metrics/expression.ts';

const { values: a } = parseArgs({
  options: {
    run: { type: 'string' },
    truth: { type: 'string' },
    states: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '3' },
  },
});
if (!a.run || !a.truth) throw new Error('usage: npx tsx scripts/clipr-leak.ts --run <run folder> --truth <truth.json>');
const truth = JSON.parse(readFileSync(a.truth, 'utf8')) as { genes: string[]; regulators: string[]; total: number[][] };
const n = Number(a.states),
  seed = Number(a.seed);
const { genes, d, data, prior, lcd } = await openFittedRun(a.run, 'clipr-leak');
const ctrl = data.envs[0]!;
const singles = data.envs.filter((e) => e.targets.length === 1 && truth.regulators.includes(e.targets[0]!));
const col = new Map(truth.genes.map((g, i) => [g, i]));

/** Per-gene mean and standard deviation of n cells. */
function moments(x: ArrayLike<number>, cells: number) {
  const m = columnMeans({ values: x, n: cells }, d),
    v = new Float64Array(d);
  for (let c = 0; c < cells; c++) for (let g = 0; g < d; g++) v[g]! += (x[c * d + g]! - m[g]!) ** 2 / (cells - 1);
  return { m, sd: v.map(Math.sqrt) };
}
type Env = (typeof data.envs)[number];
const representations: Record<string, (env: Env) => Promise<ArrayLike<number>>> = {
  data: async (env) => (data.kind === 'counts' ? normalizeLog1p(env.values, env.cells, d) : env.values),
  prior: (env) => prior.states(env.name, n),
  lcd: async (env) => (await lcd.sampleMany([env.targets], n, { seed }))[0]!,
};
for (const [name, cells] of Object.entries(representations)) {
  const count = (env: Env) => (name === 'data' ? env.cells : n);
  const c = moments(await cells(ctrl), count(ctrl));
  const responses = [];
  for (const env of singles) {
    const m = moments(await cells(env), count(env)).m;
    responses.push({ target: genes.indexOf(env.targets[0]!), delta: m.map((v, g) => (v - c.m[g]!) / c.sd[g]!) });
  }
  const r = responseLeak(responses, (p, g) => {
    const reg = truth.regulators.indexOf(singles[p]!.targets[0]!);
    return truth.total[reg]![col.get(genes[g]!)!] !== 0;
  });
  console.log(
    `${name.padEnd(5)} ${singles.length} singles: median |response| / |own| ${r.unreached.toFixed(3)} on ${r.nUnreached} unreached genes, ${r.reached.toFixed(3)} on ${r.nReached} reached`,
  );
}
process.exit(0);
