import { isOutriggerError, RequestInvalidError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from './target.js';

/** The REQUEST_INVALID message `resolveTarget` refuses `input` with. */
function refusal(input: string | URL, secure = false): string {
  try {
    resolveTarget(input, 'payments', secure);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestInvalidError);
    expect(isOutriggerError(error, 'REQUEST_INVALID')).toBe(true);
    // Query values are masked: they may carry credentials (the input named without them).
    expect((error as RequestInvalidError).input).toBe(String(input).replace(/=[^&#]*/g, '=***'));
    return (error as Error).message;
  }
  throw new Error(`expected ${String(input)} to be refused`);
}

describe('resolveTarget', () => {
  it('takes a path as it is, without the fragment', () => {
    expect(resolveTarget('/charges/42?x=1#frag', 'payments', false)).toBe('/charges/42?x=1');
    expect(resolveTarget('charges', 'payments', false)).toBe('/charges');
  });

  it('resolves http://<service>/... through discovery, any case', () => {
    expect(resolveTarget('http://payments/charges?a=b', 'payments', false)).toBe('/charges?a=b');
    expect(resolveTarget('http://Payments', 'payments', false)).toBe('/');
    expect(resolveTarget(new URL('http://payments/a/b?c=d#e'), 'payments', false)).toBe('/a/b?c=d');
  });

  it('refuses another host rather than sending around the mesh, showing the valid forms', () => {
    expect(refusal('http://example.com/x?y=1')).toBe(
      'payments: cannot send to http://example.com/x?y=***: this client sends to service ' +
        '"payments" only, not to example.com; use a path (/x?y=***) or http://payments/x?y=***; ' +
        'for another service, create a client for it',
    );
    expect(refusal(new URL('http://10.0.0.5:8080/x'))).toMatch(
      /not to 10\.0\.0\.5:8080; use a path \(\/x\)/,
    );
  });

  it('refuses a port: discovery supplies it', () => {
    expect(refusal('http://payments:8080/x')).toMatch(
      /discovery supplies each endpoint with its port; leave the port out: http:\/\/payments\/x$/,
    );
  });

  it('refuses https on a client without tls, which would go out in clear', () => {
    expect(refusal('https://payments/x')).toMatch(
      /no tls option.*; set tls, or use http:\/\/payments\/x$/,
    );
    expect(resolveTarget('https://payments/x', 'payments', true)).toBe('/x');
  });

  it('refuses other schemes', () => {
    expect(refusal('ftp://payments/x')).toMatch(
      /the ftp: scheme is not supported; use \/x or http:\/\/payments\/x$/,
    );
  });
});

describe('resolveTarget: no credential reaches a message', () => {
  const refusalError = (input: string | URL) => {
    try {
      resolveTarget(input, 'payments', false);
    } catch (error) {
      return error as Error & { input: unknown; code: string };
    }
    throw new Error('expected a refusal');
  };

  it('masks userinfo and query values of a refused URL, in the message and in input', () => {
    for (const input of [
      'http://user:SECRET@payments/x',
      'http://evil/x?access_token=SECRET&a=1',
      new URL('http://u:SECRET@evil/x?key=SECRET'),
      'http://payments:8080/x?sig=SECRET',
    ]) {
      const error = refusalError(input);
      expect(error.code).toBe('REQUEST_INVALID');
      expect(error.message).not.toContain('SECRET');
      expect(JSON.stringify(error.input)).not.toContain('SECRET');
    }
    expect(refusalError('http://user:SECRET@payments/x').message).toMatch(/credentials in the URL/);
  });
});
