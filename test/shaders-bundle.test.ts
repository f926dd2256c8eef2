import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderShaderBundle, bundlePath } from '../scripts/bundle-shaders.ts';
import { reflectShader, packParams } from '../src/gpu/reflect.ts';
import { shaderSource, shaderNames } from '../src/gpu/shaders.ts';
import { installHint } from '../src/gpu/errors.ts';
import { PRIMITIVE_SHADERS } from '../src/kernels.ts';

describe('shader bundle and reflection (no GPU)', () => {
  it('src/gpu/shaders.gen.ts is up to date with shaders/*.wgsl (run `npm run shaders`)', () => {
    expect(readFileSync(bundlePath, 'utf8')).toBe(renderShaderBundle());
  });

  it('includes expand once and every shader declares dense bindings and scalar Params', () => {
    const src = shaderSource('matmul_rowu');
    expect(src).toContain('fn tanh_safe');
    expect(src).not.toContain('//#include');
    for (const name of shaderNames()) {
      const r = reflectShader(shaderSource(name), name);
      if (name in PRIMITIVE_SHADERS && PRIMITIVE_SHADERS[name as keyof typeof PRIMITIVE_SHADERS].launcher === null)
        continue; // a WGSL library (included by others): no bindings of its own
      expect(r.bindings.length).toBeGreaterThan(0);
      expect(r.bindings[r.bindings.length - 1]).toBe('uniform');
    }
  });

  it('packs Params by name in declaration order, padded to 16 bytes, rejecting unknown or missing fields', () => {
    const { params } = reflectShader(shaderSource('adamw'), 'adamw');
    expect(params.map((f) => f.name).slice(0, 3)).toEqual(['n', 'lr', 'b1']);
    const buf = packParams(
      params,
      { n: 7, lr: 0.5, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0, bc1: 1, bc2: 1, maxNorm: 0 },
      'adamw',
    );
    expect(buf.byteLength % 16).toBe(0);
    expect(new Uint32Array(buf)[0]).toBe(7);
    expect(new Float32Array(buf)[1]).toBe(0.5);
    expect(() => packParams(params, { n: 1 }, 'adamw')).toThrow(/'lr' not provided/);
    expect(() => packParams(params, { n: 1, bogus: 2 } as Record<string, number>, 'adamw')).toThrow(
      /no Params field 'bogus'/,
    );
    expect(() =>
      packParams(params, { n: -1, lr: 0, b1: 0, b2: 0, eps: 0, wd: 0, bc1: 0, bc2: 0, maxNorm: 0 }, 'adamw'),
    ).toThrow(/not a u32/);
  });

  it('the no-adapter hint tells how to install a driver', () => {
    expect(installHint()).toMatch(/setup:runtime|Vulkan|Metal/);
  });
});
