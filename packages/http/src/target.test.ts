import { describe, expect, it } from 'vitest';
import { resolveTarget } from './target.js';

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

  it('refuses another host rather than sending around the mesh', () => {
    expect(() => resolveTarget('http://example.com/x', 'payments', false)).toThrow(
      /sends to service "payments" only/,
    );
  });

  it('refuses a port: discovery supplies it', () => {
    expect(() => resolveTarget('http://payments:8080/x', 'payments', false)).toThrow(
      /leave the port out/,
    );
  });

  it('refuses https on a client without tls, which would go out in clear', () => {
    expect(() => resolveTarget('https://payments/x', 'payments', false)).toThrow(/no tls option/);
    expect(resolveTarget('https://payments/x', 'payments', true)).toBe('/x');
  });

  it('refuses other schemes', () => {
    expect(() => resolveTarget('ftp://payments/x', 'payments', false)).toThrow(/only http/);
  });
});
