import { endpointsFromHealth } from '@outrigger/discovery-consul';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsulDouble } from './consul-double.js';
import {
  DOCUMENTED_BLOCKING_HEADERS,
  DOCUMENTED_HEALTH_SERVICE,
  DOCUMENTED_KV_READ,
  shapeDifferences,
} from './documented-shapes.js';

let doubles: ConsulDouble[] = [];
afterEach(async () => {
  await Promise.all(doubles.map((d) => d.close()));
  doubles = [];
});

async function start(options: ConstructorParameters<typeof ConsulDouble>[0] = {}) {
  const d = await ConsulDouble.start(options);
  doubles.push(d);
  return d;
}

async function get(d: ConsulDouble, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${d.address}${path}`, { headers });
  return {
    status: res.status,
    headers: res.headers,
    text: await res.text(),
    index: Number(res.headers.get('x-consul-index')),
  };
}

async function put(d: ConsulDouble, path: string, body = '', headers: Record<string, string> = {}) {
  const res = await fetch(`${d.address}${path}`, { method: 'PUT', body, headers });
  return { status: res.status, text: await res.text() };
}

describe('the Consul double against the documented shapes', () => {
  it('serves /v1/health/service entries with every documented field and type', async () => {
    const d = await start();
    d.addInstance({
      id: 'redis',
      name: 'redis',
      port: 8000,
      address: '10.1.10.12',
      tags: ['primary'],
      meta: { redis_version: '4.0' },
      taggedAddresses: { wan: { Address: '198.18.1.2', Port: 80 } },
    });
    const res = await get(d, '/v1/health/service/redis');
    expect(shapeDifferences(DOCUMENTED_HEALTH_SERVICE, JSON.parse(res.text))).toEqual([]);
    for (const h of DOCUMENTED_BLOCKING_HEADERS) expect(res.headers.get(h)).not.toBeNull();
  });

  it('serves a KV read with every documented field, the value base64', async () => {
    const d = await start();
    d.putKv('zip', 'test');
    const res = await get(d, '/v1/kv/zip');
    const body = JSON.parse(res.text);
    expect(shapeDifferences(DOCUMENTED_KV_READ, body)).toEqual([]);
    expect(body[0].Value).toBe('dGVzdA==');
    expect(res.index).toBe(body[0].ModifyIndex);
  });

  it('the package maps the documented sample itself (tagged addresses included)', () => {
    const [e] = endpointsFromHealth(DOCUMENTED_HEALTH_SERVICE);
    expect(e).toMatchObject({ id: 'foobar/redis', host: '10.1.10.12', port: 8000, weight: 10 });
    expect(
      endpointsFromHealth(DOCUMENTED_HEALTH_SERVICE, { taggedAddress: 'wan' })[0],
    ).toMatchObject({
      host: '198.18.1.2',
      port: 80,
    });
  });
});

describe('blocking queries', () => {
  it('holds a query until the resource changes past the index, then answers with the new index', async () => {
    const d = await start();
    d.addInstance({ id: 'a', name: 'web', port: 1 });
    const first = await get(d, '/v1/health/service/web');
    const started = performance.now();
    const pending = get(d, `/v1/health/service/web?index=${first.index}&wait=5s`);
    setTimeout(() => d.addInstance({ id: 'b', name: 'web', port: 2 }), 100);
    const second = await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(second.index).toBeGreaterThan(first.index);
    expect(JSON.parse(second.text)).toHaveLength(2);
  });

  it('answers with the same index after wait (plus at most wait/16) when nothing changed', async () => {
    const d = await start();
    d.addInstance({ id: 'a', name: 'web', port: 1 });
    const first = await get(d, '/v1/health/service/web');
    const started = performance.now();
    const again = await get(d, `/v1/health/service/web?index=${first.index}&wait=160ms`);
    const took = performance.now() - started;
    expect(again.index).toBe(first.index);
    expect(took).toBeGreaterThanOrEqual(155);
    expect(took).toBeLessThan(160 + 10 + 150);
  });

  it('an unrelated service changing does not wake a watcher; an index in the past answers at once', async () => {
    const d = await start();
    d.addInstance({ id: 'a', name: 'web', port: 1 });
    const first = await get(d, '/v1/health/service/web');
    const pending = get(d, `/v1/health/service/web?index=${first.index}&wait=300ms`);
    await d.untilWaiting();
    d.addInstance({ id: 'x', name: 'other', port: 1 });
    expect((await pending).index).toBe(first.index);
    const started = performance.now();
    await get(d, `/v1/health/service/web?index=${first.index - 1}&wait=5s`);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses a wait it cannot parse', async () => {
    const d = await start();
    expect((await get(d, '/v1/health/service/web?index=5&wait=soon')).status).toBe(400);
  });
});

describe('health filtering', () => {
  it('passing keeps only instances whose every check passes; without it all are listed with their checks', async () => {
    const d = await start();
    d.addInstance({ id: 'ok', name: 'web', port: 1 });
    d.addInstance({ id: 'warn', name: 'web', port: 2, status: 'warning' });
    d.addInstance({ id: 'down', name: 'web', port: 3, status: 'critical' });
    const ids = async (q: string) =>
      (
        JSON.parse((await get(d, `/v1/health/service/web${q}`)).text) as {
          Service: { ID: string };
        }[]
      )
        .map((e) => e.Service.ID)
        .sort();
    expect(await ids('?passing')).toEqual(['ok']);
    expect(await ids('?passing=true')).toEqual(['ok']);
    expect(await ids('?passing=false')).toEqual(['down', 'ok', 'warn']);
    expect(await ids('')).toEqual(['down', 'ok', 'warn']);
  });

  it('tags (all must match), filter expressions, namespace and datacenter', async () => {
    const d = await start();
    d.addInstance({ id: 'a', name: 'web', port: 1, tags: ['v1', 'blue'], meta: { version: 'v1' } });
    d.addInstance({ id: 'b', name: 'web', port: 2, tags: ['v2', 'blue'], meta: { version: 'v2' } });
    d.addInstance({
      id: 'c',
      name: 'web',
      port: 3,
      tags: ['v2'],
      meta: { version: 'v2' },
      namespace: 'team',
    });
    const ids = async (q: string) =>
      (
        JSON.parse((await get(d, `/v1/health/service/web?${q}`)).text) as {
          Service: { ID: string };
        }[]
      )
        .map((e) => e.Service.ID)
        .sort();
    expect(await ids('tag=blue')).toEqual(['a', 'b']);
    expect(await ids('tag=blue&tag=v2')).toEqual(['b']);
    const f = (expr: string) => `filter=${encodeURIComponent(expr)}`;
    expect(await ids(f('Service.Meta.version == "v2"'))).toEqual(['b']);
    expect(await ids(f('Service.Meta.version != "v2"'))).toEqual(['a']);
    expect(await ids(f('"v1" in Service.Tags or Service.Port == 2'))).toEqual(['a', 'b']);
    expect(
      await ids(f('Service.Tags contains "blue" and not (Service.Meta.version == "v1")')),
    ).toEqual(['b']);
    expect(await ids(f('"v1" not in Service.Tags'))).toEqual(['b']);
    expect(await ids(f('Service.Meta is not empty'))).toEqual(['a', 'b']);
    expect(await ids('ns=team')).toEqual(['c']);
    const unsupported = await get(
      d,
      `/v1/health/service/web?${f('Service.Meta.version matches "v.*"')}`,
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.text).toMatch(/Failed to create boolean expression evaluator/);
    expect((await get(d, '/v1/health/service/web?dc=dc9')).status).toBe(500);
  });

  it('reports the consistency mode and the agent cache as documented', async () => {
    const d = await start();
    const h = async (q: string) => (await get(d, `/v1/health/service/web${q}`)).headers;
    expect((await h('')).get('x-consul-effective-consistency')).toBe('leader');
    expect((await h('?stale')).get('x-consul-effective-consistency')).toBe('stale');
    expect((await h('?consistent')).get('x-consul-effective-consistency')).toBe('consistent');
    expect((await h('?cached')).get('x-cache')).toBe('MISS');
    const hit = await h('?cached');
    expect(hit.get('x-cache')).toBe('HIT');
    expect(hit.get('age')).toBe('0');
  });
});

describe('agent registration and checks', () => {
  it('registers with a TTL check that goes critical when not heartbeated, and reaps it after DeregisterCriticalServiceAfter', async () => {
    const d = await start({ minDeregisterMs: 0, reapIntervalMs: 20 });
    const reg = await put(
      d,
      '/v1/agent/service/register',
      JSON.stringify({
        ID: 'api-1',
        Name: 'api',
        Port: 8080,
        Check: { TTL: '150ms', Status: 'passing', DeregisterCriticalServiceAfter: '200ms' },
      }),
    );
    expect(reg.status).toBe(200);
    expect(d.check('service:api-1')).toMatchObject({ Status: 'passing', Type: 'ttl' });
    expect((await put(d, '/v1/agent/check/pass/service:api-1?note=alive')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(d.check('service:api-1')).toMatchObject({ Status: 'critical', Output: 'TTL expired' });
    await new Promise((r) => setTimeout(r, 300));
    expect(d.instances('api')).toEqual([]);
  });

  it('pass/warn/fail/update a TTL check; unknown checks are 404, non-TTL checks 500; bad bodies 400', async () => {
    const d = await start();
    await put(
      d,
      '/v1/agent/service/register',
      JSON.stringify({ ID: 'a', Name: 'api', Port: 1, Check: { TTL: '10s' } }),
    );
    expect(d.check('service:a')?.Status).toBe('critical');
    await put(d, '/v1/agent/check/warn/service:a?note=slow');
    expect(d.check('service:a')).toMatchObject({ Status: 'warning', Output: 'slow' });
    await put(
      d,
      '/v1/agent/check/update/service:a',
      JSON.stringify({ Status: 'passing', Output: 'fine' }),
    );
    expect(d.check('service:a')).toMatchObject({ Status: 'passing', Output: 'fine' });
    expect(
      (await put(d, '/v1/agent/check/update/service:a', JSON.stringify({ Status: 'great' })))
        .status,
    ).toBe(400);
    expect((await put(d, '/v1/agent/check/pass/nope')).status).toBe(404);
    await put(
      d,
      '/v1/agent/service/register',
      JSON.stringify({
        ID: 'h',
        Name: 'api',
        Port: 1,
        Check: { HTTP: 'http://127.0.0.1:1/', Interval: '10s' },
      }),
    );
    expect((await put(d, '/v1/agent/check/pass/service:h')).status).toBe(500);
    expect((await put(d, '/v1/agent/service/register', JSON.stringify({ Port: 1 }))).status).toBe(
      400,
    );
    expect(
      (
        await put(
          d,
          '/v1/agent/service/register',
          JSON.stringify({ Name: 'x', Check: { HTTP: 'http://x/' } }),
        )
      ).status,
    ).toBe(400);
  });

  it('maintenance mode adds a critical check; deregister removes the instance; both wake watchers', async () => {
    const d = await start();
    await put(
      d,
      '/v1/agent/service/register',
      JSON.stringify({ ID: 'a', Name: 'api', Port: 1, Check: { TTL: '10s', Status: 'passing' } }),
    );
    const before = await get(d, '/v1/health/service/api?passing');
    const pending = get(d, `/v1/health/service/api?passing&index=${before.index}&wait=5s`);
    await d.untilWaiting();
    await put(d, '/v1/agent/service/maintenance/a?enable=true&reason=draining');
    expect(JSON.parse((await pending).text)).toEqual([]);
    expect((await put(d, '/v1/agent/service/deregister/a')).status).toBe(200);
    expect(d.instances('api')).toEqual([]);
    expect((await put(d, '/v1/agent/service/deregister/a')).status).toBe(404);
  });

  it('probes an HTTP check against the service', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_q, s) => {
      s.statusCode = 503;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const d = await start();
    await put(
      d,
      '/v1/agent/service/register',
      JSON.stringify({
        ID: 'h',
        Name: 'api',
        Port: port,
        Check: { HTTP: `http://127.0.0.1:${port}/`, Interval: '50ms', Status: 'passing' },
      }),
    );
    for (let i = 0; i < 40 && d.check('service:h')?.Status !== 'critical'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(d.check('service:h')).toMatchObject({
      Status: 'critical',
      Output: expect.stringMatching(/503/),
    });
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('KV', () => {
  it('PUT, GET (JSON and raw), blocking GET woken by a write, 404 with an index, DELETE', async () => {
    const d = await start();
    expect((await put(d, '/v1/kv/config/routes', '[1]')).text).toBe('true');
    const first = await get(d, '/v1/kv/config/routes');
    expect((await get(d, '/v1/kv/config/routes?raw')).text).toBe('[1]');
    const pending = get(d, `/v1/kv/config/routes?index=${first.index}&wait=5s`);
    await d.untilWaiting();
    await put(d, '/v1/kv/config/other', 'x');
    await put(d, '/v1/kv/config/routes', '[2]');
    const second = await pending;
    expect(Buffer.from(JSON.parse(second.text)[0].Value, 'base64').toString()).toBe('[2]');
    expect(second.index).toBeGreaterThan(first.index);
    expect((await fetch(`${d.address}/v1/kv/config/routes`, { method: 'DELETE' })).status).toBe(
      200,
    );
    const missing = await get(d, '/v1/kv/config/routes');
    expect(missing.status).toBe(404);
    expect(missing.index).toBeGreaterThan(0);
  });
});

describe('ACLs', () => {
  it('refuses a request without the token (403 Permission denied) and accepts X-Consul-Token or a Bearer token', async () => {
    const d = await start({ token: 's3cret' });
    const none = await get(d, '/v1/kv/x');
    expect(none).toMatchObject({ status: 403, text: 'Permission denied' });
    expect((await get(d, '/v1/kv/x', { 'X-Consul-Token': 'wrong' })).text).toBe('ACL not found');
    expect((await get(d, '/v1/kv/x', { 'X-Consul-Token': 's3cret' })).status).toBe(404);
    expect((await get(d, '/v1/kv/x', { Authorization: 'Bearer s3cret' })).status).toBe(404);
  });
});

describe('test controls', () => {
  it('zeroIndex answers at once with index 0; rewind drops every index and wakes watchers', async () => {
    const d = await start();
    d.addInstance({ id: 'a', name: 'web', port: 1 });
    const first = await get(d, '/v1/health/service/web');
    const pending = get(d, `/v1/health/service/web?index=${first.index}&wait=5s`);
    await d.untilWaiting();
    d.rewind(5);
    const after = await pending;
    expect(after.index).toBe(first.index - 5);
    d.zeroIndex(true);
    const started = performance.now();
    expect((await get(d, '/v1/health/service/web?index=3&wait=5s')).index).toBe(0);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('corrupt bodies, 500s and a refused port, then recovery', async () => {
    const d = await start();
    d.corrupt('malformed');
    const bad = await get(d, '/v1/health/service/web');
    expect(() => JSON.parse(bad.text)).toThrow();
    expect((await get(d, '/v1/health/service/web')).text).toBe('[]');
    await d.outage('500');
    expect((await get(d, '/v1/health/service/web')).status).toBe(500);
    await d.outage('refuse');
    await expect(fetch(`${d.address}/v1/health/service/web`)).rejects.toThrow();
    await d.outage(false);
    expect((await get(d, '/v1/health/service/web')).status).toBe(200);
    expect(d.requests(/^\/v1\/health\/service\/web$/).length).toBeGreaterThanOrEqual(4);
  });
});
