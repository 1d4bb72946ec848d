import { describe, expect, it } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { dnsDiscovery } from '../discovery/dns-discovery.js';
import { FakeResolver } from '../discovery/test-support/fake-resolver.js';
import { NoEndpointsError } from '../errors/errors.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { loadBalancer } from './policy.js';
import { ManualDiscovery } from './test-support/manual-discovery.js';

const echo = async (_req: unknown, ctx: CallContext) => ctx.endpoint!.host;

function setup(initialWaitMs = 1_000) {
  const clock = new ManualClock();
  const discovery = new ManualDiscovery();
  const lb = loadBalancer({
    service: 'payments',
    discovery,
    clock,
    discoveryInitialWaitMs: initialWaitMs,
  });
  const call = lb(echo);
  /** A call with the default 10 s deadline; its outcome, read without awaiting. */
  const start = () => {
    const state: { error?: unknown; value?: unknown; done: boolean } = { done: false };
    call(1, CallContext.root({ clock, timeoutMs: 10_000 })).then(
      (value) => Object.assign(state, { value, done: true }),
      (error: unknown) => Object.assign(state, { error, done: true }),
    );
    return state;
  };
  return { clock, discovery, lb, start };
}

const dnsDown = () =>
  Object.assign(new Error('DNS discovery of "payments" (A/AAAA x.invalid) failed: ENOTFOUND'), {
    code: 'ENOTFOUND',
  });

describe('waiting for the first set when discovery fails', () => {
  it('fails waiting calls with NO_ENDPOINTS at the end of the initial wait, the error as cause', async () => {
    const { clock, discovery, start } = setup();
    const first = start();
    await clock.advanceAsync(100);
    const error = dnsDown();
    discovery.listener!.onError!(error);
    await clock.advanceAsync(899);
    expect(first.done).toBe(false);
    await clock.advanceAsync(1);
    expect(first.error).toBeInstanceOf(NoEndpointsError);
    expect((first.error as NoEndpointsError).cause).toBe(error);
    expect((first.error as Error).message).toBe(
      'payments: no endpoint available (discovery failed before delivering any endpoint set: ' +
        'DNS discovery of "payments" (A/AAAA x.invalid) failed: ENOTFOUND); check the discovery ' +
        'source or set OUTRIGGER_<SERVICE>_ENDPOINTS',
    );
    // The waiter's deadline timer and the initial-wait timer are both gone.
    expect(clock.pendingTimers).toBe(0);
  });

  it('after the initial wait, a new call fails at once, and an error then fails waiters at once', async () => {
    const { clock, discovery, start } = setup();
    const slow = start();
    await clock.advanceAsync(3_000);
    expect(slow.done).toBe(false);
    // A source that took longer than the initial wait to fail: no more waiting.
    discovery.listener!.onError!(dnsDown());
    await settle();
    expect(slow.error).toMatchObject({ code: 'NO_ENDPOINTS' });
    const late = start();
    await settle();
    expect(late.error).toMatchObject({ code: 'NO_ENDPOINTS' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a source that recovers within the initial wait: the calls go on, nothing is left armed', async () => {
    const { clock, discovery, lb, start } = setup();
    const first = start();
    discovery.listener!.onError!(dnsDown());
    await clock.advanceAsync(500);
    discovery.push('a');
    await settle();
    expect(first.value).toBe('a');
    expect(clock.pendingTimers).toBe(0);
    await lb.close();
  });

  it('a source that has not failed is waited for up to the deadline', async () => {
    const { clock, discovery, start } = setup();
    const first = start();
    await clock.advanceAsync(9_999);
    expect(first.done).toBe(false);
    discovery.push('a');
    await settle();
    expect(first.value).toBe('a');
  });

  it('close() while the initial wait is armed clears it and fails the waiters', async () => {
    const { clock, discovery, lb, start } = setup();
    const first = start();
    discovery.listener!.onError!(dnsDown());
    expect(clock.pendingTimers).toBe(2);
    await lb.close();
    await settle();
    expect(first.error).toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('initial wait 0: the first error fails waiting calls at once', async () => {
    const { clock, discovery, start } = setup(0);
    const first = start();
    discovery.listener!.onError!(dnsDown());
    await settle();
    expect(first.error).toMatchObject({ code: 'NO_ENDPOINTS' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('dnsDiscovery of an unresolvable name: NO_ENDPOINTS naming the service, DNS and why', async () => {
    const clock = new ManualClock();
    const resolver = new FakeResolver(); // knows no name: ENODATA for A/AAAA, ENOTFOUND from lookup
    const discovery = dnsDiscovery({ hostname: 'no-such-host.invalid', port: 80, resolver, clock });
    // Subscribed after the source failed: the error is replayed, the initial wait still applies.
    const failures: unknown[] = [];
    const early = discovery.subscribe('nowhere', {
      onEndpoints: () => {},
      onError: (e) => failures.push(e),
    });
    while (failures.length === 0) await settle(1);
    // (DNS retries after 1 s: a shorter initial wait shows the replayed error is what counts.)
    const lb = loadBalancer({ service: 'nowhere', discovery, clock, discoveryInitialWaitMs: 300 });
    let error: NoEndpointsError | undefined;
    lb(echo)(1, CallContext.root({ clock, timeoutMs: 10_000 })).catch(
      (e: NoEndpointsError) => (error = e),
    );
    await clock.advanceAsync(300);
    if (!error) throw new Error('still waiting at the end of the initial wait');
    expect(error).toMatchObject({ code: 'NO_ENDPOINTS' });
    expect(error.message).toMatch(
      /^nowhere: no endpoint available \(discovery failed before delivering any endpoint set: DNS discovery of "nowhere" \(A\/AAAA no-such-host\.invalid\) failed: query failed: ENODATA\)/,
    );
    expect((error.cause as Error).cause).toMatchObject({ code: 'ENODATA' });
    early();
    await lb.close();
    await discovery.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
