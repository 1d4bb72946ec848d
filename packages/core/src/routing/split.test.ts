import { describe, expect, it } from 'vitest';
import { loadBalancer } from '../balancer/policy.js';
import { seededRandom } from '../balancer/random.js';
import { CallContext } from '../context/call-context.js';
import { REQUEST_INFO, type RequestInfo } from '../context/request-info.js';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { ManualClock } from '../time/manual-clock.js';
import { ROUTE, type Route } from './route.js';

const fleet = [
  { host: '10.0.0.1', port: 80, metadata: { version: 'v1' } },
  { host: '10.0.0.2', port: 80, metadata: { version: 'v1' } },
  { host: '10.0.0.3', port: 80, metadata: { version: 'v2' } },
];

const canary: Route = {
  name: 'charges-canary',
  match: { path: { prefix: '/charges' } },
  split: [
    { subset: { version: 'v1' }, weight: 95 },
    { subset: { version: 'v2' }, weight: 5 },
  ],
};

function ctxFor(
  path: string,
  headers: Record<string, string> = {},
  clock?: ManualClock,
): CallContext {
  const info: RequestInfo = { method: 'GET', path, header: (name) => headers[name] };
  return CallContext.root(clock ? { clock } : {}).with(REQUEST_INFO, info);
}

const version = async (_req: unknown, ctx: CallContext) => ctx.endpoint!.metadata.version!;

describe('traffic split', () => {
  it('converges to its weights within 1 percentage point over 100k calls', async () => {
    const call = loadBalancer({
      service: 'svc',
      discovery: fleet,
      routes: [canary],
      random: seededRandom(11),
    })(version);
    let v2 = 0;
    const calls = 100_000;
    for (let i = 0; i < calls; i++) if ((await call(1, ctxFor('/charges/1'))) === 'v2') v2++;
    expect(Math.abs(v2 / calls - 0.05)).toBeLessThan(0.01);
  });

  it('sends requests no route matches to every endpoint', async () => {
    const call = loadBalancer({
      service: 'svc',
      discovery: fleet,
      routes: [canary],
      random: seededRandom(2),
    })(version);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(await call(1, ctxFor('/refunds')));
    expect(seen).toEqual(new Set(['v1', 'v2']));
  });

  it("spreads a subset's share over the others while it has no endpoints, and uses it once it has", async () => {
    const discovery = staticDiscovery(fleet.slice(0, 2));
    const call = loadBalancer({
      service: 'svc',
      discovery,
      routes: [canary],
      random: seededRandom(2),
    })(version);
    for (let i = 0; i < 200; i++) await expect(call(1, ctxFor('/charges'))).resolves.toBe('v1');
    discovery.update(fleet);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(await call(1, ctxFor('/charges')));
    expect(seen.has('v2')).toBe(true);
  });

  it('fails with NO_ENDPOINTS naming the route when none of its subsets has endpoints', async () => {
    const call = loadBalancer({
      service: 'svc',
      discovery: fleet,
      routes: [{ name: 'v3-only', split: [{ subset: { version: 'v3' }, weight: 1 }] }],
    })(version);
    await expect(call(1, ctxFor('/x'))).rejects.toThrow(
      /route "v3-only": no endpoint matches version=v3/,
    );
  });

  it('pins a request carrying the override header to its subset, past the route split', async () => {
    const call = loadBalancer({
      service: 'svc',
      discovery: fleet,
      routes: [canary],
      random: seededRandom(5),
    })(version);
    for (let i = 0; i < 100; i++) {
      await expect(
        call(1, ctxFor('/charges', { 'x-outrigger-subset': 'version=v2' })),
      ).resolves.toBe('v2');
    }
    await expect(
      call(1, ctxFor('/charges', { 'x-outrigger-subset': 'version=v9' })),
    ).rejects.toThrow(/override header x-outrigger-subset: "version=v9" matches no endpoint/);
    await expect(call(1, ctxFor('/charges', { 'x-outrigger-subset': 'v2' }))).rejects.toThrow(
      /is not label=value/,
    );
    const off = loadBalancer({
      service: 'svc',
      discovery: fleet,
      overrideHeader: false,
      random: seededRandom(5),
    })(version);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++)
      seen.add(await off(1, ctxFor('/charges', { 'x-outrigger-subset': 'version=v2' })));
    expect(seen.size).toBe(2);
  });

  it('hands the matched route inward on the attempt context', async () => {
    let seen: string | undefined;
    const call = loadBalancer({ service: 'svc', discovery: fleet, routes: [canary] })(
      async (_req, ctx) => {
        seen = ctx.get(ROUTE)?.name;
        return 'ok';
      },
    );
    await call(1, ctxFor('/charges'));
    expect(seen).toBe('charges-canary');
    await call(1, ctxFor('/other'));
    expect(seen).toBeUndefined();
  });

  it('replaces routes at run time without dropping a call in flight', async () => {
    const clock = new ManualClock();
    const lb = loadBalancer({
      service: 'svc',
      discovery: fleet,
      routes: [canary],
      random: seededRandom(3),
    });
    const call = lb(
      (_req: unknown, ctx: CallContext) =>
        new Promise<string>((resolve) =>
          ctx.clock.setTimeout(() => resolve(ctx.endpoint!.metadata.version!), 100),
        ),
    );
    const inFlight = Array.from({ length: 50 }, () => call(1, ctxFor('/charges', {}, clock)));
    lb.setRoutes([
      {
        name: 'all-v2',
        match: { path: { prefix: '/charges' } },
        split: [{ subset: { version: 'v2' }, weight: 1 }],
      },
    ]);
    const after = Array.from({ length: 20 }, () => call(1, ctxFor('/charges', {}, clock)));
    await clock.advanceAsync(100);
    const before = await Promise.all(inFlight);
    expect(before).toHaveLength(50);
    expect(before).toContain('v1');
    expect(new Set(await Promise.all(after))).toEqual(new Set(['v2']));
    expect(lb.inspect().routes).toEqual(['all-v2']);
    expect(() => lb.setRoutes([{ split: [] }])).toThrow(/routes\[0\]\.split/);
    expect(lb.inspect().routes).toEqual(['all-v2']);
  });
});
