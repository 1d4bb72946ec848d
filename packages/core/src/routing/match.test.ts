import { describe, expect, it } from 'vitest';
import type { RequestInfo } from '../context/request-info.js';
import { ConfigInvalidError } from '../errors/errors.js';
import { compileRoutes } from './compile.js';
import { RouteMatcher } from './match.js';
import { parseSelector, selectorOf } from './selector.js';

function info(method: string, path: string, headers: Record<string, string> = {}): RequestInfo {
  return { method, path, header: (name) => headers[name] };
}

describe('RouteMatcher', () => {
  it('matches methods, exactly or from a list', () => {
    const one = new RouteMatcher({ method: 'GET' }, 'm');
    expect(one.matches(info('GET', '/'))).toBe(true);
    expect(one.matches(info('POST', '/'))).toBe(false);
    const list = new RouteMatcher({ method: ['put', 'DELETE'] }, 'm');
    expect(list.matches(info('PUT', '/'))).toBe(true);
    expect(list.matches(info('delete', '/'))).toBe(true);
    expect(list.matches(info('GET', '/'))).toBe(false);
  });

  it('matches a path prefix by whole segments, and an exact path exactly', () => {
    const prefix = new RouteMatcher({ path: { prefix: '/api/' } }, 'm');
    expect(prefix.matches(info('GET', '/api'))).toBe(true);
    expect(prefix.matches(info('GET', '/api/charges/42'))).toBe(true);
    expect(prefix.matches(info('GET', '/apiary'))).toBe(false);
    expect(new RouteMatcher({ path: { prefix: '/' } }, 'm').matches(info('GET', '/x'))).toBe(true);
    const grpc = new RouteMatcher({ path: { prefix: '/payments.v1.Charges' } }, 'm');
    expect(grpc.matches(info('POST', '/payments.v1.Charges/Create'))).toBe(true);
    const exact = new RouteMatcher({ path: { exact: '/health' } }, 'm');
    expect(exact.matches(info('GET', '/health'))).toBe(true);
    expect(exact.matches(info('GET', '/health/deep'))).toBe(false);
  });

  it('matches headers exactly, by prefix, by regex, and by presence or absence', () => {
    const m = new RouteMatcher(
      {
        headers: {
          'X-Tenant': 'acme',
          'x-user': { prefix: 'test-' },
          'x-build': { regex: /^v\d+$/g },
          'x-debug': { present: true },
          'x-canary': { present: false },
        },
      },
      'm',
    );
    const ok = { 'x-tenant': 'acme', 'x-user': 'test-1', 'x-build': 'v12', 'x-debug': '' };
    expect(m.matches(info('GET', '/', ok))).toBe(true);
    // A global regex used twice must not alternate between true and false.
    expect(m.matches(info('GET', '/', ok))).toBe(true);
    expect(m.matches(info('GET', '/', { ...ok, 'x-tenant': 'other' }))).toBe(false);
    expect(m.matches(info('GET', '/', { ...ok, 'x-user': 'prod-1' }))).toBe(false);
    expect(m.matches(info('GET', '/', { ...ok, 'x-build': 'v1x' }))).toBe(false);
    expect(m.matches(info('GET', '/', { ...ok, 'x-canary': '1' }))).toBe(false);
    const { 'x-debug': _, ...noDebug } = ok;
    expect(m.matches(info('GET', '/', noDebug))).toBe(false);
  });

  it('matches everything when empty', () => {
    expect(new RouteMatcher(undefined, 'm').matches(info('PATCH', '/anything'))).toBe(true);
  });
});

describe('selectors', () => {
  it('are canonical whatever the key order, and parse from the override header', () => {
    expect(selectorOf({ zone: 'a', version: 'v2' }, 's').key).toBe('version=v2,zone=a');
    expect(parseSelector(' zone=a , version=v2')!.key).toBe('version=v2,zone=a');
    expect(parseSelector('v2')).toBeUndefined();
    expect(parseSelector('=v2')).toBeUndefined();
  });
});

describe('compileRoutes rejects bad routes with CONFIG_INVALID naming the option', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'not a list',
      { name: 'x' },
      /option routes=\{"name":"x"\} is not valid: expected a list of routes/,
    ],
    [
      'a duplicate name',
      [{ name: 'a' }, { name: 'a' }],
      /routes\[1\]\.name="a" is not valid: expected a non-empty name no other route has/,
    ],
    [
      'an unknown match key',
      [{ match: { paht: {} } }],
      /routes\[0\]\.match\.paht is not an option of routes\[0\]\.match; did you mean path\?/,
    ],
    [
      'a path without a slash',
      [{ match: { path: { prefix: 'api' } } }],
      /routes\[0\]\.match\.path=.*expected \{ exact: '\/x' \} or \{ prefix: '\/x' \}/,
    ],
    [
      'both exact and prefix',
      [{ match: { path: { exact: '/a', prefix: '/a' } } }],
      /routes\[0\]\.match\.path=/,
    ],
    [
      'a bad method',
      [{ match: { method: 'GET /' } }],
      /routes\[0\]\.match\.method=.*a method name/,
    ],
    [
      'a bad header condition',
      [{ match: { headers: { 'x-a': { suffix: 'x' } } } }],
      /routes\[0\]\.match\.headers\.x-a=/,
    ],
    [
      'a negative weight',
      [{ split: [{ subset: { version: 'v2' }, weight: -1 }] }],
      /routes\[0\]\.split\[0\]\.weight=-1 is not valid: expected a finite number ≥ 0/,
    ],
    [
      'all weights zero',
      [{ split: [{ subset: {}, weight: 0 }] }],
      /routes\[0\]\.split="all weights 0"/,
    ],
    [
      'a non-string label',
      [{ split: [{ subset: { version: 2 }, weight: 1 }] }],
      /routes\[0\]\.split\[0\]\.subset\.version=2/,
    ],
    [
      'a bad route fault',
      [{ fault: { abort: { percent: 150 } } }],
      /routes\[0\]\.fault\.abort\.percent=150 is not valid: expected a number from 0 to 100/,
    ],
  ];
  for (const [name, routes, message] of cases) {
    it(name, () => {
      expect(() => compileRoutes(routes)).toThrow(ConfigInvalidError);
      expect(() => compileRoutes(routes)).toThrow(message);
    });
  }

  it('accepts a full route and fills its defaults', () => {
    const [route] = compileRoutes([
      {
        name: 'canary',
        match: { method: 'GET', path: { prefix: '/charges' }, headers: { 'x-beta': 'yes' } },
        split: [
          { subset: { version: 'v1' }, weight: 95 },
          { subset: { version: 'v2' }, weight: 5 },
        ],
        fault: { delay: { percent: 10, ms: 50 } },
      },
    ]);
    expect(route!.name).toBe('canary');
    expect(route!.split.map((s) => [s.selector.key, s.weight])).toEqual([
      ['version=v1', 95],
      ['version=v2', 5],
    ]);
    expect(route!.fault).toMatchObject({
      delayPercent: 10,
      delayMs: 50,
      abortPercent: 0,
      abortStatus: 503,
    });
    expect(compileRoutes([{}])[0]!.name).toBe('routes[0]');
  });
});
