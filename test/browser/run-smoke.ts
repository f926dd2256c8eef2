// Bundles smoke-entry.ts with esbuild, serves it on 127.0.0.1 and runs it in headless Chromium through
// playwright-core (Debian's /usr/bin/chromium; no browser download). Returns the page's result object.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = () => existsSync(CHROMIUM);
/** The shared real-data file, served to the page as /data.h5ad when present. */
export const SHARED_H5AD = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/data/norman19_mcfaline23_devel.h5ad',
);

export async function runBrowserSmoke(): Promise<{
  info?: { description: string; software: boolean };
  results?: Record<string, number>;
  library?: Record<string, unknown>;
  error?: string;
}> {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundle = await build({
    entryPoints: [join(here, 'smoke-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/smoke.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/smoke.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
    } else if (req.url === '/data.h5ad') {
      if (existsSync(SHARED_H5AD)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(readFileSync(SHARED_H5AD));
      } else {
        res.writeHead(404);
        res.end();
      }
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'lcd-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--enable-unsafe-webgpu',
    ],
  });
  try {
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (globalThis as { smokeResult?: unknown }).smokeResult !== undefined, undefined, {
      timeout: 120_000,
    });
    return await page.evaluate(() => (globalThis as unknown as { smokeResult: Promise<never> }).smokeResult);
  } finally {
    await ctx.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await runBrowserSmoke(), null, 2));
}
