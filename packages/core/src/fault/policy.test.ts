import { describe, expect, it } from 'vitest';
import { seededRandom } from '../balancer/random.js';
import { CallContext } from '../context/call-context.js';
import { endpoint } from '../discovery/endpoint.js';
import { ConfigInvalidError, FaultInjectedError, TimeoutError } from '../errors/errors.js';
import { EventBus, type OutriggerEvents } from '../events/events.js';
import { compileRoutes } from '../routing/compile.js';
import { ROUTE } from '../routing/route.js';
import { pipeline } from '../service/pipeline.js';
import { ManualClock } from '../time/manual-clock.js';
import { fault } from './policy.js';

const ok = async () => 'ok';

function recorder() {
  const events = new EventBus();
  const seen: OutriggerEvents['fault.injected'][] = [];
  events.on('fault.injected', (e) => seen.push(e));
  return { events, seen };
}

describe('fault()', () => {
  it('injects nothing, and draws no random number, unless configured', async () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0;
    };
    const call = fault({ random })(ok);
    for (let i = 0; i < 100; i++) await expect(call(1, CallContext.root())).resolves.toBe('ok');
    expect(draws).toBe(0);
    const off = fault(false)(ok);
    await expect(off(1, CallContext.root())).resolves.toBe('ok');
  });

  it('aborts its percentage of calls with FAULT_INJECTED and the chosen status, and says so in an event', async () => {
    const { events, seen } = recorder();
    const call = fault({
      abort: { percent: 20, status: 429 },
      random: seededRandom(8),
      events,
      service: 'svc',
    })(ok);
    const e = endpoint({ host: '10.0.0.1', port: 80 });
    let aborted = 0;
    const calls = 20_000;
    for (let i = 0; i < calls; i++) {
      const outcome = await call(1, CallContext.root().withEndpoint(e)).catch(
        (error: unknown) => error,
      );
      if (outcome instanceof FaultInjectedError) {
        expect(outcome.status).toBe(429);
        aborted++;
      }
    }
    expect(Math.abs(aborted / calls - 0.2)).toBeLessThan(0.01);
    expect(seen).toHaveLength(aborted);
    expect(seen[0]).toEqual({
      service: 'svc',
      ctx: expect.any(CallContext),
      kind: 'abort',
      route: undefined,
      endpoint: e,
      delayMs: undefined,
      status: 429,
    });
  });

  it('rejects with an error of your choosing when given one', async () => {
    const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const call = fault({ abort: { percent: 100, error: reset } })(ok);
    await expect(call(1, CallContext.root())).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('delays its percentage of calls on the call clock, then lets them through', async () => {
    const clock = new ManualClock();
    const { events, seen } = recorder();
    const call = fault({ delay: { percent: 100, ms: 250 }, events })(ok);
    let done = false;
    const pending = call(1, CallContext.root({ clock, service: 'svc' })).then((v) => {
      done = true;
      return v;
    });
    await clock.advanceAsync(249);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await expect(pending).resolves.toBe('ok');
    expect(seen[0]).toMatchObject({ service: 'svc', kind: 'delay', delayMs: 250 });
  });

  it('never delays past the deadline, and ends a delay at once when the call is aborted', async () => {
    const clock = new ManualClock();
    const { events, seen } = recorder();
    const call = fault({ delay: { percent: 100, ms: 5_000 }, events })(ok);
    const short = call(1, CallContext.root({ clock, timeoutMs: 300 }));
    await clock.advanceAsync(300);
    await expect(short).resolves.toBe('ok');
    expect(seen[0]!.delayMs).toBe(300);

    const ctx = CallContext.root({ clock });
    const aborted = call(1, ctx);
    ctx.cancellation.abort(new TimeoutError({ service: 'svc', timeoutMs: 10, kind: 'per-try' }));
    await expect(aborted).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(clock.pendingTimers).toBe(0);
  });

  it("applies a route's own fault instead of the client-wide one, and none on an exempt route", async () => {
    const { events, seen } = recorder();
    const [slow, exempt] = compileRoutes([
      { name: 'slow', fault: { abort: { percent: 100, status: 502 } } },
      { name: 'exempt', fault: false },
    ]);
    const call = fault({ abort: { percent: 100, status: 503 }, events })(ok);
    await expect(call(1, CallContext.root().with(ROUTE, slow!))).rejects.toMatchObject({
      status: 502,
    });
    await expect(call(1, CallContext.root().with(ROUTE, exempt!))).resolves.toBe('ok');
    await expect(call(1, CallContext.root())).rejects.toMatchObject({ status: 503 });
    expect(seen.map((e) => e.route)).toEqual(['slow', undefined]);
  });

  it('is a named policy that composes in a pipeline', async () => {
    const chain = pipeline(fault({ abort: { percent: 100 } }));
    expect(chain.describe()).toEqual(['fault']);
    await expect(chain(ok)(1)).rejects.toMatchObject({ code: 'FAULT_INJECTED', status: 503 });
  });

  it('rejects bad settings with CONFIG_INVALID naming them', () => {
    expect(() => fault({ delay: { percent: 101 } })).toThrow(ConfigInvalidError);
    expect(() => fault({ delay: { percent: 101 } })).toThrow(
      /option fault\.delay\.percent=101 is not valid: expected a number from 0 to 100/,
    );
    expect(() => fault({ abort: { status: 42 } })).toThrow(
      /option fault\.abort\.status=42 is not valid: expected an integer from 100 to 599/,
    );
    expect(() => fault({ delay: { ms: -1 } })).toThrow(/fault\.delay\.ms=-1/);
    expect(() => fault({ abort: { error: 'boom' as never } })).toThrow(/fault\.abort\.error/);
  });
});
