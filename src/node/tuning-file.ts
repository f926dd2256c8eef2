// Node's store of tuning records (src/gpu/tuning.ts): one JSON file, by default
// $XDG_CACHE_HOME/lcd-webgpu/tuning.json (~/.cache/lcd-webgpu/tuning.json), or the file LCD_WEBGPU_TUNING_FILE names.
// Reads tolerate a missing or damaged file (it is only a cache: the choices are measured again); writes are atomic
// and merge with what another process may have saved meanwhile; a failed write is reported once and ignored.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TuningRecord, TuningStore } from '../gpu/tuning.ts';
import { writeFileAtomic } from './atomic.ts';

export function tuningFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LCD_WEBGPU_TUNING_FILE) return env.LCD_WEBGPU_TUNING_FILE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lcd-webgpu', 'tuning.json');
}

export function tuningFileStore(path = tuningFilePath()): TuningStore {
  let cached: Record<string, TuningRecord> | null = null;
  let warned = false;
  const read = (): Record<string, TuningRecord> => {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, TuningRecord>) : {};
    } catch {
      return {};
    }
  };
  return {
    where: path,
    load() {
      cached ??= read();
      return cached;
    },
    save(key, record) {
      const all = { ...read(), [key]: record };
      cached = all;
      try {
        writeFileAtomic(path, JSON.stringify(all, null, 1) + '\n');
      } catch (e) {
        if (!warned)
          console.warn(
            `lcd-webgpu: could not save kernel tuning to ${path} (${(e as Error).message}); it is measured again next time`,
          );
        warned = true;
      }
    },
  };
}
