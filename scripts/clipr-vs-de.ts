// CLIPR against differential expression on a simulated gene network (simulate --kind grn), read from a fitted run:
// on the block of perturbed regulators, OVO-AUROC and AUPRC against the true signed adjacency and Pearson against the
// true direct effects (truth.json), for
//   DE       the mean-shift matrix: shift of gene j when regulator i is perturbed (log1p CP10k, perturbed minus
//            control means), signed by the shift of i itself (a knock-down's effects count with flipped sign);
//   CLIPR    the trained LCD read at each requested drift level and anchor (fixed points computed once).
// Usage: npx tsx scripts/clipr-vs-de.ts <run dir> <truth.json> [level:anchor,...]   (default 19:origin,29:origin,19:control)
import { readFileSync } from 'node:fs';
import '../src/node/dawn.ts';
import { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD } from '../src/lcd/model.ts';
import { folderStore } from '../src/node/folder-store.ts';
import { envMean } from '../src/data/dataset.ts';
import { readRun, readRunData, runPaths } from '../src/jobs/run-folder.ts';
import { LcdDriftModel, type CliprAnchor } from '../src/clipr/drift-models.ts';
import { clipr } from '../src/clipr/clipr.ts';
import { cliprQueryGenes } from '../src/clipr/from-lcd.ts';
import { causalMetrics, pearson, offDiagonal } from '../src/metrics/causal.ts';
import { luFactor, luSolve } from '../src/reference/linalg.ts';

/**
 * Direct effects among the perturbed genes from their total effects, when each perturbation acts on its target's own
 * drift (A Δ = −diag(c) on the perturbed block, exact when the unperturbed genes feed nothing back): A = −diag(c) Δ⁻¹
 * with c fixed by A_jj = −1; returns a_causal = Aᵀ (k×k, row i = effects of gene i). Δ[i][j] = shift of gene j when
 * i is perturbed (row-major k×k).
 */
function directFromTotal(delta: Float64Array, k: number): Float64Array {
  // T[j][i] = shift of j under perturbing i (columns = perturbations), the Δ of A Δ = −C
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) T[j * k + i] = delta[i * k + j]!;
  const eye = new Float64Array(k * k);
  for (let i = 0; i < k; i++) eye[i * k + i] = 1;
  const inv = luSolve(luFactor(T, k), eye, k); // T⁻¹, row-major
  const out = new Float64Array(k * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < k; i++) out[i * k + j] = -inv[j * k + i]! / inv[j * k + j]!; // A[j][i] with A_jj = −1
  return out;
}

const [runDir, truthPath, readingsArg] = process.argv.slice(2);
if (!runDir || !truthPath) throw new Error('usage: clipr-vs-de.ts <run dir> <truth.json> [level:anchor,...]');
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  genes: string[];
  regulators: string[];
  adjacency: number[][];
  direct: number[][];
};
const run = readRun(runDir),
  screen = await readRunData(runDir, run),
  d = screen.genes.length;
const col = new Map(screen.genes.map((g, i) => [g, i]));
const regs = truth.regulators.filter((r) => col.has(r) && screen.envs.some((e) => e.name === r));
const k = regs.length;
const block = (f: (a: string, b: string) => number) =>
  Float64Array.from({ length: k * k }, (_, q) => f(regs[Math.floor(q / k)]!, regs[q % k]!));
const tIdx = new Map(truth.genes.map((g, i) => [g, i]));
const tReg = new Map(truth.regulators.map((g, i) => [g, i]));
const adjacency = block((a, b) => truth.adjacency[tReg.get(a)!]![tIdx.get(b)!]!);
const direct = block((a, b) => truth.direct[tReg.get(a)!]![tIdx.get(b)!]!);
const report = (name: string, m: Float64Array) => {
  const c = causalMetrics(adjacency, m, k);
  const r = pearson(offDiagonal(direct, k), offDiagonal(m, k));
  console.log(
    `${name.padEnd(26)} OVO-AUROC ${c.auroc.toFixed(3)}  AUPRC ${c.auprc.toFixed(3)}  Pearson vs direct ${r.toFixed(3)}`,
  );
};
console.log(
  `${k} perturbed regulators in the panel of ${d}; ${offDiagonal(adjacency, k).filter((v) => v !== 0).length} true edges among them`,
);
const ctrl = envMean(screen.envs[0]!, d);
const shift = new Map(
  regs.map((r) => [
    r,
    envMean(
      screen.envs.find((e) => e.name === r)!,
      d,
    ).map((v, g) => v - ctrl[g]!),
  ]),
);
report(
  'DE (signed mean shifts)',
  block((a, b) => shift.get(a)![col.get(b)!]! * Math.sign(shift.get(a)![col.get(a)!]!)),
);
report(
  'DE (raw mean shifts)',
  block((a, b) => shift.get(a)![col.get(b)!]!),
);
report(
  'direct from DE (Δ⁻¹)',
  directFromTotal(
    block((a, b) => shift.get(a)![col.get(b)!]!),
    k,
  ),
);

const e = await Engine.create();
try {
  const lcd = LCD.load(folderStore(runPaths(runDir).model), new WebGPUBackend(e));
  const { genes } = cliprQueryGenes(lcd as unknown as LCD);
  const base = new LcdDriftModel(lcd, 500);
  for (const item of (readingsArg ?? '19:origin,29:origin,19:control').split(',')) {
    const [level, anchor] = item.split(':');
    const res = await clipr(base.withDrift(Number(level), anchor as CliprAnchor), genes, { lambda: 1e-3 });
    const lg = new Map(lcd.genes.map((g, i) => [g, i]));
    report(
      `CLIPR level ${level}, ${anchor}`,
      block((a, b) => res.aCausal[lg.get(a)! * res.d + lg.get(b)!]!),
    );
    if (item === (readingsArg ?? '19:origin').split(',')[0]) {
      // the same fixed points read with diagonal interventions (no drift value used), and as LCD's own DE
      const fp = res.responses.fixedPoints,
        q = new Map(res.responses.genes.map((g, n) => [g, n + 1])); // fixedPoints[0] is the control
      const sh = (a: string, b: string) => fp[q.get(lg.get(a)!)!]![lg.get(b)!]! - fp[0]![lg.get(b)!]!;
      report("direct from LCD's Δ", directFromTotal(block(sh), k));
      report(
        "LCD's Δ signed (its DE)",
        block((a, b) => sh(a, b) * Math.sign(sh(a, a))),
      );
    }
  }
} finally {
  e.destroy();
}
