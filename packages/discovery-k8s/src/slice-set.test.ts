import { describe, expect, it } from 'vitest';
import { SliceSet } from './slice-set.js';
import { slice } from './test-support/fake-api.js';

const ids = (set: SliceSet, now = 0) => set.endpoints(now).map((e) => e.id);

describe('SliceSet', () => {
  it('merges every slice of the Service, sorted by id', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([
      slice('a', [{ ip: '10.0.0.3' }]),
      slice('b', [{ ip: '10.0.0.1' }]),
      slice('c', [{ ip: '10.0.0.2' }]),
    ]);
    expect(ids(set)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
  });

  it('a pod moving between slices is never missing nor doubled, whichever write comes first', () => {
    for (const order of ['add-first', 'remove-first'] as const) {
      const set = new SliceSet('payments', 'http', 1_000);
      set.replace(
        [slice('a', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]), slice('b', [{ ip: '10.0.0.3' }])],
        0,
      );
      const seen: string[][] = [];
      const to = slice('b', [{ ip: '10.0.0.3' }, { ip: '10.0.0.2' }]);
      const from = slice('a', [{ ip: '10.0.0.1' }]);
      for (const [i, s] of (order === 'add-first' ? [to, from] : [from, to]).entries()) {
        set.upsert(s, 10 * (i + 1));
        seen.push(ids(set, 10 * (i + 1)));
      }
      for (const s of seen) expect(s).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
      expect(set.nextExpiry).toBeUndefined();
    }
  });

  it('lets a vanished ready endpoint go once the grace is over', () => {
    const set = new SliceSet('payments', 'http', 1_000);
    set.replace([slice('a', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }])], 0);
    set.upsert(slice('a', [{ ip: '10.0.0.1' }]), 100);
    expect(ids(set, 100)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(set.nextExpiry).toBe(1_100);
    expect(ids(set, 1_099)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(ids(set, 1_100)).toEqual(['10.0.0.1:8080']);
    expect(set.nextExpiry).toBeUndefined();
  });

  it('drops an endpoint turning not-ready at once: only vanishing is held', () => {
    const set = new SliceSet('payments', 'http', 1_000);
    set.replace([slice('a', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }])], 0);
    set.upsert(
      slice('a', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false, terminating: true }]),
      5,
    );
    expect(ids(set, 5)).toEqual(['10.0.0.1:8080']);
  });

  it('takes the port per slice: pods behind one Service port may listen on different ones', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([
      slice('old', [{ ip: '10.0.0.1' }], { port: 8080 }),
      slice('new', [{ ip: '10.0.0.2' }], { port: 9090 }),
    ]);
    expect(ids(set)).toEqual(['10.0.0.1:8080', '10.0.0.2:9090']);
  });

  it('prefers the ready report when two slices disagree about one address', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([
      slice('a', [{ ip: '10.0.0.1', ready: false, serving: false }]),
      slice('b', [{ ip: '10.0.0.1' }]),
    ]);
    expect(ids(set)).toEqual(['10.0.0.1:8080']);
  });

  it('keeps ready endpoints only, and serving-terminating ones only when none is ready', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([
      slice('a', [
        { ip: '10.0.0.1' },
        { ip: '10.0.0.2', ready: false, serving: true, terminating: true },
        { ip: '10.0.0.3', ready: false, serving: false },
      ]),
    ]);
    expect(ids(set)).toEqual(['10.0.0.1:8080']);
    set.upsert(
      slice('a', [
        { ip: '10.0.0.2', ready: false, serving: true, terminating: true },
        { ip: '10.0.0.3', ready: false, serving: false },
      ]),
    );
    expect(set.endpoints()).toEqual([
      expect.objectContaining({ id: '10.0.0.2:8080', metadata: { terminating: 'true' } }),
    ]);
  });

  it('a bad update keeps the slice’s last good endpoints and is reported', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([slice('a', [{ ip: '10.0.0.1' }]), slice('b', [{ ip: '10.0.0.2' }])]);
    const error = set.upsert({ ...slice('a', [{ ip: '10.0.0.9' }]), addressType: 'FQDN' });
    expect(error?.message).toMatch(/shop\/a: addressType FQDN/);
    expect(ids(set)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    // A re-list with the slice still bad keeps it too; one that drops it drops it.
    expect(
      set.replace([{ ...slice('a', []), addressType: 'FQDN' }, slice('b', [{ ip: '10.0.0.2' }])]),
    ).toHaveLength(1);
    expect(ids(set)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    set.replace([slice('b', [{ ip: '10.0.0.2' }])]);
    expect(ids(set)).toEqual(['10.0.0.2:8080']);
  });

  it('a new bad slice adds nothing; a deleted slice takes its endpoints away', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([slice('a', [{ ip: '10.0.0.1' }])]);
    expect(set.upsert({ ...slice('b', [{ ip: '10.0.0.2' }]), ports: [] })).toBeDefined();
    expect(ids(set)).toEqual(['10.0.0.1:8080']);
    set.delete(slice('a', []));
    expect(ids(set)).toEqual([]);
  });

  it('gives endpoints stable ids with pod, node and zone hints as metadata, v6 in brackets', () => {
    const set = new SliceSet('payments', 'http');
    set.replace([
      {
        ...slice('a', []),
        endpoints: [
          {
            addresses: ['10.0.0.1'],
            zone: 'eu-1a',
            nodeName: 'n1',
            targetRef: { name: 'payments-x' },
            hints: { forZones: [{ name: 'eu-1a' }] },
          },
        ],
      },
      slice('b', [{ ip: 'fd00::2' }]),
    ]);
    expect(set.endpoints()).toEqual([
      expect.objectContaining({
        id: '10.0.0.1:8080',
        zone: 'eu-1a',
        metadata: { pod: 'payments-x', node: 'n1', forZones: 'eu-1a' },
      }),
      expect.objectContaining({ id: '[fd00::2]:8080', host: 'fd00::2', port: 8080 }),
    ]);
  });
});
