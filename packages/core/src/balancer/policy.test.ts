import { describe, expect, it } from 'vitest';
import type { Classifier } from '../classify/classifier.js';
import { BALANCER_NAMES } from '../config/settings.js';
import { ATTEMPT_LOG, newAttemptLog } from '../context/attempt-log.js';
import { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { NoEndpointsError, TimeoutError } from '../errors/errors.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import { honoursCancellation } from '../service/service.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { timeout } from '../timeout/policy.js';
import { loadBalancer } from './policy.js';
import { seededRandom } from './random.js';
import { ManualDiscovery } from './test-support/manual-discovery.js';

const echo = async (_req: unknown, ctx: CallContext) => ctx.endpoint!.host;

describe('loadBalancer before the first endpoint set', () => {
  it('waits for the first set, then places the call', async () => {
    const clock = new ManualClock();
    const discovery = new ManualDiscovery();
    const call = loadBalancer({ service: 'svc', discovery })(echo);
    const pending = call(1, CallContext.root({ clock, timeoutMs: 1_000 }));
    clock.advance(500);
    discovery.push('a');
    await expect(pending).resolves.toBe('a');
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails with NO_ENDPOINTS at a deadline shorter than the initial wait, with the discovery error as cause', async () => {
    const clock = new ManualClock();
    const discovery = new ManualDiscovery();
    const call = loadBalancer({ service: 'svc', discovery, clock })(echo);
    const pending = call(1, CallContext.root({ clock, timeoutMs: 200 }));
    const dnsDown = new Error('ENOTFOUND');
    discovery.listener!.onError!(dnsDown);
    clock.advance(199);
    let settled = false;
    pending.catch(() => {}).finally(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEndpointsError);
    expect((error as NoEndpointsError).cause).toBe(dnsDown);
  });

  it('turns a deadline enforced from outside into NO_ENDPOINTS, and a caller abort into CANCELLED', async () => {
    const clock = new ManualClock();
    const call = loadBalancer({ service: 'svc', discovery: new ManualDiscovery() })(echo);
    const timed = CallContext.root({ clock });
    const pendingTimeout = call(1, timed);
    timed.cancellation.abort(new TimeoutError({ service: 'svc', timeoutMs: 5, kind: 'total' }));
    await expect(pendingTimeout).rejects.toMatchObject({ code: 'NO_ENDPOINTS' });

    const cancelled = CallContext.root({ clock });
    const pendingCancel = call(1, cancelled);
    cancelled.cancellation.abort(new Error('user left'));
    await expect(pendingCancel).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(cancelled.cancellation.listenerCount).toBe(0);
  });

  it('is NO_ENDPOINTS at the deadline also when the total deadline fires before its own timer', async () => {
    const clock = new ManualClock();
    const discovery = new ManualDiscovery();
    // The total deadline's timer is armed first, so at the same instant it fires first.
    const call = pipeline(
      timeout({ totalMs: 200, clock }),
      loadBalancer({ service: 'svc', discovery, clock }),
    )(honoursCancellation(echo));
    const pending = call(1, CallContext.root({ clock })).catch((e: unknown) => e);
    await settle();
    clock.advance(200);
    const error = await pending;
    expect(error).toBeInstanceOf(NoEndpointsError);
    expect((error as NoEndpointsError).message).toMatch(/no endpoint set within the deadline/);
    // Why there was nothing to call is the news; the deadline stays as the cause.
    expect((error as NoEndpointsError).cause).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails at once with NO_ENDPOINTS once discovery reports an empty set', async () => {
    const discovery = new ManualDiscovery();
    const call = loadBalancer({ service: 'svc', discovery })(echo);
    discovery.push();
    await expect(call(1, CallContext.root())).rejects.toThrow(/discovery reports no endpoints/);
  });
});

describe('loadBalancer per attempt', () => {
  it('avoids endpoints this call already tried and records its pick in the attempt log', async () => {
    for (const balancer of BALANCER_NAMES) {
      const call = loadBalancer({
        service: 'svc',
        discovery: ['a:1', 'b:1', 'c:1'],
        balancer,
        random: seededRandom(3),
      })(echo);
      const log = newAttemptLog();
      const ctx = CallContext.root()
        .with(ATTEMPT_LOG, log)
        .with(CALL_OPTIONS, { hashKey: 'user-7' });
      const picks = [await call(1, ctx), await call(1, ctx), await call(1, ctx)];
      expect(new Set(picks).size, balancer).toBe(3);
      expect(log.endpoints!.map((e) => e.host)).toEqual(picks);
      // Every endpoint tried: a fourth attempt still goes somewhere.
      await expect(call(1, ctx)).resolves.toMatch(/^[abc]$/);
    }
  });

  it('judges outcomes with the classifier it was given, not on its own', async () => {
    const events = new EventBus();
    const ejected: string[] = [];
    events.on('outlier.ejected', (e) => ejected.push(e.endpoint.id));
    const saysFailure: Classifier<string> = {
      classifyResult: (result) => (result === 'a' ? 'failure' : 'success'),
      classifyError: () => 'success',
    };
    const call = loadBalancer({
      service: 'svc',
      discovery: ['a:1', 'b:1'],
      balancer: 'round-robin',
      classifier: saysFailure as Classifier,
      outlierDetection: { consecutiveFailures: 2, maxEjectionPercent: 50 },
      events,
    })(echo);
    for (let i = 0; i < 6; i++) await call(1, CallContext.root());
    expect(ejected).toEqual(['a:1']);
  });

  it('uses the consistent-hash key from the call options, so one key always lands on one endpoint', async () => {
    const call = loadBalancer({
      service: 'svc',
      discovery: ['a:1', 'b:1', 'c:1', 'd:1'],
      balancer: 'maglev',
    })(echo);
    const withKey = (key: string) => CallContext.root().with(CALL_OPTIONS, { hashKey: key });
    const first = await call(1, withKey('cart-42'));
    for (let i = 0; i < 20; i++) await expect(call(1, withKey('cart-42'))).resolves.toBe(first);
    const spread = new Set<string>();
    for (let i = 0; i < 50; i++) spread.add(await call(1, withKey(`cart-${i}`)));
    expect(spread.size).toBe(4);
  });

  it('keeps the last good set when discovery fails, and reports the failure as an event', async () => {
    const events = new EventBus();
    const seen: unknown[] = [];
    events.on('discovery.failed', (e) => seen.push(e));
    events.on('discovery.updated', (e) =>
      seen.push({ updated: e.endpoints.length, added: e.added }),
    );
    const discovery = new ManualDiscovery();
    const call = loadBalancer({ service: 'svc', discovery, events })(echo);
    discovery.push('a', 'b');
    const error = new Error('registry down');
    discovery.listener!.onError!(error);
    expect(seen).toEqual([
      { updated: 2, added: 2 },
      { service: 'svc', error, kept: 2 },
    ]);
    await expect(call(1, CallContext.root())).resolves.toMatch(/^[ab]$/);
  });

  it('counts requests in flight per endpoint and releases them however the call ends', async () => {
    const clock = new ManualClock();
    const lb = loadBalancer({ service: 'svc', discovery: ['a:1'], clock });
    const call = lb(async (_req: boolean, ctx: CallContext) => {
      await new Promise((resolve) => ctx.clock.setTimeout(() => resolve(undefined), 10));
      if (_req) throw new Error('boom');
      return 'ok';
    });
    const ok = call(false, CallContext.root({ clock }));
    const bad = call(true, CallContext.root({ clock })).catch((e: Error) => e.message);
    expect(lb.inspect().endpoints[0]!.outstanding).toBe(2);
    await clock.advanceAsync(10);
    await expect(ok).resolves.toBe('ok');
    await expect(bad).resolves.toBe('boom');
    expect(lb.inspect().endpoints[0]).toMatchObject({
      outstanding: 0,
      latencyMs: expect.any(Number),
    });
  });
});
