/**
 * The sidecar comparison: raw undici through a local HAProxy hop. HAProxy is installed by the
 * bench itself if it can be (`apt-get update && apt-get install -y haproxy`, as the project's
 * own files must install what they need); if that fails, the variant is left out with the reason.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sidecar {
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs HAProxy when missing; returns why not when it cannot. */
export function ensureHaproxy(): string | undefined {
  if (has('haproxy')) return undefined;
  if (process.getuid?.() !== 0)
    return 'haproxy is not installed and the bench is not running as root';
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 120_000 });
    execFileSync('apt-get', ['install', '-y', 'haproxy'], {
      stdio: 'ignore',
      env,
      timeout: 180_000,
    });
  } catch (error) {
    return `apt-get install -y haproxy failed: ${(error as Error).message.split('\n')[0]}`;
  }
  return has('haproxy') ? undefined : 'haproxy still not on PATH after apt-get install';
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startSidecar(backendPort: number): Promise<Sidecar> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4096',
      '  nbthread 1',
      'defaults',
      '  mode http',
      '  option http-keep-alive',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend sidecar',
      `  bind 127.0.0.1:${port}`,
      '  default_backend app',
      'backend app',
      '  http-reuse always',
      `  server app1 127.0.0.1:${backendPort}`,
      '',
    ].join('\n'),
  );
  const version = execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0] ?? 'haproxy';
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' });
  await waitForPort(port, child);
  return {
    port,
    version,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves once `port` accepts connections; throws if `child` exits first, or after ~10 s. */
export async function waitForPort(
  port: number,
  child: ChildProcess,
  stderr: () => string = () => '',
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      throw new Error(`haproxy exited (${child.exitCode}): ${stderr().trim().split('\n').pop()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('haproxy did not accept connections within 10 s');
}
