// The import-direction check of scripts/check-layers.mjs on the real tree, and on small made-up trees so the
// check itself is seen to fail where it must.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error: a plain-JavaScript script without declarations
import { checkLayers } from '../scripts/check-layers.mjs';

const check = checkLayers as (src: string) => string[];

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe('import direction', () => {
  it('holds in src/: every import goes down the layers, and no engine-free or browser-side folder reaches Node', () => {
    expect(check(resolve(import.meta.dirname, '..', 'src'))).toEqual([]);
  });

  it('flags an upward import, a sibling import, a platform import below src/node and an unknown folder', () => {
    const dir = tree({
      'gpu/a.ts': "import { x } from '../lcd/model.ts';\n", // up
      'clipr/b.ts': "export { y } from '../metrics/c.ts';\n", // sibling on the same layer
      'data/d.ts': "import { readFileSync } from 'node:fs';\nconst w = await import('webgpu');\n", // platform in engine-free
      'reference/e.ts': "import type { T } from '../gpu/types.ts';\n", // engine-free → engine
      'widgets/f.ts': 'export const z = 1;\n', // no layer
      'node/ok.ts': "import { readFileSync } from 'node:fs';\nimport { E } from '../gpu/engine.ts';\n", // allowed
      'lcd/ok.ts': "// import { x } from '../cli/main.ts'\nimport { S } from '../data/dataset.ts';\n", // comment ignored
    });
    try {
      const bad = check(dir).join('\n');
      expect(bad).toMatch(/gpu\/a\.ts: 'gpu' \(layer 1\) imports '..\/lcd\/model.ts' from the higher layer 'lcd'/);
      expect(bad).toMatch(/clipr\/b\.ts: 'clipr' imports '..\/metrics\/c.ts' from its sibling 'metrics'/);
      expect(bad).toMatch(/data\/d\.ts: 'data' imports the platform module 'node:fs'/);
      expect(bad).toMatch(/data\/d\.ts: 'data' imports the platform module 'webgpu'/);
      expect(bad).toMatch(/reference\/e\.ts: 'reference' \(layer 0\) imports '..\/gpu\/types.ts'/);
      expect(bad).toMatch(/widgets\/f\.ts: folder 'widgets' is on no layer/);
      expect(bad).not.toMatch(/ok\.ts/);
      expect(check(dir)).toHaveLength(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags a loop of modules that load each other (static or dynamic import), not one made of type imports', () => {
    const dir = tree({
      'gpu/engine.ts': "import { f } from './grid.ts';\nexport async function tune() { await import('./k/mm.ts'); }\n",
      'gpu/grid.ts': 'export const f = 1;\n',
      'gpu/k/mm.ts': "import { g } from './ew.ts';\nimport type { Engine } from '../engine.ts';\n",
      'gpu/k/ew.ts': "import { tune } from '../engine.ts';\nexport const g = 2;\n", // closes the loop
      'lcd/io.ts': "import type { Hp } from './model.ts';\nimport { type X } from './model.ts';\n",
      'lcd/model.ts': "import { save } from './io.ts';\n", // io → model is type-only: no loop
    });
    try {
      expect(check(dir)).toEqual([
        'import loop: gpu/engine.ts → gpu/k/ew.ts → gpu/k/mm.ts (each loads another at run time)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
