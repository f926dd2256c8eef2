// Every registered fused kernel has its four pieces under its one name: the registry key equals the definition's
// name, shaders/<name>.wgsl exists, the definition has a launcher and a Float64 reference, and
// test/kernels/<name>.test.ts runs the conformance check on it; every primitive shader names a launcher that
// dispatches it (or, for a WGSL library, the shaders that include it), a reference and a test that exist; and the
// two records together are exactly the files of shaders/ (the types make a missing entry a compile error; this
// checks the generated union is current).
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FUSED_KERNELS, PRIMITIVE_SHADERS } from '../src/kernels.ts';
import { readdirSync } from 'node:fs';

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

describe('primitive shaders', () => {
  for (const [name, p] of Object.entries(PRIMITIVE_SHADERS))
    it(`${name}: launcher, reference and test exist`, () => {
      expect(existsSync(resolve(root, 'shaders', `${name}.wgsl`))).toBe(true);
      for (const f of [p.reference, p.test]) expect(existsSync(resolve(root, f)), f).toBe(true);
      if (p.launcher) expect(readFileSync(resolve(root, p.launcher), 'utf8')).toContain(`'${name}'`);
      else {
        // A library: some shader includes it.
        const includers = readdirSync(resolve(root, 'shaders')).filter((f) =>
          readFileSync(resolve(root, 'shaders', f), 'utf8').includes(`//#include ${name}.wgsl`),
        );
        expect(includers.length, name).toBeGreaterThan(0);
      }
    });

  it('fused and primitive together are exactly the WGSL files', () => {
    const files = readdirSync(resolve(root, 'shaders'))
      .filter((f) => f.endsWith('.wgsl'))
      .map((f) => f.slice(0, -5))
      .sort();
    expect([...Object.keys(FUSED_KERNELS), ...Object.keys(PRIMITIVE_SHADERS)].sort()).toEqual(files);
  });
});
