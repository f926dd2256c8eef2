#!/usr/bin/env node
// Builds the web app (src/app/) into dist-app/ as static files: index.html, app.js (the page, with Vega for the
// plots) and worker.js (the engine and the pipeline), plus the embedding example (embed.html, embed.js), bundled
// and minified by esbuild. Any static file server
// serves it (`npm run serve`); no server code. Prints each file's size and its gzip size.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Build into `out` (default dist-app); returns { file: { bytes, gzip } }. */
export async function buildApp(out = join(root, 'dist-app'), { quiet = false } = {}) {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      app: join(root, 'src/app/main.ts'),
      worker: join(root, 'src/app/worker.ts'),
      embed: join(root, 'src/app/embed.ts'),
    },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: quiet ? 'silent' : 'warning',
  });
  for (const page of ['index.html', 'embed.html']) copyFileSync(join(root, 'src/app', page), join(out, page));
  const sizes = {};
  for (const f of readdirSync(out)) {
    const p = join(out, f);
    if (!statSync(p).isFile()) continue;
    const b = readFileSync(p);
    sizes[f] = { bytes: b.length, gzip: gzipSync(b).length };
  }
  if (!quiet)
    console.log(
      `build-app: ${out}: ` +
        Object.entries(sizes)
          .map(([f, s]) => `${f} ${(s.bytes / 1024).toFixed(0)} kB (gzip ${(s.gzip / 1024).toFixed(0)} kB)`)
          .join(', '),
    );
  return sizes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildApp();
