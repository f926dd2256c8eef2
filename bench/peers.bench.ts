// PyTorch peers, side by side in the same run (../shared/peers/: the same DSM step and sampler step on CPU float32).
// Runs them with /usr/bin/python3 when it has torch (Debian python3-torch + libopenblas0-pthread), with
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only and 2 threads, and records their speeds and the
// ratios lcd-webgpu / PyTorch for the settings the lcd suite measured in this run (d = 100, H = 256, batch 1024;
// 1,024 particles). Without torch (or without the peers folder) it records why it skipped.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../src/gpu/engine.ts';
import { describeMachine, machine, record, results } from './harness.ts';

const PEERS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'peers');
const PYTHON = '/usr/bin/python3';

function python(args: string[]): { ok: boolean; out: string } {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(PYTHON, args, { env, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** Why the peers cannot run here, or null when they can. */
export function peersUnavailable(): string | null {
  if (!existsSync(join(PEERS, 'torch_dsm_step.py'))) return `no PyTorch peers at ${PEERS}`;
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  const t = python(['-c', 'import torch']);
  return t.ok ? null : `${PYTHON} has no torch (apt-get install python3-torch libopenblas0-pthread)`;
}

const ours = (name: string, where: (r: Record<string, unknown>) => boolean) =>
  results.find((r) => r.name === name && where(r as Record<string, unknown>))?.value;

export async function peersBenchmarks(e: Engine, _quick: boolean): Promise<void> {
  const why = peersUnavailable();
  if (why) {
    console.log(`peers: skipped (${why})`);
    record({ name: 'peers_skipped', value: 1, unit: 'flag', reason: why });
    return;
  }
  const dsm = python([join(PEERS, 'torch_dsm_step.py'), '2']);
  for (const m of dsm.out.matchAll(/dsm d=(\d+) H=(\d+) B=(\d+): ([\d.]+) steps\/s/g)) {
    const [d, H, batch, v] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    record({ name: 'torch_dsm_steps_per_s', value: v, unit: 'steps/s', d, H, batch, threads: 2 });
    const mine = ours(
      'dsm_train_steps_per_s',
      (r) => r.d === d && r.H === H && r.batch === batch && r.envsPerBatch === 1,
    );
    if (mine !== undefined) record({ name: 'ratio_dsm_vs_torch', value: mine / v, unit: 'x', d, H, batch });
  }
  const smp = python([join(PEERS, 'torch_sampler_step.py'), '2']);
  for (const m of smp.out.matchAll(/sampler d=(\d+) H=(\d+) particles=(\d+): (\d+) particle-steps\/s/g)) {
    const [d, H, particles, v] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    record({
      name: 'torch_sampler_particle_steps_per_s',
      value: v,
      unit: 'particle-steps/s',
      d,
      H,
      particles,
      threads: 2,
    });
    const mine = ours('sampler_particle_steps_per_s', (r) => r.d === d && r.H === H && r.particles === particles);
    if (mine !== undefined) record({ name: 'ratio_sampler_vs_torch', value: mine / v, unit: 'x', d, H, particles });
  }
  if (!dsm.ok || !smp.ok) console.log(`peers: a peer failed:\n${dsm.out}\n${smp.out}`);
  // The ratios with the machine they hold for: they move with the CPU and the backend, not only with the code.
  const ratios = results.filter((r) => r.name.startsWith('ratio_'));
  if (ratios.length)
    console.log(
      `PyTorch-CPU ratios (lcd-webgpu / PyTorch, same run, 2 threads) on ${describeMachine(machine(e))}: ${ratios
        .map((r) => `${r.name.replace(/^ratio_|_vs_torch$/g, '')} ${Number(r.value).toFixed(2)}×`)
        .join(', ')}`,
    );
}
