import { describe, expect, it } from 'vitest';
import { endpointsFromHealth } from './health-entries.js';

describe('endpointsFromHealth', () => {
  it('maps entries, falling back to the node address and reading weight, tags and meta', () => {
    const [a, b] = endpointsFromHealth([
      {
        Node: { Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1' },
        Service: {
          ID: 'pay-1',
          Service: 'payments',
          Address: '',
          Port: 8080,
          Tags: ['v2'],
          Meta: { version: 'v2' },
          Weights: { Passing: 3, Warning: 1 },
        },
      },
      {
        Node: { Node: 'n2', Address: '10.0.0.2' },
        Service: {
          ID: 'pay-2',
          Service: 'payments',
          Address: '10.1.0.2',
          Port: 9090,
          Meta: { zone: 'eu-1a' },
        },
      },
    ]);
    expect(a).toMatchObject({
      id: 'pay-1',
      host: '10.0.0.1',
      port: 8080,
      weight: 3,
      zone: 'dc1',
      metadata: { version: 'v2', tags: 'v2', node: 'n1' },
    });
    expect(b).toMatchObject({
      id: 'pay-2',
      host: '10.1.0.2',
      port: 9090,
      weight: 1,
      zone: 'eu-1a',
    });
  });
});
