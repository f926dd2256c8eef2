#!/usr/bin/env node
// Import-direction check (run by `npm test` through test/layers.test.ts, or alone: node scripts/check-layers.mjs).
// Every folder under src/ sits on one layer; a file may import its own folder and any folder on a lower layer,
// never a higher one nor a sibling folder on the same layer (the engine-free floor excepted, whose folders share
// plain helpers). Platform modules (Node built-ins, the Dawn binding, h5wasm's Node build) are allowed only in the
// Node layer and the application shell above it, so everything below runs in a browser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest first. Folders of src/; `<entry>` is a file directly in src/ (browser.ts, index.ts). */
export const LAYERS = [
  ['core', 'reference', 'io', 'stats', 'data'], // engine-free: no GPU, no engine, no platform
  ['gpu'], // device, tensors, pool, kernels
  ['ops'], // Backend interface, tape, gradient rules
  ['nn'], // layers, optimiser
  ['sde'], // generic SDE integration
  ['sim', 'measurement'], // simulators and the count model on the ops
  ['lcd'],
  ['clipr', 'metrics', 'baselines'],
  ['node'], // Node platform: Dawn, files, h5ad paths
  ['report'], // renders what the report job read (no file access of its own)
  ['jobs'],
  ['cli', 'app'], // the command line (Node) and the web app (browser only: no platform module)
  ['<entry>'],
];
const ENGINE_FREE = new Set(LAYERS[0]);
const PLATFORM_OK = new Set(['node', 'jobs', 'report', 'cli', '<entry>']);
const PLATFORM = /^(node:|webgpu$|webgpu\/|h5wasm\/node$)/;
const BUILTINS = new Set([
  'fs',
  'path',
  'url',
  'os',
  'module',
  'child_process',
  'http',
  'crypto',
  'worker_threads',
  'process',
]);

const layerOf = new Map(LAYERS.flatMap((fs, i) => fs.map((f) => [f, i])));

const files = (dir) =>
  readdirSync(dir).flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : [],
  );
const folderOf = (srcDir, file) => {
  const parts = relative(srcDir, file).split(sep);
  return parts.length === 1 ? '<entry>' : parts[0];
};
const SPEC =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s+['"]([^'"]+)['"]/gm;

/** Violations in a source tree, as readable lines (empty when the layering holds). */
export function checkLayers(srcDir) {
  const out = [];
  for (const file of files(srcDir)) {
    const from = folderOf(srcDir, file),
      rel = relative(srcDir, file);
    if (!layerOf.has(from)) {
      out.push(`${rel}: folder '${from}' is on no layer (add it to LAYERS in scripts/check-layers.mjs)`);
      continue;
    }
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of text.matchAll(SPEC)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) {
        const to = folderOf(srcDir, resolve(dirname(file), spec));
        if (to === from) continue;
        const a = layerOf.get(from),
          b = layerOf.get(to);
        if (b === undefined) out.push(`${rel}: imports '${spec}' from folder '${to}', which is on no layer`);
        else if (b > a)
          out.push(`${rel}: '${from}' (layer ${a}) imports '${spec}' from the higher layer '${to}' (layer ${b})`);
        else if (b === a && !ENGINE_FREE.has(from))
          out.push(`${rel}: '${from}' imports '${spec}' from its sibling '${to}' on the same layer`);
      } else if ((PLATFORM.test(spec) || BUILTINS.has(spec)) && !PLATFORM_OK.has(from)) {
        out.push(
          `${rel}: '${from}' imports the platform module '${spec}'; only src/node/ and the application shell may (the browser entry must stay free of it)`,
        );
      }
    }
  }
  return out.concat(importLoops(srcDir));
}

/** `import type`, `export type` and braces of type specifiers only: erased by the compiler, loaded by nothing. */
const TYPE_ONLY =
  /^(?:import|export)\s+type\s|^(?:import|export)\s*\{\s*(?:type\s+[\w$]+(?:\s+as\s+[\w$]+)?\s*,?\s*)+\}\s*from/;

/**
 * Import loops among the modules of src/ that load each other at run time (static and dynamic imports; type-only
 * imports are erased and cannot loop): one line per loop, its modules in order. A loop is how a module ends up
 * half-initialised when another reads it, and what a dynamic import papers over.
 */
export function importLoops(srcDir) {
  const edges = new Map();
  for (const file of files(srcDir)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const deps = new Set();
    for (const m of text.matchAll(SPEC)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.') || TYPE_ONLY.test(m[0].trim())) continue;
      deps.add(resolve(dirname(file), spec));
    }
    edges.set(
      file,
      [...deps].filter((d) => d !== file),
    );
  }
  // Tarjan's strongly connected components: every component of more than one module is a loop.
  let next = 0;
  const index = new Map(),
    low = new Map(),
    stack = [],
    onStack = new Set(),
    loops = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(relative(srcDir, w));
    } while (w !== v);
    if (component.length > 1)
      loops.push(`import loop: ${component.sort().join(' → ')} (each loads another at run time)`);
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return loops;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const bad = checkLayers(src);
  for (const l of bad) console.error(l);
  console.log(
    bad.length
      ? `check-layers: ${bad.length} violation(s)`
      : 'check-layers: every import goes down the layers, and no module loop',
  );
  process.exit(bad.length ? 1 : 0);
}
