#!/usr/bin/env node
// The lcd-webgpu command: the compiled CLI (dist/cli/main.js) in this very process, with plain node and no
// TypeScript loader, so start-up is fast and SIGINT/SIGTERM reach the work itself (there is no child process).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('lcd-webgpu: the compiled CLI (dist/) is missing; run `npm run build` (a clone builds it on `npm ci`)');
  process.exit(1);
}
await import(main.href);
