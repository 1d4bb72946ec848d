import { describe, expect, it } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { directOf, directService, promiseOf, type Settler } from './direct.js';
import { failedWith, succeeded } from './outcome.js';
import type { Service } from './service.js';
import { ticksToSettle } from './test-support/ticks.js';

/** A settler that records what it was told, and fails the test if told twice. */
function recorder() {
  const told: { value?: unknown; error?: unknown }[] = [];
  const settler: Settler<unknown> = {
    settle: (outcome) =>
      told.push(outcome.ok ? { value: outcome.value } : { error: outcome.error }),
  };
  return { settler, told };
}

describe('direct forms (decision 0041)', () => {
  const root = CallContext.root();

  it('a direct service is a promise service too, settled by its direct form', async () => {
    const svc = directService<number, number>((req, _ctx, settler) =>
      settler.settle(succeeded(req * 2)),
    );
    await expect(svc(21, root)).resolves.toBe(42);
    const failing = directService<number, number>((_req, _ctx, settler) =>
      settler.settle(failedWith(new Error('no'))),
    );
    await expect(failing(1, root)).rejects.toThrow('no');
  });

  it('directOf gives a direct service its own form, with no promise made', () => {
    const svc = directService<number, number>((req, _ctx, settler) =>
      settler.settle(succeeded(req + 1)),
    );
    const { settler, told } = recorder();
    directOf(svc)(1, root, settler as Settler<number>);
    // Told synchronously: no promise, no reaction in between.
    expect(told).toEqual([{ value: 2 }]);
  });

  it('directOf adapts a promise service: its value, its rejection, its synchronous throw', async () => {
    const cases: [Service<number, number>, { value?: unknown; error?: unknown }][] = [
      [async (req) => req, { value: 7 }],
      [async () => Promise.reject(new Error('late')), { error: new Error('late') }],
      [
        () => {
          throw new Error('at once');
        },
        { error: new Error('at once') },
      ],
    ];
    for (const [svc, expected] of cases) {
      const { settler, told } = recorder();
      directOf(svc)(7, root, settler as Settler<number>);
      await new Promise((resolve) => setImmediate(resolve));
      expect(told).toEqual([expected]);
    }
  });

  it('promiseOf turns a direct form that throws into a rejection, settled once', async () => {
    const throwing = () => {
      throw new Error('broke its promise');
    };
    await expect(promiseOf(throwing, null, root)).rejects.toThrow('broke its promise');
    // Settled first, then threw: the first outcome stands.
    const both = (_req: null, _ctx: CallContext, settler: Settler<string>) => {
      settler.settle(succeeded('first'));
      throw new Error('second');
    };
    await expect(promiseOf(both, null, root)).resolves.toBe('first');
  });

  it('a promise made by promiseOf settles as soon as a plain promise would', async () => {
    let tell: Settler<string> | undefined;
    const promise = promiseOf<null, string>((_req, _ctx, settler) => (tell = settler), null, root);
    const ticks = ticksToSettle(promise);
    tell!.settle(succeeded('ok'));
    let plainResolve: ((value: string) => void) | undefined;
    const plain = new Promise<string>((resolve) => (plainResolve = resolve));
    const plainTicks = ticksToSettle(plain);
    plainResolve!('ok');
    expect(await ticks).toBe(await plainTicks);
  });
});
