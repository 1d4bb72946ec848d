import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAgent } from './agent-options.js';
import { ConsulError } from './consul-error.js';
import { ConsulHttp, notBefore } from './consul-http.js';

const servers: Server[] = [];
const clients: ConsulHttp[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  listen: string | number = 0,
): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) =>
    typeof listen === 'string' ? server.listen(listen, r) : server.listen(0, '127.0.0.1', r),
  );
  return typeof listen === 'string'
    ? `unix://${listen}`
    : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(address: string, extra: Parameters<typeof resolveAgent>[0] = {}) {
  const c = new ConsulHttp(resolveAgent({ agentAddress: address, env: {}, ...extra }, 'test'));
  clients.push(c);
  return c;
}

describe('ConsulHttp', () => {
  it('sends the token as X-Consul-Token, flags by presence, and reads X-Consul-Index', async () => {
    let seen: IncomingMessage | undefined;
    const address = await serve((req, res) => {
      seen = req;
      res.setHeader('x-consul-index', '17');
      res.end('[]');
    });
    const res = await client(address, { token: 'secret-token' }).request({
      method: 'GET',
      path: '/v1/health/service/a',
      query: { passing: 'true', stale: true, tag: ['x', 'y'], dc: undefined },
    });
    expect(res).toMatchObject({ status: 200, index: 17, text: '[]' });
    expect(seen?.headers['x-consul-token']).toBe('secret-token');
    expect(seen?.url).toBe('/v1/health/service/a?passing=true&stale=&tag=x&tag=y');
  });

  it('rejects a non-2xx status with the body, the token redacted', async () => {
    const address = await serve((_req, res) => {
      res.statusCode = 403;
      res.end('Permission denied: token secret-token lacks service:read');
    });
    const error = (await client(address, { token: 'secret-token' })
      .request({ method: 'GET', path: '/v1/kv/x' })
      .catch((e: unknown) => e)) as ConsulError;
    expect(error).toBeInstanceOf(ConsulError);
    expect(error).toMatchObject({ kind: 'status', status: 403 });
    expect(error.message).toMatch(/HTTP 403: Permission denied: token <redacted> lacks/);
    expect(error.message).not.toContain('secret-token');
  });

  it('cuts off a body over maxBodyBytes with a clear error, without reading it all', async () => {
    let written = 0;
    const address = await serve((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.destroy());
      pump();
    });
    const error = (await client(address, { maxBodyBytes: 1024 * 1024 })
      .request({ method: 'GET', path: '/v1/health/service/a' })
      .catch((e: unknown) => e)) as ConsulError;
    expect(error).toMatchObject({ kind: 'too-large' });
    expect(error.message).toMatch(/over the 1048576-byte limit \(maxBodyBytes\)/);
    expect(written).toBeLessThan(50 * 1024 * 1024);
  });

  it('times out a blocking query after wait + wait/16 + requestTimeoutMs', async () => {
    const address = await serve(() => {});
    const started = performance.now();
    const error = (await client(address, { requestTimeoutMs: 100 })
      .request({ method: 'GET', path: '/v1/kv/x', waitMs: 160 })
      .catch((e: unknown) => e)) as ConsulError;
    const took = performance.now() - started;
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toMatch(/timed out after 270 ms/);
    expect(took).toBeGreaterThanOrEqual(250);
  });

  it('gives undici one coarse tick more above 1 s, and exact timeouts below', () => {
    expect(notBefore(270)).toBe(270);
    expect(notBefore(1_000)).toBe(1_000);
    expect(notBefore(1_263)).toBe(1_763);
  });

  it('reports a refused connection as a network error naming the agent', async () => {
    const address = await serve(() => {});
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const error = (await client(address)
      .request({ method: 'GET', path: '/v1/kv/x' })
      .catch((e: unknown) => e)) as ConsulError;
    expect(error).toMatchObject({ kind: 'network' });
    expect(error.message).toContain(address);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('talks to an agent on a unix socket', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'consul-sock-')), 'consul.sock');
    const address = await serve((req, res) => res.end(JSON.stringify(req.url)), path);
    const res = await client(address).request({ method: 'GET', path: '/v1/agent/self' });
    expect(JSON.parse(res.text)).toBe('/v1/agent/self');
  });
});
