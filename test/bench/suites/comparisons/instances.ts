/**
 * The parent's side of `instances-main.ts`: four (or `n`) HTTP instances in a child process,
 * behaviours set per slice, requests counted per instance.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Behaviour {
  /** Fixed wait before answering, ms. */
  readonly delayMs: number;
  /** Extra wait drawn uniformly from [0, jitterMs), ms. */
  readonly jitterMs: number;
  /** Status of every answer. */
  readonly status: number;
}

export type Command =
  | { readonly id: number; readonly op: 'set'; readonly behaviours: readonly Behaviour[] }
  | { readonly id: number; readonly op: 'counts' | 'reset' };

/** A command as the parent writes it; the id is added when it is sent. */
type Ask = Command extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

export interface Reply {
  readonly id: number;
  readonly ports?: readonly number[];
  readonly counts?: readonly number[];
}

export interface Instances {
  readonly ports: readonly number[];
  /** `127.0.0.1:<port>` per instance. */
  readonly addresses: readonly string[];
  set(behaviours: readonly Behaviour[]): Promise<void>;
  /** Requests received per instance since the last reset. */
  counts(): Promise<readonly number[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./instances-main.ts', import.meta.url));
/** The test package, where `--import tsx` resolves. */
const TEST_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function startInstances(n = 4): Promise<Instances> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, String(n)], {
    cwd: TEST_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (reply: Reply) => void>();
  child.on('message', (reply: Reply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  let nextId = 1;
  const ask = (command: Ask): Promise<Reply> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error('bench instances have exited'));
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ ...command, id });
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const ports = await new Promise<readonly number[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bench instances did not start in 15 s')),
      15_000,
    );
    pending.set(0, (reply) => {
      clearTimeout(timer);
      resolve(reply.ports ?? []);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench instances exited early (${code})`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    ports,
    addresses: ports.map((p) => `127.0.0.1:${p}`),
    set: async (behaviours) => {
      await ask({ op: 'set', behaviours });
    },
    counts: async () => (await ask({ op: 'counts' })).counts ?? [],
    reset: async () => {
      await ask({ op: 'reset' });
    },
    stop,
  };
}
