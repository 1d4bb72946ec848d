import { describe, expect, it } from 'vitest';
import type { CallContext } from '../context/call-context.js';
import type { Discovery, DiscoveryListener } from '../discovery/discovery.js';
import { endpoint } from '../discovery/endpoint.js';
import { ManualClock } from '../time/manual-clock.js';
import { buildChain } from './build.js';

const ok = async (_req: unknown, ctx: CallContext) => ctx.endpoint?.id;

describe('buildChain', () => {
  it('builds the default chain in the declared order, outlier detection inside the balancer', () => {
    const chain = buildChain({
      options: { service: 'payments', discovery: ['10.0.0.1:80'], env: {} },
      transport: ok,
    });
    expect(chain.policies).toEqual([
      'telemetry',
      'total-deadline',
      'retry',
      'attempt-span',
      'breaker',
      'bulkhead',
      'route + balancer',
      'outlier-detection',
    ]);
    expect(chain.describe()).toMatch(/ 4\. hedge\s+off/);
    expect(chain.describe()).toMatch(/11\. outlier-detection\s+on/);
    expect(chain.describe()).toMatch(/retry\.budget\.ratio\s+0\.2\s+default/);
  });

  it('adds the optional positions when configured and drops switched-off ones', () => {
    const chain = buildChain({
      options: {
        service: 'payments',
        discovery: ['10.0.0.1:80'],
        timeout: { totalMs: 1_000, perTryMs: 300 },
        hedge: { delayMs: 50 },
        rateLimit: { perSecond: 100 },
        fault: { abort: { percent: 1 } },
        breaker: false,
        env: { OUTRIGGER_PAYMENTS_BULKHEAD: 'off' },
      },
      transport: ok,
    });
    expect(chain.policies).toEqual([
      'telemetry',
      'total-deadline',
      'retry',
      'hedge',
      'attempt-span',
      'per-try-timeout',
      'rate-limit',
      'route + balancer',
      'outlier-detection',
      'fault',
    ]);
  });

  it('sends calls through the balancer to the transport, with one budget for the client', async () => {
    const chain = buildChain({
      options: {
        service: 'payments',
        discovery: ['10.0.0.1:80', '10.0.0.2:80'],
        balancer: 'round-robin',
        env: {},
      },
      transport: ok,
    });
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 50; i++) seen.add(await chain.call(null));
    expect(seen).toEqual(new Set(['10.0.0.1:80', '10.0.0.2:80']));
    expect(chain.budget?.ratio).toBe(0.2);
    await chain.close();
  });

  it('refuses a client with nowhere to send calls, naming the variable that would fix it', () => {
    expect(() =>
      buildChain({ options: { service: 'ledger-api', env: {} }, transport: ok }),
    ).toThrow(/option discovery="unset" .*OUTRIGGER_LEDGER_API_ENDPOINTS/);
  });

  it('close() closes the discovery it was given, once, and later calls are refused', async () => {
    let closed = 0;
    let listener: DiscoveryListener | undefined;
    const discovery: Discovery = {
      subscribe: (_s, l) => {
        listener = l;
        return () => {
          listener = undefined;
        };
      },
      close: async () => {
        closed++;
      },
    };
    const chain = buildChain({
      options: { service: 'payments', discovery, env: {} },
      transport: ok,
      clock: new ManualClock(),
    });
    listener!.onEndpoints([endpoint({ host: '10.0.0.9', port: 1 })]);
    await expect(chain.call(null)).resolves.toBe('10.0.0.9:1');
    await Promise.all([chain.close(), chain.close()]);
    expect(closed).toBe(1);
    expect(listener).toBeUndefined();
    await expect(chain.call(null)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('replaces routes at run time', async () => {
    const chain = buildChain({
      options: {
        service: 'payments',
        discovery: ['10.0.0.1:80'],
        env: {},
      },
      transport: ok,
    });
    chain.setRoutes([{ name: 'all', match: { path: { prefix: '/' } } }]);
    await expect(chain.call(null)).resolves.toBe('10.0.0.1:80');
    expect(() => chain.setRoutes([{ nonsense: true } as never])).toThrow(
      /routes\[0\]\.nonsense is not an option of routes\[0\]/,
    );
    await chain.close();
  });
});
