// Every registered fused kernel has its four pieces under its one name: the registry key equals the definition's
// name, shaders/<name>.wgsl exists, the definition has a launcher and a Float64 reference, and
// test/kernels/<name>.test.ts runs the conformance check on it.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FUSED_KERNELS } from '../src/kernels.ts';

const root = resolve(import.meta.dirname, '..');

describe('fused-kernel registry', () => {
  for (const [key, k] of Object.entries(FUSED_KERNELS))
    it(`${key}: WGSL, launcher, reference and conformance test under one name`, () => {
      expect(k.name).toBe(key);
      expect(existsSync(resolve(root, 'shaders', `${key}.wgsl`))).toBe(true);
      expect(typeof k.gpu).toBe('function');
      expect(typeof k.reference).toBe('function');
      expect(k.outputs.length).toBeGreaterThan(0);
      const test = resolve(root, 'test', 'kernels', `${key}.test.ts`);
      expect(existsSync(test)).toBe(true);
      expect(readFileSync(test, 'utf8')).toMatch(/describeKernel\(/);
    });
});
