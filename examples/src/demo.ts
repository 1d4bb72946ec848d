/**
 * `npm run demo`: the smallest end-to-end Outrigger call over real loopback sockets.
 *
 * It starts a local backend on 127.0.0.1, resolves a client configuration (defaults, the
 * environment and code, with sources), and sends calls through a pipeline whose policy derives
 * each call's deadline from the CallContext and cancels the socket when it expires.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CallContext,
  describeClient,
  namedPolicy,
  pipeline,
  resolveConfig,
  type Service,
  TimeoutError,
} from '@outrigger/core';

const backend = createServer((req, res) => {
  const delay = req.url === '/slow' ? 300 : 5;
  const timer = setTimeout(() => res.end(`hello from ${req.url}`), delay);
  req.on('close', () => clearTimeout(timer));
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const { port } = backend.address() as AddressInfo;

const resolved = resolveConfig({
  service: 'greeter',
  discovery: [`127.0.0.1:${port}`],
  timeout: { totalMs: 100 },
});
console.log(describeClient(resolved.config, resolved.describe()), '\n');

const { timeout } = resolved.config;
const totalMs = timeout ? timeout.totalMs : Number.POSITIVE_INFINITY;

/** Enforces the deadline the context carries: expiry aborts the request on the wire. */
const deadline = namedPolicy(
  'deadline',
  <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
    (req, ctx) => {
      const scoped = ctx.withTimeout(totalMs);
      const timer = setTimeout(
        () =>
          scoped.cancellation.abort(
            new TimeoutError({ service: ctx.service, timeoutMs: totalMs, kind: 'total' }),
          ),
        scoped.remainingMs(),
      );
      return next(req, scoped).finally(() => clearTimeout(timer));
    },
);

const get: Service<string, string> = async (path: string, ctx: CallContext) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: ctx.signal });
  return res.text();
};
const greeter = pipeline(deadline)(get);

for (const path of ['/fast', '/slow']) {
  const started = performance.now();
  try {
    const body = await greeter(path, { service: 'greeter', operation: `GET ${path}` });
    console.log(`GET ${path} -> "${body}" in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    const reason = error instanceof TimeoutError ? error : ((error as Error).cause ?? error);
    console.log(
      `GET ${path} -> ${(reason as Error).message} (after ${Math.round(performance.now() - started)} ms)`,
    );
  }
}
backend.close();
