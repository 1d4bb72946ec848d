import { describe, expect, it } from 'vitest';
import { endpoint } from '../discovery/endpoint.js';
import { ConfigInvalidError } from '../errors/errors.js';
import { Backend } from './backend.js';
import type { Balancer } from './balancer.js';
import { hashString } from './hash.js';
import type { HashTablePicker } from './hash-table.js';
import { maglev } from './maglev.js';
import { ringHash } from './ring-hash.js';
import { backends, request } from './test-support/backends.js';

const KEYS = Array.from({ length: 20_000 }, (_, i) => hashString(`user-${i}`) >>> 2);

function owners(balancer: Balancer, set: readonly Backend[]): string[] {
  const picker = balancer.build(set);
  return KEYS.map((hash) => picker.pick(request({ hash })).id);
}

const kinds: [string, () => Balancer][] = [
  ['ring hash', () => ringHash()],
  ['maglev', () => maglev()],
];

describe.each(kinds)('%s', (_name, make) => {
  it('sends a key to the same endpoint every time, whatever order discovery lists them in', () => {
    const set = backends(8);
    const first = owners(make(), set);
    expect(owners(make(), [...set].reverse())).toEqual(first);
  });

  it('moves only about 1/N of keys when an endpoint is added, all of them to the new one', () => {
    const set = backends(10);
    const before = owners(make(), set);
    const added = new Backend(endpoint({ host: '10.9.9.9', port: 80 }));
    const after = owners(make(), [...set, added]);
    let moved = 0;
    let movedToNew = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      if (after[i] === added.id) movedToNew++;
    }
    const ideal = KEYS.length / 11;
    expect(moved).toBeGreaterThan(ideal * 0.7);
    expect(moved).toBeLessThan(ideal * 1.3);
    expect(movedToNew / moved).toBeGreaterThan(0.97);
  });

  it('spreads keys evenly, and by weight', () => {
    const set = backends(4, (i) => (i === 0 ? 3 : 1));
    const counts = new Map<string, number>();
    for (const id of owners(make(), set)) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.get(set[0]!.id)! / KEYS.length).toBeGreaterThan(0.5 * 0.85);
    for (const b of set.slice(1)) {
      expect(counts.get(b.id)! / KEYS.length).toBeGreaterThan((1 / 6) * 0.8);
      expect(counts.get(b.id)! / KEYS.length).toBeLessThan((1 / 6) * 1.2);
    }
  });

  it('looks up a table of the same size at 10 and at 10,000 endpoints', () => {
    const small = make().build(backends(10)) as HashTablePicker;
    const large = make().build(backends(10_000)) as HashTablePicker;
    const size = (p: HashTablePicker) => [...p.shares().values()].reduce((a, b) => a + b, 0);
    expect(size(large)).toBe(size(small));
    expect(large.shares().size).toBeGreaterThan(9_000);
  });

  it('sends a retry of the same key to another endpoint, and keeps the first for the key', () => {
    const set = backends(5);
    const picker = make().build(set);
    const first = picker.pick(request({ hash: KEYS[7]! }));
    const retry = picker.pick(request({ hash: KEYS[7]!, exclude: [first.endpoint] }));
    expect(retry).not.toBe(first);
    expect(picker.pick(request({ hash: KEYS[7]! }))).toBe(first);
  });
});

describe('consistent-hash options', () => {
  it('rejects a Maglev table size that is not prime, and a ring out of range', () => {
    expect(() => maglev({ tableSize: 65_536 })).toThrow(ConfigInvalidError);
    expect(() => maglev({ tableSize: 65_536 })).toThrow(
      /maglev tableSize=65536 is not valid: expected a prime/,
    );
    expect(() => ringHash({ tableBits: 30 })).toThrow(/ringHash tableBits=30 is not valid/);
    expect(() => ringHash({ replicas: 0 })).toThrow(/ringHash replicas=0/);
  });
});

describe('hashString', () => {
  it('is MurmurHash3 (x86, 32-bit) of the UTF-16LE bytes, so every process agrees', () => {
    // Reference values from a byte-wise MurmurHash3 (which gives 613153351 for "hello").
    expect(hashString('user-1')).toBe(2_429_978_192);
    expect(hashString('abc', 42)).toBe(758_957_582);
    expect(hashString('é€')).toBe(3_034_059_892);
    expect(hashString('')).toBe(0);
  });
});
