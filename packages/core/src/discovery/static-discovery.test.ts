import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import type { Endpoint } from './endpoint.js';
import { staticDiscovery } from './static-discovery.js';

function collect() {
  const sets: string[][] = [];
  return {
    sets,
    listener: {
      onEndpoints: (endpoints: readonly Endpoint[]) => sets.push(endpoints.map((e) => e.id)),
    },
  };
}

describe('staticDiscovery', () => {
  it('delivers the whole set at once to each new subscriber, from host:port and objects alike', () => {
    const discovery = staticDiscovery([
      '10.0.0.5:8080',
      '[::1]:9090',
      { host: 'db.internal', port: 5432, weight: 3, zone: 'eu-1', metadata: { version: 'v2' } },
    ]);
    let got: readonly Endpoint[] = [];
    discovery.subscribe('payments', { onEndpoints: (e) => (got = e) });
    expect(got.map((e) => e.id)).toEqual(['10.0.0.5:8080', '[::1]:9090', 'db.internal:5432']);
    expect(got[1]).toMatchObject({ host: '::1', port: 9090, weight: 1 });
    expect(got[2]).toMatchObject({ weight: 3, zone: 'eu-1', metadata: { version: 'v2' } });
    expect(Object.isFrozen(got)).toBe(true);
  });

  it('replaces the set for every subscriber on update, and stops after unsubscribe or close', async () => {
    const discovery = staticDiscovery(['a:1']);
    const one = collect();
    const two = collect();
    const stop = discovery.subscribe('payments', one.listener);
    discovery.subscribe('payments', two.listener);
    discovery.update(['a:1', 'b:1']);
    discovery.update(['a:1', 'b:1']);
    stop();
    discovery.update(['c:1']);
    expect(one.sets).toEqual([['a:1'], ['a:1', 'b:1']]);
    expect(two.sets).toEqual([['a:1'], ['a:1', 'b:1'], ['c:1']]);
    await discovery.close();
    discovery.update(['d:1']);
    expect(two.sets).toHaveLength(3);
  });

  it('reads OUTRIGGER_<SERVICE>_ENDPOINTS, then OUTRIGGER_DEFAULT_ENDPOINTS, when given no list', () => {
    const discovery = staticDiscovery({
      env: {
        OUTRIGGER_PAYMENTS_API_ENDPOINTS: '10.0.0.1:80, 10.0.0.2:80',
        OUTRIGGER_DEFAULT_ENDPOINTS: '127.0.0.1:9',
      },
    });
    const own = collect();
    const other = collect();
    discovery.subscribe('payments-api', own.listener);
    discovery.subscribe('ledger', other.listener);
    expect(own.sets).toEqual([['10.0.0.1:80', '10.0.0.2:80']]);
    expect(other.sets).toEqual([['127.0.0.1:9']]);
  });

  it('names the variable and its value when it is missing or malformed', () => {
    const missing = staticDiscovery({ env: {} });
    expect(() => missing.subscribe('payments', collect().listener)).toThrow(
      /OUTRIGGER_PAYMENTS_ENDPOINTS="unset" is not valid: expected a comma-separated list of host:port/,
    );
    const bad = staticDiscovery({ env: { OUTRIGGER_PAYMENTS_ENDPOINTS: '10.0.0.1:80,10.0.0.2' } });
    expect(() => bad.subscribe('payments', collect().listener)).toThrow(
      /OUTRIGGER_PAYMENTS_ENDPOINTS="10\.0\.0\.1:80,10\.0\.0\.2"/,
    );
  });

  const cases: [string, unknown, RegExp][] = [
    ['an empty list', [], /discovery="\[\]" is not valid: expected a non-empty list/],
    [
      'a port out of range',
      ['a:70000'],
      /discovery\[0\]="a:70000" is not valid: expected host:port/,
    ],
    ['a missing port', ['10.0.0.1'], /discovery\[0\]="10\.0\.0\.1"/],
    [
      'a zero weight',
      [{ host: 'a', port: 1, weight: 0 }],
      /discovery\[0\]\.weight=0 is not valid: expected a finite number above 0/,
    ],
    ['a fractional port', [{ host: 'a', port: 1.5 }], /discovery\[0\]\.port=1\.5/],
    ['a bad host', [{ host: 'a b', port: 1 }], /discovery\[0\]\.host="a b"/],
    [
      'non-string metadata',
      [{ host: 'a', port: 1, metadata: { version: 2 } }],
      /discovery\[0\]\.metadata\.version=2/,
    ],
    [
      'a duplicate',
      ['a:1', { host: 'a', port: 1 }],
      /discovery\[1\]="a:1" is not valid: expected an endpoint id that appears once/,
    ],
    ['not a list', 42, /discovery=42/],
  ];
  for (const [name, list, message] of cases) {
    it(`rejects ${name} with CONFIG_INVALID`, () => {
      expect(() => staticDiscovery(list as never)).toThrow(ConfigInvalidError);
      expect(() => staticDiscovery(list as never)).toThrow(message);
    });
  }
});
