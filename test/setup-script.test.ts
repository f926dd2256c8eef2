// scripts/ensure-setup.mjs, what `npm start` and `npm test` run first in a fresh clone: npm ci is due when
// node_modules is missing or older than the lockfile, and Dawn's adapter is probed in a child process (false when
// the Vulkan driver list points nowhere, the case that installs the software runtime).
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';

const setup = (await import('../scripts/ensure-setup.mjs' as string)) as {
  needsInstall: (dir?: string) => boolean;
  hasAdapter: (dir?: string) => boolean;
};

const engine = await testEngine();

describe('ensure-setup', () => {
  it('npm ci is due without node_modules, or when the lockfile is newer than the installed tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'setup-'));
    try {
      writeFileSync(join(dir, 'package-lock.json'), '{}');
      expect(setup.needsInstall(dir)).toBe(true);
      mkdirSync(join(dir, 'node_modules'));
      writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{}');
      const t = Date.now() / 1000;
      utimesSync(join(dir, 'package-lock.json'), t - 100, t - 100);
      utimesSync(join(dir, 'node_modules', '.package-lock.json'), t - 50, t - 50);
      expect(setup.needsInstall(dir)).toBe(false);
      utimesSync(join(dir, 'package-lock.json'), t, t); // the lockfile changed after the install
      expect(setup.needsInstall(dir)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it.skipIf(!engine)('finds the adapter here, and none when the Vulkan driver list points nowhere', () => {
    expect(setup.hasAdapter()).toBe(true);
    const saved = { ...process.env };
    try {
      process.env.VK_ICD_FILENAMES = '/nonexistent.json';
      process.env.VK_DRIVER_FILES = '/nonexistent.json';
      expect(setup.hasAdapter()).toBe(false);
    } finally {
      for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  });
});
