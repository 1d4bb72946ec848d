import { describe, expect, it } from 'vitest';
import type { Classifier, Verdict } from '../classify/classifier.js';
import { CallContext } from '../context/call-context.js';
import { contextKey } from '../context/context-key.js';
import { directService } from './direct.js';
import { type Guard, guardPolicy, WAIT } from './guard.js';
import { succeeded } from './outcome.js';
import { pipeline } from './pipeline.js';
import type { Service } from './service.js';
import { ticksToSettle } from './test-support/ticks.js';

const MARK = contextKey<string>('test.mark');
const failing: Classifier = {
  classifyResult: (r) => (r === 'bad' ? 'failure' : 'success'),
  classifyError: () => 'retryable',
};

/** A guard that logs what happens to it; `refuse` makes its admission throw. */
function logging(name: string, log: string[], opts: Partial<Guard<string>> = {}) {
  return guardPolicy({
    classifier: failing,
    admit() {
      log.push(`admit ${name}`);
      return `${name}-token`;
    },
    settle(token: string, verdict: Verdict) {
      log.push(`settle ${name} ${token} ${verdict}`);
    },
    ...opts,
  } as Guard<string>);
}

const echo: Service<string, string> = async (req, ctx) => `${req}${ctx.get(MARK) ?? ''}`;

describe('guards in a pipeline (decision 0037)', () => {
  it('admit outermost first, settle innermost first, each with its token and verdict', async () => {
    const log: string[] = [];
    const call = pipeline(logging('a', log), logging('b', log), logging('c', log))(echo);
    expect(await call('bad')).toBe('bad');
    expect(log).toEqual([
      'admit a',
      'admit b',
      'admit c',
      'settle c c-token failure',
      'settle b b-token failure',
      'settle a a-token failure',
    ]);
  });

  it('a guard may replace the context handed inward (as the balancer adds the endpoint)', async () => {
    const log: string[] = [];
    const marking = logging('m', log, {
      admit(frame) {
        frame.ctx = frame.ctx.with(MARK, '+marked');
        return 'm';
      },
    });
    const call = pipeline(logging('a', log), marking)(echo);
    expect(await call('x')).toBe('x+marked');
  });

  it('a refusal settles the guards that admitted the attempt with its verdict; the service is not called', async () => {
    const log: string[] = [];
    let called = false;
    const refusing = logging('r', log, {
      admit: () => {
        throw new Error('full');
      },
    });
    const call = pipeline(
      logging('a', log),
      refusing,
      logging('z', log),
    )(async () => {
      called = true;
      return 'never';
    });
    await expect(call('x')).rejects.toThrow('full');
    expect(called).toBe(false);
    expect(log).toEqual(['admit a', 'settle a a-token retryable']);
  });

  it('a guard that must wait is admitted by its wait, then the rest follow', async () => {
    const log: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const waiting = logging('w', log, {
      admit: () => WAIT,
      wait: async () => {
        await gate;
        log.push('waited w');
        return 'w-late';
      },
    });
    const call = pipeline(logging('a', log), waiting, logging('c', log))(echo);
    const result = call('ok');
    await Promise.resolve();
    expect(log).toEqual(['admit a']);
    open();
    expect(await result).toBe('ok');
    expect(log).toEqual([
      'admit a',
      'waited w',
      'admit c',
      'settle c c-token success',
      'settle w w-late success',
      'settle a a-token success',
    ]);
  });

  it('a failed wait refuses like a thrown admission', async () => {
    const log: string[] = [];
    const waiting = logging('w', log, {
      admit: () => WAIT,
      wait: () => Promise.reject(new Error('queue timeout')),
    });
    const call = pipeline(logging('a', log), waiting)(echo);
    await expect(call('x')).rejects.toThrow('queue timeout');
    expect(log).toEqual(['admit a', 'settle a a-token retryable']);
  });

  it('runs of more than four guards still admit and settle every one, in order', async () => {
    const log: string[] = [];
    const names = ['1', '2', '3', '4', '5', '6'];
    const call = pipeline(...names.map((n) => logging(n, log)))(echo);
    await call('x');
    expect(log.filter((l) => l.startsWith('admit'))).toEqual(names.map((n) => `admit ${n}`));
    expect(log.filter((l) => l.startsWith('settle')).map((l) => l.split(' ')[1])).toEqual(
      [...names].reverse(),
    );
  });

  it('a guard without a classifier hears the verdict of the guard inside it', async () => {
    const log: string[] = [];
    const plain = logging('p', log, { classifier: undefined });
    const call = pipeline(plain, logging('c', log))(echo);
    await call('bad');
    expect(log).toContain('settle p p-token failure');
  });

  it('a classifier that throws still lets every guard settle, and its error comes back', async () => {
    const log: string[] = [];
    const broken = logging('b', log, {
      classifier: {
        classifyResult: () => {
          throw new Error('classifier bug');
        },
        classifyError: () => 'failure',
      },
    });
    const call = pipeline(logging('a', log), broken)(echo);
    await expect(call('x')).rejects.toThrow('classifier bug');
    expect(log).toEqual([
      'admit a',
      'admit b',
      'settle b b-token failure',
      'settle a a-token success',
    ]);
  });

  it('a guard whose settle throws does not keep the guards outside it from settling', async () => {
    const log: string[] = [];
    const throwing = logging('t', log, {
      settle: () => {
        throw new Error('settle bug');
      },
    });
    const call = pipeline(logging('a', log), throwing)(echo);
    await expect(call('x')).rejects.toThrow('settle bug');
    expect(log).toContain('settle a a-token success');
  });

  it('guards add no promise hop of their own, fused or nested (decision 0041)', async () => {
    const log: string[] = [];
    const guards = [logging('a', log), logging('b', log), logging('c', log)] as const;
    const direct = directService<string, string>((req, _ctx, settler) =>
      settler.settle(succeeded(req)),
    );
    const root = CallContext.root();
    const bare = await ticksToSettle(direct('x', root));
    expect(await ticksToSettle(pipeline(...guards)(direct)('x', root))).toBe(bare);
    expect(await ticksToSettle(guards[0](guards[1](guards[2](direct)))('x', root))).toBe(bare);
    // Around a promise-only service, one reaction for the whole run: what it costs anyway.
    const fused = await ticksToSettle(pipeline(...guards)(echo)('x', root));
    expect(fused - (await ticksToSettle(echo('x', root)))).toBeLessThanOrEqual(1);
    expect(log.filter((l) => l.startsWith('settle'))).toHaveLength(9);
  });
});
