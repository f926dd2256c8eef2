// Where the queue lives: a Redis URL, redis://[user:password@]host:port[/db] (rediss:// for TLS), as users write it
// for every other Redis client. BullMQ connects with ioredis; `maxRetriesPerRequest: null` makes a command wait for a
// lost server to come back instead of failing, so a Redis restart pauses a run rather than ending it.
import type { ConnectionOptions } from 'bullmq';
import { InputError } from '../../core/errors.ts';

export function queueConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid://');
  }
  const db = u.pathname.replace(/^\//, '');
  if (!['redis:', 'rediss:'].includes(u.protocol) || !u.hostname || (db !== '' && !/^\d+$/.test(db)))
    throw new InputError(
      `--queue '${redactedUrl(url)}': not a Redis URL; write redis://[user:password@]host:port[/db], e.g. redis://127.0.0.1:6379`,
    );
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    // one line per outage from the caller, not ioredis's own retry log; reconnect at most every 2 s
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/**
 * One line when the connection of `client` (a queue or a worker) to Redis is lost, however many errors follow, and
 * one when it is back: call the returned function whenever a command has gone through.
 */
export function reportOutages(
  client: { on(event: 'error', f: (e: Error) => void): unknown },
  where: string,
  log: (line: string) => void,
): () => void {
  let down = false;
  client.on('error', (e: Error) => {
    if (down) return;
    down = true;
    log(`warning: lost the connection to Redis at ${where} (${e.message}); waiting for it to come back`);
  });
  return () => {
    if (down) log(`Redis at ${where} is back`);
    down = false;
  };
}
