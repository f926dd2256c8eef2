// Per-adapter choices measured on the adapter itself and remembered (FFTW's "wisdom"): which Dawn backend, which
// matmul kernel, which sampler kernel. Software adapters (lavapipe, SwiftShader) and real GPUs disagree about what is
// fast, and so do problem sizes: on lavapipe the one-dispatch network kernel of the sampler measured 1.07–2.9× the
// layer path at 64 particles and 0.70–0.84× at 1,024 (README, "Kernel choices"). So a choice is made by timing the candidates on the engine's own device, once per
// adapter and question, and kept in memory and (where a store is registered: Node's file, src/node/tuning-file.ts)
// across processes. The key names the adapter, the backend and the package version, so new kernels are measured
// again. LCD_WEBGPU_TUNING=off skips every measurement and takes each question's default candidate.
import type { Engine } from './engine.ts';
import { median } from '../data/normalize.ts';

export interface TuningRecord {
  /** The chosen candidate's label. */
  choice: string;
  /** Median milliseconds per run of each candidate (empty for the default choice). */
  ms: Record<string, number>;
  /** When it was measured (ISO time). */
  at: string;
}

export interface TuningChoice extends TuningRecord {
  question: string;
  source: 'measured' | 'remembered' | 'default' | 'requested';
}

/** Where records outlive the process. load() may return {} (nothing yet); save() must never throw. */
export interface TuningStore {
  readonly where: string;
  load(): Record<string, TuningRecord>;
  save(key: string, record: TuningRecord): void;
}

let store: TuningStore | null = null;

/** Register (or with null remove) the persistent store of tuning records. */
export function registerTuningStore(s: TuningStore | null): void {
  store = s;
}

export const tuningStore = (): TuningStore | null => store;

/** Bumped when what a question means changes (its candidates or its measurement). */
const SCHEMA = 1;
/** The package version (test/tuning.test.ts checks it against package.json). */
export const TUNING_VERSION = '0.1.0';

export const tuningOff = (): boolean =>
  typeof process !== 'undefined' && process.env?.LCD_WEBGPU_TUNING?.toLowerCase() === 'off';

export interface Candidate {
  label: string;
  /** Records one run of the candidate's work on the engine (not awaited; the tuner flushes and times it). */
  run: () => void;
}

export class Tuning {
  private readonly memory = new Map<string, TuningRecord>();
  /** Every choice this engine has made, by question (what a run records and the CLI prints). */
  readonly used = new Map<string, TuningChoice>();

  constructor(private readonly e: Engine) {}

  /** The adapter part of every key: vendor, architecture, description, Dawn backend, schema and package version. */
  get adapterKey(): string {
    const i = this.e.info;
    return [i.vendor, i.architecture, i.description, i.backend, `s${SCHEMA}`, TUNING_VERSION].join('|');
  }

  private remembered(key: string): TuningRecord | undefined {
    const m = this.memory.get(key);
    if (m) return m;
    const r = store?.load()[key];
    if (r && typeof r.choice === 'string') this.memory.set(key, r);
    return r;
  }

  /** A choice already known (measured in this process or remembered), without measuring: only one measured among
   *  the same candidates (a candidate added since, or one the record never timed, is measured anew with the rest). */
  known(question: string, labels: readonly string[]): TuningRecord | undefined {
    const r = this.remembered(`${this.adapterKey}|${question}`);
    const timed = (l: string) => typeof r?.ms?.[l] === 'number';
    return r && labels.includes(r.choice) && labels.every(timed) ? r : undefined;
  }

  /**
   * The fastest candidate for `question` on this adapter: remembered, or measured now (each candidate run once to
   * compile and warm up, then `samples` rounds of `runs` runs each, candidates interleaved so a change in machine
   * load hits all alike; the median round decides). The first candidate is the default when tuning is off.
   */
  async choose(
    question: string,
    candidates: Candidate[],
    o: { runs?: number; samples?: number } = {},
  ): Promise<TuningChoice> {
    if (candidates.length === 0) throw new Error(`tuning '${question}': no candidates`);
    const labels = candidates.map((c) => c.label);
    let out: TuningChoice;
    const unmeasured = candidates.length === 1 || tuningOff();
    const known = unmeasured ? undefined : this.known(question, labels);
    if (unmeasured) out = { question, choice: labels[0]!, ms: {}, at: new Date().toISOString(), source: 'default' };
    else if (known) out = { question, ...known, source: 'remembered' };
    else {
      const { runs = 2, samples = 3 } = o;
      const times: number[][] = candidates.map(() => []);
      for (const c of candidates) {
        c.run();
        await this.e.sync();
      }
      for (let s = 0; s < samples; s++)
        for (let i = 0; i < candidates.length; i++) {
          const t0 = performance.now();
          for (let r = 0; r < runs; r++) {
            candidates[i]!.run();
            this.e.flush();
          }
          await this.e.sync();
          times[i]!.push((performance.now() - t0) / runs);
        }
      const ms: Record<string, number> = {};
      labels.forEach((l, i) => (ms[l] = Number(median(times[i]!).toPrecision(4))));
      const choice = labels.reduce((best, l) => (ms[l]! < ms[best]! ? l : best), labels[0]!);
      const record: TuningRecord = { choice, ms, at: new Date().toISOString() };
      const key = `${this.adapterKey}|${question}`;
      this.memory.set(key, record);
      store?.save(key, record);
      out = { question, ...record, source: 'measured' };
    }
    this.used.set(question, out);
    return out;
  }

  /** One line per choice made so far, e.g. "matmul: rowu (measured: rowu 1.2 ms, strided 9.8 ms)". */
  describe(): string[] {
    return [...this.used.values()].map((c) => {
      const times = Object.entries(c.ms)
        .map(([l, t]) => `${l} ${t} ms`)
        .join(', ');
      return `${c.question}: ${c.choice} (${c.source}${times ? `: ${times}` : ''})`;
    });
  }
}

/** The machine-level question "which Dawn backend" (Node; answered on first use by src/node/backend-choice.ts, or by
 *  `lcd-webgpu tune`, src/jobs/tune.ts). */
const BACKEND_KEY = `node|dawn backend|s${SCHEMA}|${TUNING_VERSION}`;

export function rememberBackend(record: TuningRecord): void {
  store?.save(BACKEND_KEY, record);
}

/** The backend remembered for this machine, if one was measured (acquireDevice asks only when tuning is not off). */
export function rememberedBackend(): string | undefined {
  const r = store?.load()[BACKEND_KEY];
  return r && typeof r.choice === 'string' ? r.choice : undefined;
}
