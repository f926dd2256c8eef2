// `npm run bench`: prints a table and writes bench/out/results.json ([{ name, value, unit, ...params }]).
// BENCH_QUICK=1 runs a reduced set; ENGINE_BACKEND=opengles measures Dawn's GL backend instead of Vulkan;
// BENCH_ONLY=lcd,peers runs the named suites (threads: Mesa's worker threads, in child processes). The PyTorch peers run when /usr/bin/python3 has torch (peers.bench.ts).
import '../src/node/dawn.ts';
import { Engine } from '../src/gpu/engine.ts';
import { engineBenchmarks } from './engine.bench.ts';
import { lcdBenchmarks } from './lcd.bench.ts';
import { cliprBenchmarks } from './clipr.bench.ts';
import { metricsBenchmarks } from './metrics.bench.ts';
import { measurementBenchmarks } from './measurement.bench.ts';
import { profileBenchmarks } from './profile.bench.ts';
import { peersBenchmarks } from './peers.bench.ts';
import { threadsBenchmarks } from './threads.bench.ts';
import { describeMachine, machine, writeResults } from './harness.ts';

const quick = process.env.BENCH_QUICK === '1';
const e = await Engine.create();
console.log(`adapter: ${e.info.description || e.info.architecture} (${e.info.backend}, software=${e.info.software})`);
const here = machine(e);
console.log(`machine: ${describeMachine(here)}`);
for (const line of e.tuning.describe()) console.log(`kernel choice: ${line}`);
const only = process.env.BENCH_ONLY?.split(',');
const suites: [string, (e: Engine, quick: boolean) => Promise<void>][] = [
  ['engine', engineBenchmarks],
  ['lcd', lcdBenchmarks],
  ['clipr', cliprBenchmarks],
  ['metrics', metricsBenchmarks],
  ['measurement', measurementBenchmarks],
  ['profile', profileBenchmarks],
  ['threads', threadsBenchmarks],
  ['peers', peersBenchmarks], // last: its ratios read the lcd suite's results
];
for (const [name, run] of suites) {
  if (only && !only.includes(name)) continue;
  await run(e, quick);
  // after every suite, so a failure later loses nothing; with the kernel choices measured on this adapter
  writeResults({ date: new Date().toISOString(), machine: here, kernelChoices: e.tuning.describe() });
}
e.destroy();
console.log(`wrote bench/out/results.json`);
