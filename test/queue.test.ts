// The job queue on a real Redis (Debian's redis-server on a free port; no mock of Redis or BullMQ), through the
// installed CLI: a benchmark queued for two workers writes byte for byte the files of the same benchmark run locally;
// a worker killed outright in the middle of a fit loses its job to another worker, which resumes it from the
// checkpoint, and the files are still the same; bad input fails once, named, not retried; a job of another package
// version is refused; Redis stopped and started again in the middle of a run does not end it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { requireGpu } from './helpers/gpu.ts';
import { REDIS_SERVER, requireRedis, startRedis, type TestRedis } from './helpers/redis.ts';
import { queueConnection, redactedUrl } from '../src/jobs/queue/connection.ts';
import {
  decodePayload,
  encodePayload,
  outsideStore,
  PROTOCOL,
  QUEUE_NAME,
  readPredictBatch,
  readPriorEnvironment,
  readEvaluateChunk,
  readLinearFit,
  readNetworkFit,
  type Envelope,
} from '../src/jobs/queue/protocol.ts';
import { PACKAGE_VERSION } from '../src/node/package-version.ts';
import { NORMAN_QC, NO_QC } from '../src/data/qc.ts';

const BIN = resolve('bin/lcd-webgpu.mjs');
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
const haveGpu = requireGpu || existsSync('/usr/share/vulkan/icd.d');

/** The CLI in `cwd`, waited for. */
const cli = (cwd: string, args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let out = '',
      err = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (err += b));
    p.on('exit', (code) => done({ code, out, err }));
  });

interface RunningWorker {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}
/** A worker in its own process group (so a SIGKILL reaches the launcher and the work alike). */
const startWorker = (url: string, ...extra: string[]): RunningWorker => {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, ...extra], { env, detached: true });
  let log = '';
  proc.stdout!.on('data', (b: Buffer) => (log += b));
  proc.stderr!.on('data', (b: Buffer) => (log += b));
  return { proc, log: () => log, exited: new Promise((r) => proc.on('exit', r)) };
};
const stopWorker = async (w: RunningWorker, signal: NodeJS.Signals = 'SIGTERM') => {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  try {
    process.kill(-w.proc.pid!, signal);
  } catch {
    /* already gone */
  }
  await w.exited;
};

/** Every file under `dir`, as relative path → bytes. */
const tree = (dir: string): Map<string, Buffer> => {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
};
const expectSameTree = (a: string, b: string) => {
  const ta = tree(a),
    tb = tree(b);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  const differ = [...ta].filter(([k, v]) => !v.equals(tb.get(k)!)).map(([k]) => k);
  expect(differ).toEqual([]);
  return ta.size;
};
const waitFor = async (what: string, ok: () => boolean, ms = 120_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const BENCH = (folds: string, steps: number, ...extra: string[]) => [
  'benchmark',
  '--data',
  '../sim/screen.h5ad',
  '--out',
  'bench',
  '--folds',
  folds,
  '--n-folds',
  '4',
  '--seeds',
  '0',
  '--steps',
  String(steps),
  '--hidden',
  '32',
  '--steps-per-level',
  '8',
  '--cells',
  '40',
  '--baselines',
  'control,additive',
  '--quiet',
  ...extra,
];

describe('queue URLs', () => {
  it('reads redis://[user:password@]host:port[/db] and refuses anything else, naming the form', () => {
    expect(queueConnection('redis://127.0.0.1:6390')).toMatchObject({ host: '127.0.0.1', port: 6390 });
    expect(queueConnection('redis://u:p%40ss@h/3')).toMatchObject({
      host: 'h',
      port: 6379,
      username: 'u',
      password: 'p@ss',
      db: 3,
    });
    expect(queueConnection('rediss://h:1')).toMatchObject({ tls: {} });
    expect(queueConnection('redis://h:1')).toMatchObject({ maxRetriesPerRequest: null }); // wait for a lost server
    for (const bad of ['http://h:1', 'h:6379', 'redis://h/x', ''])
      expect(() => queueConnection(bad), bad).toThrow(
        /not a Redis URL; write redis:\/\/\[user:password@\]host:port\[\/db\]/,
      );
    expect(redactedUrl('redis://u:secret@h:1/2')).toBe('redis://u:***@h:1/2');
    expect(() => queueConnection('http://u:secret@h')).toThrow(/u:\*\*\*@h/);
  });

  it('payloads keep ±Infinity through JSON (QC thresholds of "no limit"), and everything else as it was', () => {
    const payload = {
      qc: NO_QC,
      norman: NORMAN_QC,
      list: [1, -Infinity, 'x', null, -0],
      nested: { a: { b: NaN } },
    };
    const wire = JSON.parse(JSON.stringify(encodePayload(payload))) as unknown; // what Redis stores and gives back
    const back = decodePayload(wire) as typeof payload;
    expect(back.qc).toEqual(NO_QC);
    expect(back.norman.maxCounts).toBe(Infinity);
    expect(back.list).toEqual([1, -Infinity, 'x', null, -0]);
    expect(Object.is(back.list[4], -0)).toBe(true); // a metric of −0 is written as it was
    expect(back.nested.a.b).toBeNaN();
    expect(JSON.parse(JSON.stringify(NO_QC)).maxGenes).toBeNull(); // what the payload lost before
  });

  it("a predict batch's payload is checked field by field", () => {
    const ok = {
      run: 'runs/x',
      modelId: 'abc',
      sets: [['A', 'B'], []],
      batch: 1,
      first: 131,
      cells: 500,
      seed: 0,
      sampler: { stepsPerLevel: 20, integrator: 'lm' },
      output: 'normalized',
      out: 'runs/x/predictions.h5ad.parts/batch-1.f32',
    };
    expect(readPredictBatch(ok)).toEqual(ok);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ sets: [['A', 3]] }, /'sets' is not a list of target lists/],
      [{ first: -1 }, /'first' is not a non-negative integer/],
      [{ output: 'log' }, /'output' is not normalized, counts or latent/],
      [{ sampler: { integrator: 'rk4' } }, /'sampler.integrator'/],
      [{ modelId: '' }, /'modelId' is not a string/],
    ];
    for (const [change, why] of bad) expect(readPredictBatch({ ...ok, ...change })).toMatch(why);
  });

  it("a measurement-model environment's payload is checked field by field", () => {
    const ok = { run: 'runs/x', env: 3, jointId: '0123abcd', out: 'runs/x/measurement/parts/env-3.safetensors' };
    expect(readPriorEnvironment(ok)).toEqual(ok);
    expect(readPriorEnvironment({ ...ok, env: 1.5 })).toMatch(/'env' is not a non-negative integer/);
    expect(readPriorEnvironment({ ...ok, jointId: 7 })).toMatch(/'jointId' is not a string/);
  });

  it("a linear-screen fit's payload is checked field by field", () => {
    const ok = {
      graph: 'er',
      d: 10,
      p: 10,
      seed: 0,
      steps: 100,
      lcd: { hidden: 32 },
      out: 'cb/models/er-10-10-s0-100',
    };
    expect(readLinearFit(ok)).toEqual(ok);
    expect(readLinearFit({ ...ok, graph: 'ba' })).toMatch(/'graph' is not er, sf or sfo/);
    expect(readLinearFit({ ...ok, steps: 0 })).toMatch(/'steps' is not a positive integer/);
    expect(readLinearFit({ ...ok, lcd: undefined })).toMatch(/'lcd' is not an object/);
  });

  it("a gene-network fit's payload is checked field by field; the measurement model and levels are optional", () => {
    const ok = { screen: 'cb/screens/grn-s0/screen.h5ad', out: 'cb/models/grn-s0/fit-4000', seed: 0, steps: 4000 };
    expect(readNetworkFit(ok)).toEqual(ok); // what clipr-benchmark --queue sends without --prior-steps
    const full = { ...ok, prior: { steps: 9000 }, trainLevels: 30 };
    expect(readNetworkFit(full)).toEqual(full);
    expect(readNetworkFit({ ...ok, prior: 3 })).toMatch(/'prior' is not an object/);
    expect(readNetworkFit({ ...ok, trainLevels: 0 })).toMatch(/'trainLevels' is not a positive integer/);
    expect(readNetworkFit({ ...ok, trainLevels: 2.5 })).toMatch(/'trainLevels' is not a positive integer/);
    expect(readNetworkFit({ ...ok, steps: 0 })).toMatch(/'steps' is not a positive integer/);
  });

  it("an evaluation chunk's payload is checked field by field", () => {
    const ok = {
      run: 'runs/x',
      predictions: 'runs/x/predictions.h5ad',
      predictionsId: 'ab12',
      names: ['A+B', 'C+D'],
      baselines: ['control', 'additive'],
      seed: 0,
      out: 'runs/x/metrics.json.parts/chunk-0.json',
    };
    expect(readEvaluateChunk(ok)).toEqual(ok);
    expect(readEvaluateChunk({ ...ok, predictions: null, predictionsId: null })).not.toBeTypeOf('string');
    expect(readEvaluateChunk({ ...ok, predictionsId: null })).toMatch(/given together or not at all/);
    expect(readEvaluateChunk({ ...ok, names: ['A', 3] })).toMatch(/'names' is not a list of names/);
    expect(readEvaluateChunk({ ...ok, seed: -1 })).toMatch(/'seed' is not a non-negative integer/);
  });

  it("a job's folder and payload paths must lie inside the worker's store", () => {
    const job = (cwd: string, payload: Record<string, unknown>): Envelope => ({
      protocol: PROTOCOL,
      version: '1',
      kind: 'predict-batch',
      label: 'x',
      cwd,
      payload,
    });
    const inside = { run: 'runs/a', out: 'runs/a/predictions.h5ad.parts/batch-0.f32' };
    expect(outsideStore('/store', job('/store/project', inside), inside)).toBeNull();
    expect(outsideStore('/store/', job('/store', inside), inside)).toBeNull();
    expect(outsideStore('/store', job('/elsewhere', inside), inside)).toMatch(
      /its folder \/elsewhere is outside this worker's store \/store/,
    );
    expect(outsideStore('/store', job('/store-2', inside), inside)).toMatch(/outside/); // a prefix is not inside
    for (const out of ['../../etc/cron.d/x', '/etc/passwd', '../../store-2/x'])
      expect(outsideStore('/store', job('/store/p', { ...inside, out }), { ...inside, out }), out).toMatch(
        /its 'out' .* is outside this worker's store/,
      );
    expect(outsideStore('/store', job('/store/p', inside), { ...inside, out: '../q/x' })).toBeNull(); // still inside
  });
});

describe.skipIf(!haveGpu || (!REDIS_SERVER && !requireRedis))('job queue on a real Redis (BullMQ)', () => {
  let redis: TestRedis, D: string;
  const workers: RunningWorker[] = [];
  const worker = (...extra: string[]) => {
    const w = startWorker(redis.url, '--store', D, ...extra);
    workers.push(w);
    return w;
  };
  const folder = (name: string) => {
    const d = join(D, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  /** A gene-network count screen of 40 cells per condition (simulated once, read by later tests as it is). */
  const smallNetworkScreen = () => {
    const sim = join(D, 'grn-small');
    if (existsSync(join(sim, 'screen.h5ad'))) return sim;
    const made = spawnSync(
      process.execPath,
      [BIN, 'simulate', '--kind', 'grn', '--counts', '--cells', '40', '--seed', '0', '--out', sim, '--quiet'],
      { env, encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    return sim;
  };
  beforeAll(async () => {
    redis = await startRedis();
    D = mkdtempSync(join(tmpdir(), 'queue-'));
    const s = spawnSync(process.execPath, [BIN, 'simulate', '--out', join(D, 'sim'), '--cells', '60', '--quiet'], {
      env,
      encoding: 'utf8',
    });
    expect(s.status, s.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await redis?.close();
    if (D) rmSync(D, { recursive: true, force: true });
  });

  it('a benchmark queued for two workers writes the same bytes as the same benchmark run here', async () => {
    const local = await cli(folder('local'), BENCH('0,1', 150));
    expect(local.code, local.err).toBe(0);
    const [w1, w2] = [worker(), worker()];
    const queued = await cli(folder('queued'), BENCH('0,1', 150, '--queue', redis.url));
    expect(queued.code, queued.err).toBe(0);
    const files = expectSameTree(join(D, 'local', 'bench'), join(D, 'queued', 'bench'));
    expect(files).toBeGreaterThanOrEqual(20); // the two runs' run.json, data, model, losses, predictions, metrics; the tables
    for (const run of ['fold0-seed0', 'fold1-seed0'])
      expect(existsSync(join(D, 'queued', 'bench', 'runs', run, 'predictions.h5ad'))).toBe(true);
    // both runs were done by workers (one each, or both by one), none by the submitter
    expect((w1.log() + w2.log()).match(/: started/g)).toHaveLength(2);
  }, 240_000);

  it('a worker killed outright during a fit loses its job to another, which resumes it: the same bytes', async () => {
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    const local = await cli(folder('kill-local'), BENCH('2', 1200));
    expect(local.code, local.err).toBe(0);
    const first = worker('--lock-seconds', '2');
    const run = cli(folder('kill-queued'), BENCH('2', 1200, '--queue', redis.url));
    const checkpoint = join(D, 'kill-queued', 'bench', 'runs', 'fold2-seed0', 'checkpoint', 'config.json');
    await waitFor('the first checkpoint', () => existsSync(checkpoint));
    // SIGKILL to the work itself (the pid the worker names; its launcher would stop it gently), then its launcher
    const work = Number(/pid (\d+) on/.exec(first.log())![1]);
    process.kill(work, 'SIGKILL');
    await stopWorker(first, 'SIGKILL');
    const second = worker('--lock-seconds', '2');
    const queued = await run;
    expect(queued.code, queued.err).toBe(0);
    expect(second.log()).toMatch(/started/);
    expect(second.log()).toMatch(/resuming the fit/);
    expectSameTree(join(D, 'kill-local', 'bench'), join(D, 'kill-queued', 'bench'));
  }, 300_000);

  it("clipr-benchmark's gene-network and linear-screen fits, queued: the same model bytes as the fits made here", async () => {
    await Promise.all(workers.splice(0).map((x) => stopWorker(x)));
    worker();
    // A small gene-network screen where the benchmark keeps its screens; it uses one it finds
    const sim = smallNetworkScreen();
    for (const where of ['cb-local', 'cb-queued'])
      cpSync(sim, join(folder(where), 'cb', 'models', 'grn-s0'), { recursive: true });
    const CB = ['clipr-benchmark', '--out', 'cb', '--grn-seeds', '0', '--cascade-seeds', 'none', '--seeds', '0'];
    const small = [
      '--points',
      'er:8:8',
      '--steps',
      '60',
      '--grn-steps',
      '60',
      '--prior-steps',
      '30',
      '--lcd-readings',
      'response',
      '--quiet',
    ];
    const local = await cli(folder('cb-local'), [...CB, ...small]);
    expect(local.code, local.err).toBe(0);
    const queued = await cli(folder('cb-queued'), [...CB, ...small, '--queue', redis.url]);
    expect(queued.code, queued.err).toBe(0);
    expect(workers[0]!.log()).toMatch(/grn seed 0, 60 steps\), attempt 1: started/);
    expect(workers[0]!.log()).toMatch(/er-8-8-s0, 60 steps\), attempt 1: started/);
    for (const model of [join('grn-s0', 'fit-60'), 'er-8-8-s0-60'])
      expectSameTree(join(D, 'cb-local', 'cb', 'models', model), join(D, 'cb-queued', 'cb', 'models', model));
  }, 300_000);

  it("a fit's measurement-model environments, predict's batches and evaluate's perturbations, queued for two workers: the same bytes as here", async () => {
    await Promise.all(workers.splice(0).map((x) => stopWorker(x)));
    const [w1, w2] = [worker(), worker()];
    const sim = smallNetworkScreen();
    const dir = folder('predict');
    // With the measurement model (each batch decodes its own environments' streams) and without (log1p: the control
    // is sampled last, with the sets, to calibrate the zeros): 16,384 cells each make 4 perturbations a sampler
    // batch, so 5 sets (4 and the control) make two batches, two jobs.
    // The measurement model's last 20 of 30 steps per environment (--prior-joint-steps 10), so that a queued fit
    // can spread them: fitted here and on the two workers, the same run folder.
    for (const [run, extra, n] of [
      ['zip', ['--prior-joint-steps', '10'], 5],
      ['log1p', ['--measurement', 'none'], 4],
    ] as const) {
      const fitArgs = (out: string) => [
        'fit',
        '--data',
        join(sim, 'screen.h5ad'),
        '--split',
        'seen2',
        '--hidden',
        '32',
        '--steps',
        '60',
        '--prior-steps',
        '30',
        '--out',
        out,
        '--quiet',
        ...extra,
      ];
      const fit = await cli(dir, fitArgs(run));
      expect(fit.code, fit.err).toBe(0);
      if (run === 'zip') {
        const queuedFit = await cli(dir, [...fitArgs(`${run}-queued`), '--queue', redis.url]);
        expect(queuedFit.code, queuedFit.err).toBe(0);
        expect(expectSameTree(join(dir, run), join(dir, `${run}-queued`))).toBeGreaterThanOrEqual(9);
        const envs = (JSON.parse(readFileSync(join(dir, run, 'run.json'), 'utf8')) as { split: { train: string[] } })
          .split.train.length;
        expect((w1.log() + w2.log()).match(/measurement model, environment .*, attempt 1: started/g)).toHaveLength(
          envs,
        );
      }
      const split = JSON.parse(readFileSync(join(dir, run, 'run.json'), 'utf8')) as { split: { test: string[] } };
      const P = ['predict', '--run', run, '--cells', '16384', '--steps-per-level', '2', '--last-level', '5'];
      P.push('--perturbations', split.split.test.slice(0, n).join(','), '--quiet');
      const local = await cli(dir, [...P, '--out', `${run}-local.h5ad`]);
      expect(local.code, local.err).toBe(0);
      const queued = await cli(dir, [...P, '--out', `${run}-queued.h5ad`, '--queue', redis.url]);
      expect(queued.code, queued.err).toBe(0);
      expect(readFileSync(join(dir, `${run}-queued.h5ad`)).equals(readFileSync(join(dir, `${run}-local.h5ad`)))).toBe(
        true,
      );
      expect(existsSync(join(dir, `${run}-queued.h5ad.parts`))).toBe(false); // the batches' files are gone
      if (run === 'zip') {
        // evaluate, its test perturbations two to a job: the same metrics files as evaluated here
        // (200 cells a perturbation keep it short)
        const few = await cli(dir, [...P.map((a) => (a === '16384' ? '200' : a)), '--out', `${run}-eval.h5ad`]);
        expect(few.code, few.err).toBe(0);
        const E = ['evaluate', '--predictions', `${run}-eval.h5ad`, '--baselines', 'control,perturbed,additive'];
        const here = await cli(dir, [...E, '--run', run, '--out', `${run}-eval-here`, '--quiet']);
        expect(here.code, here.err).toBe(0);
        const there = await cli(dir, [
          ...E,
          ...['--run', `${run}-queued`, '--out', `${run}-eval-there`, '--queue', redis.url, '--job-size', '2'],
        ]);
        expect(there.code, there.err).toBe(0);
        for (const f of ['metrics.json', 'metrics.csv', 'summary.csv', 'mean_shifts.csv'])
          expect(
            readFileSync(join(dir, `${run}-eval-there`, f)).equals(readFileSync(join(dir, `${run}-eval-here`, f))),
            f,
          ).toBe(true);
        expect(existsSync(join(dir, `${run}-queued`, 'metrics.json.parts'))).toBe(false);
        const jobs = Number(/(\d+) chunk\(s\) of at most 2 perturbations/.exec(there.out + there.err)?.[1]);
        expect(jobs).toBeGreaterThanOrEqual(2);
        expect((w1.log() + w2.log()).match(/evaluation, perturbations .*attempt 1: started/g)).toHaveLength(jobs);
      }
    }
    expect((w1.log() + w2.log()).match(/\(perturbations \d–\d of 5\), attempt 1: started/g)).toHaveLength(4);
  }, 240_000);

  it('bad input fails once, named, and is not retried; a job of another version is refused', async () => {
    await Promise.all(workers.splice(0).map((x) => stopWorker(x)));
    const w = worker();
    const bad = await cli(folder('bad'), [...BENCH('3', 150, '--queue', redis.url), '--data', 'missing.h5ad']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/queued run fold 3, seed 0 failed: .*missing\.h5ad/);
    expect(w.log().match(/fold 3, seed 0\), attempt/g)).toHaveLength(1);
    // A job queued by another version of the package: refused once, with both versions named.
    const q = new Queue(QUEUE_NAME, { connection: queueConnection(redis.url) });
    try {
      const job = await q.add(
        'benchmark-cell',
        { protocol: PROTOCOL, version: '0.0.0-other', kind: 'benchmark-cell', label: 'old', cwd: D, payload: {} },
        { attempts: 3 },
      );
      await waitFor('the refusal', () => /old was queued by lcd-webgpu 0\.0\.0-other/.test(w.log()), 30_000);
      const back = (await q.getJob(job.id!))!;
      expect(await back.getState()).toBe('failed');
      expect(back.attemptsMade).toBe(1);
      expect(back.failedReason).toMatch(/this worker .* runs \d+\.\d+\.\d+/);
      // A job of this version whose file lies outside the worker's store: refused once, naming the path.
      const payload = { run: 'r', env: 0, jointId: 'x', out: '../../elsewhere/env-0.safetensors' };
      const outside = await q.add(
        'prior-environment',
        { protocol: PROTOCOL, version: PACKAGE_VERSION, kind: 'prior-environment', label: 'far', cwd: D, payload },
        { attempts: 3 },
      );
      await waitFor('the refusal of a path outside the store', () => /far was refused/.test(w.log()), 30_000);
      const far = (await q.getJob(outside.id!))!;
      expect(far.attemptsMade).toBe(1);
      expect(far.failedReason).toMatch(
        /its 'out' \(\.\.\/\.\.\/elsewhere\/env-0\.safetensors\) is outside this worker's store/,
      );
    } finally {
      await q.close();
    }
  }, 120_000);

  it('Redis stopped and started again during a queued run: the run completes', async () => {
    await Promise.all(workers.splice(0).map((x) => stopWorker(x)));
    const w = worker();
    const run = cli(folder('restart'), BENCH('1', 1500, '--queue', redis.url));
    await waitFor('a job to start', () => /fold 1, seed 0\), attempt 1: started/.test(w.log()));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const r = await run;
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(D, 'restart', 'bench', 'benchmark.json'))).toBe(true);
  }, 240_000);
});
