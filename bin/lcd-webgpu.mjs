#!/usr/bin/env node
// The lcd-webgpu command: the compiled CLI (dist/cli/main.js) in a child process watched by a small supervisor
// (dist/cli/supervisor.js), so a native crash in the GPU runtime becomes a clear message with the resume line,
// signals reach the work exactly once, and Dawn's start-up notices stay out of the terminal. Plain node, no
// TypeScript loader. LCD_WEBGPU_IN_PROCESS=1 runs the CLI in this very process instead (for debuggers).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('lcd-webgpu: the compiled CLI (dist/) is missing; run `npm run build` (a clone builds it on `npm ci`)');
  process.exit(1);
}
if (process.env.LCD_WEBGPU_IN_PROCESS === '1') await import(main.href);
else {
  const { supervise } = await import(new URL('../dist/cli/supervisor.js', import.meta.url).href);
  process.exitCode = await supervise(fileURLToPath(main), process.argv.slice(2));
}
