// A real Redis for the queue's tests: Debian's redis-server on 127.0.0.1, a free port and a temporary directory
// (append-only file on, so a restart keeps the queue), stopped after. Absent redis-server: the tests skip with one
// line, or fail under CI (where .ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync) ?? null;
export const requireRedis = process.env.CI === 'true';
if (!REDIS_SERVER && !requireRedis) console.warn('redis-server not found: the job-queue tests are skipped');

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

export interface TestRedis {
  url: string;
  port: number;
  /** Stop the server (SIGTERM: it writes its append-only file) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start it again on the same port and directory. */
  start(): Promise<void>;
  /** Stop it for good and remove its directory. */
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort(),
    dir = mkdtempSync(join(tmpdir(), 'redis-'));
  let proc: ChildProcess | null = null;
  const ping = () =>
    spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';
  const start = async () => {
    proc = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100 && !ping(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!ping()) throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
