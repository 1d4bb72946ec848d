import { describe, expect, it } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { ManualClock } from '../time/manual-clock.js';
import { pipeline } from './pipeline.js';
import { namedPolicy, type Policy, type Service } from './service.js';

function recording(name: string, log: string[]): Policy {
  return namedPolicy(
    name,
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
      async (req, ctx) => {
        log.push(`${name}>`);
        try {
          return await next(req, ctx);
        } finally {
          log.push(`<${name}`);
        }
      },
  );
}

describe('pipeline', () => {
  it('applies policies outermost first and unwinds in reverse', async () => {
    const log: string[] = [];
    const svc = pipeline(
      recording('a', log),
      recording('b', log),
      recording('c', log),
    )(async (req: number) => {
      log.push(`service(${req})`);
      return req * 2;
    });
    await expect(svc(21)).resolves.toBe(42);
    expect(log).toEqual(['a>', 'b>', 'c>', 'service(21)', '<c', '<b', '<a']);
  });

  it('flattens nested pipelines into one sequence and describes it', async () => {
    const log: string[] = [];
    const inner = pipeline(recording('b', log), recording('c', log));
    const outer = pipeline(recording('a', log), inner, recording('d', log));
    expect(outer.describe()).toEqual(['a', 'b', 'c', 'd']);
    await outer(async () => log.push('svc'))(undefined);
    expect(log).toEqual(['a>', 'b>', 'c>', 'd>', 'svc', '<d', '<c', '<b', '<a']);
  });

  it('with no policies calls the service directly', async () => {
    const svc = pipeline()(async (x: string) => x.toUpperCase());
    await expect(svc('ok')).resolves.toBe('OK');
  });

  it('derives a root context when the outermost ctx is omitted', async () => {
    let seen: CallContext | undefined;
    const svc = pipeline()(async (_: unknown, ctx) => {
      seen = ctx;
    });
    await svc(undefined);
    expect(seen).toBeInstanceOf(CallContext);
    expect(seen!.deadline).toBe(Number.POSITIVE_INFINITY);
    expect(seen!.attempt).toBe(0);
  });

  it('accepts { signal } at the outermost call and hands the same signal inward', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const svc = pipeline()(async (_: unknown, ctx) => {
      seen = ctx.signal;
    });
    await svc(undefined, { signal: controller.signal });
    expect(seen).toBe(controller.signal);
  });

  it('propagates a caller abort into the context', async () => {
    const controller = new AbortController();
    const clock = new ManualClock();
    let ctxSeen: CallContext | undefined;
    const svc = pipeline()(
      (_: unknown, ctx) =>
        new Promise<string>((resolve) => {
          ctxSeen = ctx;
          ctx.cancellation.add({ onAbort: () => resolve('aborted') });
        }),
    );
    const pending = svc(undefined, { signal: controller.signal, clock });
    controller.abort(new Error('stop'));
    await expect(pending).resolves.toBe('aborted');
    expect(ctxSeen!.aborted).toBe(true);
    expect((ctxSeen!.cancellation.reason as Error).message).toBe('stop');
  });

  it('takes its listener off the caller signal once the call settles', async () => {
    const controller = new AbortController();
    let ctxSeen: CallContext | undefined;
    const svc = pipeline()(async (_: unknown, ctx) => {
      ctxSeen = ctx;
    });
    await svc(undefined, { signal: controller.signal });
    controller.abort();
    expect(ctxSeen!.aborted).toBe(false);
  });

  it('passes a full CallContext through untouched when nested in another pipeline', async () => {
    const root = CallContext.root({ service: 'payments', operation: 'GET /x' });
    let seen: CallContext | undefined;
    const svc = pipeline()(async (_: unknown, ctx) => {
      seen = ctx;
    });
    await svc(undefined, root);
    expect(seen).toBe(root);
  });

  it('rejects something that is not a policy with a TypeError naming it', () => {
    expect(() => pipeline(42 as unknown as Policy)).toThrow(/takes policies \(functions\), got 42/);
  });
});
