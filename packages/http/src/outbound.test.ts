import { describe, expect, it } from 'vitest';
import { flattenHeaders, isIdempotentMethod, OutboundRequest } from './outbound.js';

describe('flattenHeaders', () => {
  it('flattens a record, repeating array values', () => {
    expect(flattenHeaders({ a: '1', b: ['2', '3'], c: undefined, d: 4 })).toEqual([
      'a',
      '1',
      'b',
      '2',
      'b',
      '3',
      'd',
      '4',
    ]);
  });

  it('flattens Headers, pairs and flat arrays', () => {
    expect(flattenHeaders(new Headers({ 'X-A': '1' }))).toEqual(['x-a', '1']);
    expect(
      flattenHeaders([
        ['a', '1'],
        ['b', '2'],
      ]),
    ).toEqual(['a', '1', 'b', '2']);
    expect(flattenHeaders(['a', '1'])).toEqual(['a', '1']);
    expect(flattenHeaders(new Map([['a', '1']]))).toEqual(['a', '1']);
    expect(flattenHeaders(undefined)).toEqual([]);
  });
});

describe('OutboundRequest as RequestInfo', () => {
  const req = new OutboundRequest(
    'GET',
    '/a/b?q=1',
    ['X-Version', 'v2', 'x-version', 'v3'],
    null,
    true,
    {
      'x-canary': '1',
    },
  );

  it('gives routing the path without the query', () => {
    expect(req.path).toBe('/a/b');
    expect(req.target).toBe('/a/b?q=1');
  });

  it('reads headers in any case, joins repeats, and sees route headers first', () => {
    expect(req.header('X-VERSION')).toBe('v2, v3');
    expect(req.header('x-canary')).toBe('1');
    expect(req.header('missing')).toBeUndefined();
  });

  it('answers route headers of a request that has no headers of its own', () => {
    const bare = new OutboundRequest('GET', '/', [], null, true, { 'x-canary': '1' });
    expect(bare.header('X-Canary')).toBe('1');
    expect(new OutboundRequest('GET', '/', [], null, true).header('x-canary')).toBeUndefined();
  });

  it('knows which bodies are streamed', () => {
    expect(req.streamed).toBe(false);
    expect(new OutboundRequest('POST', '/', [], Buffer.from('x'), true).streamed).toBe(false);
    expect(new OutboundRequest('POST', '/', [], (async function* () {})(), false).streamed).toBe(
      true,
    );
  });
});

describe('isIdempotentMethod', () => {
  it('is true for GET, HEAD, OPTIONS, PUT, DELETE and false for POST, PATCH', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotentMethod)).toBe(false);
  });
});
