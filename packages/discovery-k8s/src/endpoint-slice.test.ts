import { describe, expect, it } from 'vitest';
import { endpointsFromSlices } from './endpoint-slice.js';

describe('endpointsFromSlices', () => {
  it('keeps ready (or unset) endpoints on the named port, with zone and pod', () => {
    const endpoints = endpointsFromSlices(
      [
        {
          metadata: { labels: { 'kubernetes.io/service-name': 'payments' } },
          ports: [
            { name: 'metrics', port: 9100 },
            { name: 'http', port: 8080 },
          ],
          endpoints: [
            {
              addresses: ['10.1.0.4'],
              conditions: { ready: true },
              zone: 'eu-1a',
              targetRef: { name: 'pay-abc' },
            },
            { addresses: ['10.1.0.5'], conditions: { ready: false } },
            { addresses: ['10.1.0.6'] },
          ],
        },
      ],
      'http',
    );
    expect(endpoints.map((e) => e.id)).toEqual(['10.1.0.4:8080', '10.1.0.6:8080']);
    expect(endpoints[0]).toMatchObject({ zone: 'eu-1a', metadata: { pod: 'pay-abc' } });
  });

  it('skips slices without the port', () => {
    expect(
      endpointsFromSlices(
        [{ ports: [{ name: 'grpc', port: 9000 }], endpoints: [{ addresses: ['10.0.0.1'] }] }],
        'http',
      ),
    ).toEqual([]);
  });
});
