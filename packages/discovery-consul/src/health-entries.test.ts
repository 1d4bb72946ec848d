import { describe, expect, it } from 'vitest';
import {
  aggregateStatus,
  type ConsulHealthEntry,
  endpointsFromHealth,
  parseHealthBody,
} from './health-entries.js';

function entry(
  node: string,
  id: string,
  status: string[],
  service: Partial<ConsulHealthEntry['Service']> = {},
): ConsulHealthEntry {
  return {
    Node: { Node: node, Address: `10.0.0.${node.slice(1)}`, Datacenter: 'dc1' },
    Service: { ID: id, Service: 'payments', Address: '', Port: 8080, ...service },
    Checks: status.map((Status) => ({ Status })),
  };
}

describe('endpointsFromHealth', () => {
  it('maps address (node fallback), port, weight, meta, tags, node, datacenter and zone, sorted by id', () => {
    const [a, b] = endpointsFromHealth([
      entry('n2', 'pay-2', ['passing'], {
        Address: '10.1.0.2',
        Port: 9090,
        Meta: { version: 'v1', zone: 'eu-1a' },
      }),
      entry('n1', 'pay-1', ['passing', 'passing'], {
        Tags: ['v2', 'canary'],
        Meta: { version: 'v2' },
        Weights: { Passing: 3, Warning: 1 },
      }),
    ]);
    expect(a).toEqual({
      id: 'n1/pay-1',
      host: '10.0.0.1',
      port: 8080,
      weight: 3,
      zone: undefined,
      metadata: {
        version: 'v2',
        'consul.node': 'n1',
        'consul.datacenter': 'dc1',
        'consul.tags': 'v2,canary',
        'tag:v2': 'true',
        'tag:canary': 'true',
      },
    });
    expect(b).toMatchObject({ id: 'n2/pay-2', host: '10.1.0.2', port: 9090, zone: 'eu-1a' });
  });

  it('keeps passing instances only by default; warning ones at Weights.Warning when asked', () => {
    const entries = [
      entry('n1', 'a', ['passing'], { Weights: { Passing: 5, Warning: 2 } }),
      entry('n2', 'b', ['passing', 'warning'], { Weights: { Passing: 5, Warning: 2 } }),
      entry('n3', 'c', ['warning', 'critical']),
      entry('n4', 'd', ['maintenance', 'passing']),
      entry('n5', 'e', ['warning'], { Weights: { Passing: 1, Warning: 0 } }),
    ];
    expect(endpointsFromHealth(entries).map((e) => e.id)).toEqual(['n1/a']);
    const withWarning = endpointsFromHealth(entries, { includeWarning: true });
    expect(withWarning.map((e) => [e.id, e.weight])).toEqual([
      ['n1/a', 5],
      ['n2/b', 2],
    ]);
  });

  it('uses a tagged address when asked: the service one, else the node one, else the address', () => {
    const e = entry('n1', 'a', ['passing'], {
      Address: '10.1.0.1',
      TaggedAddresses: { wan: { Address: '198.18.0.1', Port: 80 } },
    });
    e.Node.TaggedAddresses = { lan_ipv4: '10.9.0.1' };
    expect(endpointsFromHealth([e], { taggedAddress: 'wan' })[0]).toMatchObject({
      host: '198.18.0.1',
      port: 80,
    });
    expect(endpointsFromHealth([e], { taggedAddress: 'lan_ipv4' })[0]).toMatchObject({
      host: '10.9.0.1',
      port: 8080,
    });
    expect(endpointsFromHealth([e], { taggedAddress: 'other' })[0]?.host).toBe('10.1.0.1');
  });

  it('leaves out instances nothing can dial (no address, port 0, a space in the host) and repeated ids', () => {
    const entries = [
      entry('n1', 'ok', ['passing'], { Address: '10.0.0.9' }),
      entry('n1', 'ok', ['passing'], { Address: '10.0.0.9' }),
      entry('n2', 'zero', ['passing'], { Port: 0 }),
      entry('n3', 'spaced', ['passing'], { Address: '10.0.0.3 ' }),
      { ...entry('n4', 'nowhere', ['passing']), Node: { Node: 'n4', Address: '' } },
    ];
    expect(endpointsFromHealth(entries).map((e) => e.id)).toEqual(['n1/ok']);
  });

  it('reads the zone from the configured meta key', () => {
    const e = entry('n1', 'a', ['passing'], { Meta: { az: 'us-east-1b' } });
    expect(endpointsFromHealth([e], { zoneMetaKey: 'az' })[0]?.zone).toBe('us-east-1b');
  });
});

describe('aggregateStatus', () => {
  it('is the worst check, maintenance first, unknown statuses as critical', () => {
    expect(aggregateStatus([])).toBe('passing');
    expect(aggregateStatus([{ Status: 'passing' }, { Status: 'warning' }])).toBe('warning');
    expect(aggregateStatus([{ Status: 'critical' }, { Status: 'maintenance' }])).toBe(
      'maintenance',
    );
    expect(aggregateStatus([{ Status: 'bogus' }])).toBe('critical');
  });
});

describe('parseHealthBody', () => {
  it('accepts a list of entries and refuses anything else with a reason', () => {
    expect(parseHealthBody('[]')).toEqual([]);
    expect(() => parseHealthBody('[{"Node":')).toThrow(/not JSON/);
    expect(() => parseHealthBody('{"a":1}')).toThrow(/not a JSON array/);
    expect(() => parseHealthBody('[{"Node":{"Node":"n"},"Service":{}}]')).toThrow(/entry 0/);
    const bad = (service: string) =>
      `[{"Node":{"Node":"n","Address":"a"},"Service":{"ID":"x","Port":1,${service}}}]`;
    expect(() => parseHealthBody(bad('"Meta":{"version":2}'))).toThrow(
      'entry 0: Service.Meta.version is not a string',
    );
    expect(() => parseHealthBody(bad('"Tags":["a",1]'))).toThrow(
      /Service.Tags is not a list of strings/,
    );
    expect(() => parseHealthBody(bad('"Weights":{"Passing":"3"}'))).toThrow(/Weights.Passing/);
    expect(() => parseHealthBody(bad('"TaggedAddresses":{"wan":"x"}'))).toThrow(
      /TaggedAddresses.wan/,
    );
    expect(parseHealthBody(bad('"Meta":null,"Tags":null'))).toHaveLength(1);
  });
});
