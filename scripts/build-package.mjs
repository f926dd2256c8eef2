#!/usr/bin/env node
// Builds the published package into dist/: compiled ESM JavaScript, declarations and source maps from src/
// (tsconfig.build.json). TypeScript rewrites relative `.ts` import paths to `.js` in the JavaScript but keeps them
// in the declarations, where a consumer's NodeNext resolution rejects them (TS5097); the same rewrite is applied
// to the .d.ts files here, and the build fails if any `.ts` specifier is left.
// Plain node (no tsx), so `npm run build` works wherever TypeScript is installed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

const files = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;
let rewritten = 0;
for (const f of files(dist)) {
  if (!f.endsWith('.d.ts') && !f.endsWith('.js')) continue;
  const src = readFileSync(f, 'utf8');
  const out = src.replace(relativeTs, (_m, a, p, b) => {
    rewritten++;
    return `${a}${p}.js${b}`;
  });
  if (out !== src) writeFileSync(f, out);
  const left = out.match(/(?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]+\.ts['"]/);
  if (left) throw new Error(`build-package: ${f} still imports a .ts path (${left[0]})`);
}
console.log(
  `build-package: dist/ written (${files(dist).length} files; ${rewritten} declaration import paths rewritten to .js)`,
);
