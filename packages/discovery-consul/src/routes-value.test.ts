import { compileRoutes } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { parseRoutesValue } from './routes-value.js';

describe('parseRoutesValue', () => {
  it('reads a bare list or { routes }, and header regexes as RegExp', () => {
    const split = [
      { subset: { version: 'v1' }, weight: 90 },
      { subset: { version: 'v2' }, weight: 10 },
    ];
    expect(parseRoutesValue(JSON.stringify([{ name: 'all', split }]))).toEqual([
      { name: 'all', split },
    ]);
    const [route] = parseRoutesValue(
      JSON.stringify({
        routes: [{ name: 'beta', match: { headers: { 'x-user': { regex: '^beta-' } } } }],
      }),
    );
    const header = route?.match?.headers?.['x-user'] as { regex: RegExp };
    expect(header.regex).toBeInstanceOf(RegExp);
    expect(header.regex.test('beta-7')).toBe(true);
    expect(() => compileRoutes([route])).not.toThrow();
  });

  it('refuses what is not a route table, saying why', () => {
    expect(() => parseRoutesValue('{"routes": [')).toThrow(/not JSON/);
    expect(() => parseRoutesValue('42')).toThrow(/neither a list/);
    expect(() => parseRoutesValue('[{"match":{"headers":{"a":{"regex":"("}}}}]')).toThrow(
      /header "a"/,
    );
  });
});
