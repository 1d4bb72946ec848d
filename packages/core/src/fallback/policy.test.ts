import { describe, expect, it, vi } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { BulkheadFullError, CircuitOpenError, TimeoutError } from '../errors/errors.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import { fallback } from './index.js';

const failing =
  (error: unknown) =>
  async (_req: string, _ctx: CallContext): Promise<string[]> => {
    throw error;
  };

describe('fallback()', () => {
  it('replaces a failure with one of the chosen codes by the value, and says so', async () => {
    const events = new EventBus();
    const seen: unknown[] = [];
    events.on('fallback.used', (e) => seen.push(e));
    const svc = fallback({ codes: ['CIRCUIT_OPEN', 'BULKHEAD_FULL'], value: [], events })(
      failing(new CircuitOpenError({ service: 'recs' })),
    );
    const ctx = CallContext.root({ service: 'recs' });
    await expect(svc('u1', ctx)).resolves.toEqual([]);
    expect(seen).toEqual([{ service: 'recs', ctx, code: 'CIRCUIT_OPEN' }]);
  });

  it('passes other failures and every success through untouched', async () => {
    const policy = fallback({ codes: ['CIRCUIT_OPEN'], value: ['cached'] });
    const timeout = new TimeoutError({ service: 's', timeoutMs: 5, kind: 'total' });
    await expect(policy(failing(timeout))('x', CallContext.root())).rejects.toBe(timeout);
    const ok = policy(async (req: string) => [req]);
    await expect(ok('fresh', CallContext.root())).resolves.toEqual(['fresh']);
  });

  it('matches any error by its own code, not only Outrigger errors', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const svc = fallback({ codes: ['ECONNREFUSED'], value: ['offline'] })(failing(refused));
    await expect(svc('x', CallContext.root())).resolves.toEqual(['offline']);
  });

  it('computes the value from the error and the context, async or not', async () => {
    const value = vi.fn(async (error: unknown, ctx: CallContext) => [
      `${(error as BulkheadFullError).code} for ${ctx.operation}`,
    ]);
    const svc = fallback({ codes: ['BULKHEAD_FULL'], value })(
      failing(new BulkheadFullError({ service: 's', maxConcurrent: 1, maxQueue: 0 })),
    );
    const ctx = CallContext.root({ operation: 'GET /recs' });
    await expect(svc('x', ctx)).resolves.toEqual(['BULKHEAD_FULL for GET /recs']);
    expect(value).toHaveBeenCalledWith(expect.any(BulkheadFullError), ctx);
  });

  it('chooses failures with a predicate', async () => {
    const policy = fallback({
      codes: (error) => (error as Error).message.includes('teapot'),
      value: ['tea'],
    });
    await expect(policy(failing(new Error('a teapot')))('x', CallContext.root())).resolves.toEqual([
      'tea',
    ]);
    await expect(policy(failing(new Error('a kettle')))('x', CallContext.root())).rejects.toThrow(
      'kettle',
    );
  });

  it('a failing fallback function rejects with its own error', async () => {
    const svc = fallback({
      codes: ['CIRCUIT_OPEN'],
      value: () => {
        throw new Error('no cache either');
      },
    })(failing(new CircuitOpenError({ service: 's' })));
    await expect(svc('x', CallContext.root())).rejects.toThrow('no cache either');
  });

  it('sits outermost in a pipeline and sees a synchronous throw too', async () => {
    const svc = pipeline(fallback({ codes: ['CIRCUIT_OPEN'], value: 'fallback' }))(
      (): Promise<string> => {
        throw new CircuitOpenError({ service: 's' });
      },
    );
    await expect(svc('x')).resolves.toBe('fallback');
    expect(pipeline(fallback({ codes: ['X'], value: 1 })).describe()).toEqual(['fallback']);
  });

  it('a throwing event listener never fails the call', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const events = new EventBus();
    events.on('fallback.used', () => {
      throw new Error('listener bug');
    });
    const svc = fallback({ codes: ['CIRCUIT_OPEN'], value: ['v'], events })(
      failing(new CircuitOpenError({ service: 's' })),
    );
    await expect(svc('x', CallContext.root())).resolves.toEqual(['v']);
    expect(warn).toHaveBeenCalledOnce();
  });

  it('leaves no listeners after 100k calls', async () => {
    const svc = fallback({ codes: ['CIRCUIT_OPEN'], value: -1 })(async (i: number) => {
      if (i % 2) throw new CircuitOpenError({ service: 's' });
      return i;
    });
    let listeners = 0;
    let fallbacks = 0;
    for (let i = 0; i < 100_000; i++) {
      const ctx = CallContext.root();
      if ((await svc(i, ctx)) === -1) fallbacks++;
      listeners += ctx.cancellation.listenerCount;
    }
    expect([fallbacks, listeners]).toEqual([50_000, 0]);
  });
});
