/**
 * A local HAProxy for the comparison suites, with a config generated per use: one frontend on a
 * free 127.0.0.1 port, one backend over the given servers, `mode http` with keep-alive on both
 * sides, HTTP/1.1 or HTTP/2 (h2c, for gRPC). Installing it is `ensureHaproxy`'s job (shared with
 * the HTTP suite); here it is started with `-db` (foreground, so it is our child and dies with a
 * SIGTERM we send) and stopped by `stop()`, which waits for it to exit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHaproxy, freePort, waitForPort } from '../http/haproxy.js';

export interface HaproxyOptions {
  /** Server ports on 127.0.0.1, in order. */
  readonly servers: readonly number[];
  /** HAProxy's `balance` algorithm. Default `roundrobin`. */
  readonly balance?: 'roundrobin' | 'leastconn';
  /** `proto h2` on both sides (gRPC); HTTP/1.1 keep-alive otherwise. */
  readonly h2?: boolean;
}

export interface Haproxy {
  readonly port: number;
  stop(): Promise<void>;
}

let started = 0;
/** Every HAProxy started here and not yet stopped: killed if this process exits regardless. */
const live = new Set<ChildProcess>();

/** `haproxy -v`'s first line, or why HAProxy cannot be had (after trying to install it). */
export function haproxyVersion(): { version?: string; unavailable?: string } {
  const why = ensureHaproxy();
  if (why) return { unavailable: why };
  try {
    const line = execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0];
    return { version: line?.trim() ?? 'haproxy' };
  } catch (error) {
    return { unavailable: `haproxy -v failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-bench-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  const proto = options.h2 ? ' proto h2' : '';
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 8192',
      // One thread: a sidecar gets a slice of the pod, not the machine; and on two shared cores
      // more threads would only fight the client and the backend for them.
      '  nbthread 1',
      'defaults',
      '  mode http',
      '  option http-keep-alive',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend bench',
      `  bind 127.0.0.1:${port}${proto}`,
      '  default_backend pool',
      'backend pool',
      `  balance ${options.balance ?? 'roundrobin'}`,
      '  http-reuse always',
      ...options.servers.map((p, i) => `  server s${i} 127.0.0.1:${p}${proto}`),
      '',
    ].join('\n'),
  );
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  live.add(child);
  if (started++ === 0) {
    const killAll = () => {
      for (const c of live) c.kill('SIGKILL');
    };
    process.once('exit', killAll);
    // A bench stopped by a signal emits no 'exit': kill HAProxy, then die of the same signal.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killAll();
        process.kill(process.pid, signal);
      });
    }
  }
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // A HAProxy that ignores SIGTERM for 5 s is killed: the bench never leaves one behind.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(port, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}
