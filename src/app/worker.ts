// The web app's Web Worker: owns the WebGPU engine and runs the pipeline (pipeline.ts), so the page stays
// responsive while LCD trains. Messages in: inspect (file bytes + how to read them), builtin, run. Messages out:
// gpu, layout, stage, prior, loss, sampling, result, error (one line, as the CLI would print it).
import { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import type { Screen } from '../data/dataset.ts';
import { inspectH5ad, builtinScreen, describeScreen, runApp, type LoadChoice, type RunChoice } from './pipeline.ts';

export type ToWorker =
  | { type: 'inspect'; bytes: Uint8Array; name: string; choice: LoadChoice }
  | { type: 'builtin' }
  | { type: 'run'; choice: RunChoice };

const post = (m: unknown, transfer: Transferable[] = []) =>
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(m, transfer);

let engine: Engine | null = null;
let screen: Screen | null = null;

async function backend(): Promise<WebGPUBackend> {
  if (!engine) {
    engine = await Engine.create();
    post({ type: 'gpu', info: engine.info });
  }
  return new WebGPUBackend(engine);
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'inspect') {
    const r = await inspectH5ad(m.bytes, m.name, m.choice);
    screen = r.raw;
    post({ type: 'layout', layout: r.layout });
  } else if (m.type === 'builtin') {
    screen = await builtinScreen(await backend());
    post({ type: 'layout', layout: describeScreen(screen, 'built-in simulated screen') });
  } else {
    if (!screen) throw new Error('read a file (or pick the built-in screen) first');
    const r = await runApp(await backend(), screen, m.choice, {
      stage: (text) => post({ type: 'stage', text }),
      loss: (step, steps, loss, etaS) => post({ type: 'loss', step, steps, loss, etaS }),
      prior: (step, steps, loss, etaS) => post({ type: 'prior', step, steps, loss, etaS }),
      sampling: (done, total, etaS) => post({ type: 'sampling', done, total, etaS }),
    });
    post({ type: 'result', result: r }, [r.predictionsH5ad.buffer as ArrayBuffer]);
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: unknown) =>
    post({ type: 'error', message: err instanceof Error ? err.message : String(err), name: (err as Error)?.name }),
  );
};
