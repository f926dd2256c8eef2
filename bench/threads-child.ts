// One measurement of the threads suite, in a process of its own (Mesa reads LP_NUM_THREADS when its driver starts):
// ms per prior step and per DSM step of a default fit's two stages (profile.bench.ts fitStageMs), printed as one
// JSON line. Argument: steps of each.
import '../src/node/dawn.ts';
import { Engine } from '../src/gpu/engine.ts';
import { fitStageMs } from './profile.bench.ts';

const e = await Engine.create();
const { priorMs, dsmMs } = await fitStageMs(e, Number(process.argv[2] ?? 40));
console.log(JSON.stringify({ priorMs, dsmMs, threads: e.info.cpuThreads ?? null }));
e.destroy();
