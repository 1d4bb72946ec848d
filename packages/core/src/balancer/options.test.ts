import { describe, expect, it } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { ConfigInvalidError } from '../errors/errors.js';
import { loadBalancer } from './policy.js';
import { ManualDiscovery } from './test-support/manual-discovery.js';

const echo = async (_req: unknown, ctx: CallContext) => ctx.endpoint!.host;

describe('loadBalancer lifecycle and options', () => {
  it('close() unsubscribes, fails waiting calls, and refuses new ones with CLIENT_CLOSED', async () => {
    const discovery = new ManualDiscovery();
    const lb = loadBalancer({ service: 'svc', discovery });
    const call = lb(echo);
    const waiting = call(1, CallContext.root());
    await lb.close();
    expect(discovery.unsubscribed).toBe(1);
    await expect(waiting).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(call(1, CallContext.root())).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('closes a discovery it made from a list, and leaves one it was given open', async () => {
    const given = staticDiscovery(['a:1']);
    const lb = loadBalancer({ service: 'svc', discovery: given });
    await lb.close();
    const again = loadBalancer({ service: 'svc', discovery: given })(echo);
    await expect(again(1, CallContext.root())).resolves.toBe('a');
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'no discovery',
      { discovery: undefined },
      /svc: option discovery=undefined is not valid: expected a Discovery or a list/,
    ],
    [
      'a bad endpoint',
      { discovery: ['a:0'] },
      /discovery\[0\]="a:0" is not valid: expected host:port/,
    ],
    [
      'an unknown balancer',
      { balancer: 'fastest' },
      /option balancer="fastest" is not valid: expected one of p2c-ewma/,
    ],
    [
      'a balancer object without build',
      { balancer: {} },
      /option balancer="\(an object without build\(\)\)"/,
    ],
    [
      'an outlier threshold of 0',
      { outlierDetection: { consecutiveFailures: 0 } },
      /outlierDetection\.consecutiveFailures=0 is not valid: expected an integer from 1 to 1000/,
    ],
    [
      'max ejection below base',
      { outlierDetection: { baseEjectionMs: 10, maxEjectionMs: 5 } },
      /outlierDetection\.maxEjectionMs=5 .*at least baseEjectionMs \(10\)/,
    ],
    ['an empty zone', { zone: '' }, /option zone="" is not valid/],
    ['a bad override header', { overrideHeader: 'x subset' }, /option overrideHeader="x subset"/],
    [
      'a route with a typo',
      { routes: [{ mach: {} }] },
      /routes\[0\]\.mach is not an option of routes\[0\]; did you mean match\? \(valid: name, match, split, fault\)/,
    ],
  ];
  for (const [name, extra, message] of cases) {
    it(`rejects ${name} with CONFIG_INVALID naming it`, () => {
      expect(() => loadBalancer({ service: 'svc', discovery: ['a:1'], ...extra } as never)).toThrow(
        ConfigInvalidError,
      );
      expect(() => loadBalancer({ service: 'svc', discovery: ['a:1'], ...extra } as never)).toThrow(
        message,
      );
    });
  }
});
