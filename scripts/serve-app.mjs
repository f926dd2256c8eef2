#!/usr/bin/env node
// Serves the built web app (dist-app/, `npm run build`) on http://127.0.0.1:<port>/ with esbuild's static server.
// WebGPU needs a secure context: localhost is one. Usage: npm run serve [-- --port 8080]
import { context } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist-app');
if (!existsSync(join(dir, 'index.html'))) {
  console.error('serve-app: dist-app/ is missing; run `npm run build` first');
  process.exit(1);
}
const at = process.argv.indexOf('--port');
const port = at > 0 ? Number(process.argv[at + 1]) : 8080;
const ctx = await context({});
const { hosts, port: p } = await ctx.serve({ servedir: dir, port, host: '127.0.0.1' });
console.log(`lcd-webgpu app: http://${hosts[0] ?? '127.0.0.1'}:${p}/  (Ctrl-C to stop)`);
