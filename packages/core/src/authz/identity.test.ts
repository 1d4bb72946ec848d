import { describe, expect, it } from 'vitest';
import { peerIdentities } from './identity.js';

describe('peerIdentities', () => {
  it('reads URI, DNS (lower-cased) and IP SANs as Node writes them', () => {
    expect(
      peerIdentities('DNS:Payments.Internal, URI:spiffe://td/ns/a/sa/b, IP Address:10.0.0.5'),
    ).toEqual(['dns:payments.internal', 'spiffe://td/ns/a/sa/b', 'ip:10.0.0.5']);
  });

  it('keeps a quoted SAN holding a comma as one value (no injected second identity)', () => {
    // Node quotes a SAN value with a comma since the CVE-2021-44532 fix.
    expect(peerIdentities('URI:"spiffe://td/x, DNS:admin.internal"')).toEqual([
      'spiffe://td/x, DNS:admin.internal',
    ]);
  });

  it('has no identity without SANs', () => {
    expect(peerIdentities(undefined)).toEqual([]);
    expect(peerIdentities('')).toEqual([]);
    expect(peerIdentities('email:a@b.c')).toEqual([]);
  });
});
