import { dnsDiscovery, NoEndpointsError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { trackedClients } from './servers.js';

const client = trackedClients();

// The system resolver answers NXDOMAIN for `.invalid` (RFC 6761) at once, network or not.
describe('a discovery source that fails before its first set', () => {
  it('an unresolvable DNS name fails fast with NO_ENDPOINTS, the DNS error as cause', async () => {
    const c = client({
      service: 'nowhere',
      discovery: dnsDiscovery({ hostname: 'no-such-host.invalid', port: 80 }),
      env: { OUTRIGGER_NOWHERE_DISCOVERY_INITIAL_WAIT_MS: '300' },
    });
    const started = performance.now();
    const error = (await c.fetch('/').catch((e: unknown) => e)) as NoEndpointsError;
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(NoEndpointsError);
    expect(error.code).toBe('NO_ENDPOINTS');
    expect(error.message).toMatch(/^nowhere: /);
    expect(error.message).toMatch(/discovery failed/);
    expect(error.message).toMatch(/no-such-host\.invalid/);
    expect(error.message).toMatch(/ENOTFOUND/);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toMatch(/DNS discovery of "nowhere"/);
    // Within the initial wait, not the 10 s deadline.
    expect(waited).toBeLessThan(2_000);

    // Once the initial wait is over, a call fails at once.
    const again = performance.now();
    await expect(c.request('/')).rejects.toMatchObject({ code: 'NO_ENDPOINTS' });
    expect(performance.now() - again).toBeLessThan(100);
  });

  it('default settings: NO_ENDPOINTS within about the default initial wait (1 s), not after 10 s', async () => {
    const c = client({
      service: 'nowhere-default',
      discovery: dnsDiscovery({ hostname: 'no-such-host.invalid', port: 80 }),
    });
    const started = performance.now();
    const error = (await c.fetch('/').catch((e: unknown) => e)) as NoEndpointsError;
    expect(error).toMatchObject({ code: 'NO_ENDPOINTS' });
    expect(error.cause).toBeInstanceOf(Error);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('takes the initial wait from code too (discoveryInitialWaitMs)', async () => {
    const c = client({
      service: 'nowhere-code',
      discovery: dnsDiscovery({ hostname: 'no-such-host.invalid', port: 80 }),
      discoveryInitialWaitMs: 0,
    });
    expect(c.describe()).toMatch(/discoveryInitialWaitMs\s+0\s+code/);
    await expect(c.fetch('/')).rejects.toMatchObject({ code: 'NO_ENDPOINTS' });
  });
});
