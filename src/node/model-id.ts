// A model's id: a content hash of its folder (config.json, weights.safetensors and, with a measurement model, its
// files), so every output derived from a model can record which model made it, and a later reader can tell when the
// run's model has been replaced since (a re-fit, `fit --force`) and the output is stale.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** 16 hex digits of SHA-256 over the model folder's files (name and bytes, in name order); null when no model. */
export function modelId(modelDir: string): string | null {
  if (!existsSync(join(modelDir, 'config.json'))) return null;
  const h = createHash('sha256');
  for (const name of readdirSync(modelDir).sort()) {
    const p = join(modelDir, name);
    if (name.startsWith('.') || !statSync(p).isFile()) continue; // temporaries of an atomic write
    h.update(name).update('\0').update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}
