// Drives the built web app (dist-app/, scripts/build-app.mjs) in headless Chromium (Debian's /usr/bin/chromium,
// SwiftShader WebGPU) through playwright-core, as a user would: fill the form, upload a file, hold out doubles,
// train, wait for the results, download the predictions. Screenshots go to `artifacts`.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Page, BrowserContext } from 'playwright-core';
import { CHROMIUM } from './run-smoke.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

/** A static server for `dir` on 127.0.0.1 (a secure context, as WebGPU needs). */
export async function serveDir(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = join(dir, (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : req.url!.split('?')[0]!);
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server };
}

export interface AppSession {
  page: Page;
  shot: (name: string) => Promise<void>;
  close: () => Promise<void>;
  /** The page's state object (layout, result without its byte arrays, error). */
  state: () => Promise<{ layout?: { doubles: string[]; cells: number; genes: number }; error?: string; done: boolean }>;
}

export async function openApp(dir: string, artifacts: string): Promise<AppSession> {
  const { url, server } = await serveDir(dir);
  mkdirSync(artifacts, { recursive: true });
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'lcd-app-'));
  const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--enable-unsafe-webgpu'],
  });
  const page = await ctx.newPage();
  await page.goto(url);
  return {
    page,
    shot: async (name) => {
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    },
    state: () =>
      page.evaluate(() => {
        const s = (globalThis as unknown as { lcdApp: { layout?: never; error?: string; result?: unknown } }).lcdApp;
        return { layout: s.layout, error: s.error, done: s.result !== undefined };
      }),
    close: async () => {
      await ctx.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
