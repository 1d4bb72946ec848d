import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What an instance does with a request now. `failing` answers 503 at once (its own dependency is
 * down); `dead` is a closed port: connections are refused, and those open when it died are reset.
 */
export type Mode = 'healthy' | 'slow' | 'flaky' | 'failing' | 'dead';

export interface BackendSettings {
  readonly slowMs: number;
  readonly flakyPercent: number;
}

/** One local instance of `payments`, whose behaviour the demo's scenario switches. */
export interface Instance {
  /** `#1`, `#2`, ...: the name the views use. */
  readonly name: string;
  readonly address: string;
  readonly mode: Mode;
  /** Requests that reached it, whoever sent them. */
  readonly received: number;
  setMode(mode: Mode): Promise<void>;
}

/** A small seeded generator (mulberry32), so two runs fail the same share the same way. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class LocalInstance implements Instance {
  readonly name: string;
  address = '';
  mode: Mode = 'healthy';
  received = 0;
  readonly #server: Server;
  readonly #settings: BackendSettings;
  readonly #random: () => number;
  // Answers waiting on a timer: cleared when the instance dies or the demo ends, so nothing
  // outlives the run.
  readonly #pending = new Set<NodeJS.Timeout>();
  #port = 0;

  constructor(index: number, settings: BackendSettings) {
    this.name = `#${index + 1}`;
    this.#settings = settings;
    this.#random = seeded(index + 1);
    this.#server = createServer((req, res) => this.#handle(req, res));
    // Keep-alive long enough that clients reuse connections: undici keeps a socket for the
    // server's hint minus 2 s, so a 2 s hint made every request a new connection. The demo
    // closes every connection when it ends, so a long one holds nothing open.
    this.#server.keepAliveTimeout = 30_000;
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.address = `127.0.0.1:${this.#port}`;
  }

  async setMode(mode: Mode): Promise<void> {
    if (mode === this.mode) return;
    const wasDead = this.mode === 'dead';
    this.mode = mode;
    if (mode === 'dead') await this.#stop();
    else if (wasDead) await this.listen(this.#port); // back on the same address, as a restart
  }

  async close(): Promise<void> {
    if (this.mode !== 'dead') await this.#stop();
  }

  async #stop(): Promise<void> {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.received++;
    req.resume();
    const answer = this.#answer();
    // No answer at all: the socket dies, as with a crashing process or a reset.
    if (answer === undefined) req.socket.destroy();
    else this.#after(answer.ms, res, answer.status);
  }

  #answer(): { ms: number; status: number } | undefined {
    switch (this.mode) {
      case 'healthy':
        return { ms: 2 + 4 * this.#random(), status: 200 };
      case 'slow':
        return { ms: this.#settings.slowMs, status: 200 };
      case 'failing':
        return { ms: 1, status: 503 };
      case 'flaky': {
        const r = this.#random() * 100;
        const failPercent = this.#settings.flakyPercent;
        // A quarter of its failures are resets.
        if (r < failPercent / 4) return undefined;
        return { ms: 2 + 4 * this.#random(), status: r < failPercent ? 503 : 200 };
      }
      case 'dead':
        // Only a request already parsed as it died gets here.
        return undefined;
    }
  }

  #after(ms: number, res: ServerResponse, status: number): void {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? `${this.name} charged` : `${this.name} unavailable`);
    }, ms);
    this.#pending.add(timer);
  }
}

export interface Instances {
  readonly instances: Instance[];
  close(): Promise<void>;
}

/** `count` instances of one service on 127.0.0.1, in this thread, all healthy to begin with. */
export async function startInstances(count: number, settings: BackendSettings): Promise<Instances> {
  const instances = Array.from({ length: count }, (_, i) => new LocalInstance(i, settings));
  await Promise.all(instances.map((i) => i.listen()));
  return {
    instances,
    close: async () => void (await Promise.all(instances.map((i) => i.close()))),
  };
}

/** What the worker is told, and what it answers (`ok` with the request's `id`). */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: 'start';
      readonly count: number;
      readonly settings: BackendSettings;
    }
  | { readonly id: number; readonly op: 'mode'; readonly index: number; readonly mode: Mode }
  | { readonly id: number; readonly op: 'close' };
/** Omit, once per member of a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
export type WorkerReply = {
  readonly id: number;
  readonly addresses?: string[];
  readonly error?: string;
};

/**
 * The same instances in a worker thread, as separate processes would be: their timers and
 * sockets do not queue behind the clients' work on one event loop, so the latency a client
 * measures is the instance's plus the network's, not the demo's own bookkeeping.
 */
export async function startInstancesInWorker(
  count: number,
  settings: BackendSettings,
): Promise<Instances> {
  // Run from the TypeScript source (tsx, vitest), a worker could not load its TypeScript entry
  // on Node 20: the instances share the thread, which only the figures' noise notices.
  if (import.meta.url.endsWith('.ts')) return startInstances(count, settings);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(new URL('./backends-worker.js', import.meta.url));
  const waiting = new Map<number, (reply: WorkerReply) => void>();
  let nextId = 0;
  worker.on('message', (reply: WorkerReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {});
  const ask = (request: WithoutId<WorkerRequest>): Promise<WorkerReply> => {
    const id = nextId++;
    const reply = new Promise<WorkerReply>((resolve) => waiting.set(id, resolve));
    worker.postMessage({ ...request, id });
    return Promise.race([reply, failed]).then((r) => {
      if (r.error !== undefined) throw new Error(`demo backends: ${r.error}`);
      return r;
    });
  };
  const { addresses = [] } = await ask({ op: 'start', count, settings });
  const instances = addresses.map((address, index): Instance => {
    const instance = {
      name: `#${index + 1}`,
      address,
      mode: 'healthy' as Mode,
      received: 0,
      async setMode(mode: Mode) {
        if (mode === instance.mode) return;
        instance.mode = mode;
        await ask({ op: 'mode', index, mode });
      },
    };
    return instance;
  });
  return {
    instances,
    close: async () => {
      await ask({ op: 'close' });
      await worker.terminate();
    },
  };
}
