import { describe, expect, it } from 'vitest';
import { type EndpointSliceLike, readSlice, SliceError } from './endpoint-slice.js';
import { slice } from './test-support/fake-api.js';

function errorOf(s: EndpointSliceLike, port?: string | number): SliceError {
  try {
    readSlice(s, 'payments', port);
  } catch (e) {
    return e as SliceError;
  }
  throw new Error('no error');
}

describe('readSlice', () => {
  it('applies the API nil rules: ready and serving default true, terminating false', () => {
    const [e] = readSlice(
      {
        ...slice('payments-a', []),
        endpoints: [{ addresses: ['10.0.0.1'] }],
      },
      'payments',
      'http',
    );
    expect(e).toMatchObject({
      host: '10.0.0.1',
      port: 8080,
      ready: true,
      serving: true,
      terminating: false,
    });
  });

  it('carries zone, hints.forZones, pod and node', () => {
    const [e] = readSlice(
      {
        ...slice('payments-a', []),
        endpoints: [
          {
            addresses: ['10.0.0.1', '10.0.0.9'],
            zone: 'eu-1a',
            nodeName: 'node-7',
            targetRef: { kind: 'Pod', name: 'payments-7d9-x' },
            hints: { forZones: [{ name: 'eu-1a' }, { name: 'eu-1b' }] },
          },
        ],
      },
      'payments',
      undefined,
    );
    expect(e).toMatchObject({
      host: '10.0.0.1',
      zone: 'eu-1a',
      node: 'node-7',
      pod: 'payments-7d9-x',
      forZones: ['eu-1a', 'eu-1b'],
    });
  });

  it('picks the port by name or by number, and the only port by default', () => {
    const s: EndpointSliceLike = {
      ...slice('payments-a', [{ ip: '10.0.0.1' }]),
      ports: [
        { name: 'http', port: 8080 },
        { name: 'metrics', port: 9100 },
      ],
    };
    expect(readSlice(s, 'payments', 'metrics')[0]?.port).toBe(9100);
    expect(readSlice(s, 'payments', 8080)[0]?.port).toBe(8080);
    expect(readSlice(slice('x', [{ ip: '10.0.0.1' }]), 'payments', undefined)[0]?.port).toBe(8080);
    expect(errorOf(s).message).toMatch(/several ports \(http=8080, metrics=9100\)/);
  });

  it('reads IPv6 slices', () => {
    expect(readSlice(slice('v6', [{ ip: 'fd00::1' }]), 'payments', 'http')[0]).toMatchObject({
      host: 'fd00::1',
      port: 8080,
    });
  });

  it('names the slice and the fault: missing port, FQDN, bad address, missing label', () => {
    const noPort = { ...slice('payments-a', [{ ip: '10.0.0.1' }]), ports: [] };
    expect(errorOf(noPort, 'http').message).toBe(
      'EndpointSlice shop/payments-a: has no port "http" (its ports: none)',
    );
    const nilPort = { ...slice('payments-a', [{ ip: '10.0.0.1' }]), ports: [{ name: 'http' }] };
    expect(errorOf(nilPort, 'http').message).toMatch(/port http has no usable number/);
    const fqdn = { ...slice('payments-b', [{ ip: '10.0.0.1' }]), addressType: 'FQDN' };
    expect(errorOf(fqdn, 'http')).toBeInstanceOf(SliceError);
    expect(errorOf(fqdn, 'http').message).toMatch(
      /^EndpointSlice shop\/payments-b: addressType FQDN is not supported/,
    );
    const wrongFamily = { ...slice('payments-c', [{ ip: 'fd00::1' }]), addressType: 'IPv4' };
    expect(errorOf(wrongFamily, 'http').message).toMatch(/"fd00::1" is not an IPv4 address/);
    const unlabelled: EndpointSliceLike = {
      ...slice('payments-d', [{ ip: '10.0.0.1' }]),
      metadata: { name: 'payments-d', namespace: 'shop' },
    };
    expect(errorOf(unlabelled, 'http').message).toBe(
      'EndpointSlice shop/payments-d: has no kubernetes.io/service-name label (expected "payments")',
    );
    expect(errorOf({ addressType: 'IPv4' }, 'http').message).toMatch(
      /<unnamed>: has no metadata.name/,
    );
  });

  it('accepts a slice without endpoints whatever its ports (a Service with no pods)', () => {
    expect(readSlice({ ...slice('empty', []), ports: null }, 'payments', 'http')).toEqual([]);
  });

  it('refuses junk of any type with a SliceError naming the slice, never a TypeError', () => {
    const base = slice('payments-j', [{ ip: '10.0.0.1' }]);
    const withEndpoint = (patch: Record<string, unknown>): EndpointSliceLike =>
      ({ ...base, endpoints: [{ addresses: ['10.0.0.1'], ...patch }] }) as EndpointSliceLike;
    expect(errorOf(null as unknown as EndpointSliceLike).message).toBe(
      'EndpointSlice <unnamed>: is not an object',
    );
    expect(
      errorOf({ metadata: { name: 'x', namespace: { toString: 0 } } } as never).message,
    ).toMatch(/^EndpointSlice x: has no kubernetes.io\/service-name label/);
    expect(errorOf(withEndpoint({ conditions: { ready: 'false' } }), 'http').message).toBe(
      'EndpointSlice shop/payments-j: endpoint 10.0.0.1: condition ready is "false", not a boolean or null',
    );
    expect(errorOf(withEndpoint({ zone: 7 }), 'http').message).toMatch(/zone is 7, not a string/);
    expect(errorOf(withEndpoint({ targetRef: { name: {} } }), 'http').message).toMatch(
      /targetRef.name is \{\}, not a string/,
    );
    expect(errorOf({ ...base, endpoints: [null] } as never, 'http').message).toMatch(
      /an endpoint is null, not an object/,
    );
    expect(errorOf({ ...base, ports: 'http' } as never, 'http').message).toMatch(
      /ports is not a list/,
    );
  });

  it('is lenient where the API is advisory: a null port entry, malformed zone hints', () => {
    const s = {
      ...slice('payments-k', [{ ip: '10.0.0.1' }]),
      ports: [null, { name: 'http', port: 8080 }],
    };
    expect(readSlice(s as never, 'payments', 'http')).toHaveLength(1);
    const hinted = {
      ...slice('payments-k', []),
      endpoints: [{ addresses: ['10.0.0.1'], hints: { forZones: 'eu-1a' } }],
    };
    expect(readSlice(hinted as never, 'payments', 'http')[0]!.forZones).toEqual([]);
  });
});
