/** Real `node:http` backends on 127.0.0.1 port 0 for the HTTP integration tests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Discovery,
  type DiscoveryListener,
  type Endpoint,
  endpoint,
  parseHostPort,
} from '@outrigger/core';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterEach } from 'vitest';

export interface Backend {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:<port>`, for `discovery`. */
  readonly address: string;
  hits: number;
  readonly sockets: Set<Socket>;
  /** Resolves once no connection to this backend is open. */
  drained(): Promise<void>;
}

const open: Server[] = [];

export async function backend(
  handler: (req: IncomingMessage, res: ServerResponse, b: Backend) => void,
  server: Server = createServer(),
): Promise<Backend> {
  const sockets = new Set<Socket>();
  let onDrained: (() => void) | undefined;
  const b = { server, hits: 0, sockets } as Backend & { port: number; address: string };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) onDrained?.();
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    b.hits++;
    handler(req, res, b);
  });
  b.drained = () =>
    sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onDrained = resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push(server);
  b.port = (server.address() as AddressInfo).port;
  b.address = `127.0.0.1:${b.port}`;
  return b;
}

/** A port nobody listens on: connection refused. */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export async function closeBackends(): Promise<void> {
  const servers = open.splice(0);
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
}

/** Resolves true if the server saw the request closed before it answered. */
export function sawAborted(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => res.on('close', () => resolve(!res.writableEnded)));
}

/** A Discovery the test moves by hand. */
export class ManualDiscovery implements Discovery {
  readonly #listeners = new Set<DiscoveryListener>();
  #endpoints: Endpoint[] | undefined;
  closed = false;

  constructor(addresses: string[]) {
    this.set(addresses);
  }

  set(addresses: string[]): void {
    this.#endpoints = addresses.map((a) => endpoint(parseHostPort(a)!));
    for (const l of this.#listeners) l.onEndpoints(this.#endpoints);
  }

  subscribe(_service: string, listener: DiscoveryListener): () => void {
    this.#listeners.add(listener);
    if (this.#endpoints) listener.onEndpoints(this.#endpoints);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * A client factory for one test file: every client it made is closed, and every backend
 * stopped, after each test.
 */
export function trackedClients(): (options: Parameters<typeof createHttpClient>[0]) => HttpClient {
  let clients: HttpClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await closeBackends();
  });
  return (options) => {
    const c = createHttpClient(options);
    clients.push(c);
    return c;
  };
}
