/**
 * gRPC test servers in child processes: a server the test can SIGKILL looks, to the client, just
 * like an instance that died (connections reset, nothing more answers), which an in-process
 * server shut down politely does not. The bench uses them too, so the server's CPU is not the
 * client's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EchoBehaviour } from './test-service.js';

export type GrpcServerKind = 'test' | 'echo';

export interface SpawnOptions {
  /** Listen on this port (to bring a killed instance back where it was); 0 by default. */
  port?: number;
  /** For `echo`: the behaviour, minus `onCall`, which cannot cross a process boundary. */
  behaviour?: Omit<EchoBehaviour, 'onCall'>;
}

export interface SpawnedServer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** Signals the child (SIGKILL by default: a dead instance) and resolves with `exited`. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** The exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
}

/** A child that has not printed its port by then is stuck (tsx compiles in well under 1 s). */
const START_TIMEOUT_MS = 15_000;

const MAIN = fileURLToPath(new URL('./server-main.ts', import.meta.url));
/** The test package, where `--import tsx` resolves. */
const TEST_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const live = new Set<ChildProcess>();
let hooked = false;

/** Starts a TestService (`test`) or Echo (`echo`) server in a child process on 127.0.0.1. */
export async function spawnGrpcServer(
  kind: GrpcServerKind,
  options: SpawnOptions = {},
): Promise<SpawnedServer> {
  if (!hooked) {
    hooked = true;
    // Last resort; the child also exits when its stdin (this process's end of a pipe) closes.
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, kind, JSON.stringify(options)], {
    cwd: TEST_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`gRPC ${kind} server exited (${code}) before listening`));
      };
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        reject(new Error(`gRPC ${kind} server did not start in ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.once('exit', onExit);
      lines.once('line', (line) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        try {
          resolve((JSON.parse(line) as { port: number }).port);
        } catch {
          reject(new Error(`gRPC ${kind} server printed ${JSON.stringify(line)}, not its port`));
        }
      });
    });
    // Later output is not ours to parse, but must be read so the child never blocks on it.
    lines.close();
    child.stdout!.resume();
    return {
      address: `127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      exited,
      kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Kills every server spawned here that is still running, and waits for them to exit. */
export async function killGrpcServers(): Promise<void> {
  const exits = [...live].map(
    (child) => new Promise<void>((resolve) => child.once('exit', () => resolve())),
  );
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(exits);
}
