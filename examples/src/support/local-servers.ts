/**
 * Small HTTP servers on 127.0.0.1 (a free port each) for the runnable examples: every example
 * starts its own, so it runs on a fresh clone with nothing else installed, and closes them.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  /** `127.0.0.1:port`, as discovery takes it. */
  readonly address: string;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener): Promise<LocalServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A backend answering every request with its own name, after `delayMs`. */
export function named(name: string, delayMs = 0): RequestListener {
  return (_req, res) => {
    setTimeout(() => {
      res.setHeader('content-type', 'text/plain');
      res.end(name);
    }, delayMs);
  };
}

/** How many times each answer came back. */
export function tally(answers: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
  return counts;
}
