import { describe, expect, it } from 'vitest';
import { BALANCER_NAMES } from '../config/settings.js';
import { AliasTable } from './alias.js';
import { balancerByName } from './by-name.js';
import { p2cEwma, p2cLeastRequest } from './p2c.js';
import { PeakEwma } from './peak-ewma.js';
import { seededRandom } from './random.js';
import { randomBalancer } from './random-balancer.js';
import { roundRobin } from './round-robin.js';
import { backends, request, shares } from './test-support/backends.js';

describe('round robin', () => {
  it('visits every endpoint once per round, in order, from a random start', () => {
    const set = backends(5);
    const picker = roundRobin({ random: seededRandom(9) }).build(set);
    const picks = Array.from({ length: 15 }, () => picker.pick(request()).id);
    const start = set.findIndex((b) => b.id === picks[0]);
    expect(picks).toEqual(Array.from({ length: 15 }, (_, k) => set[(start + k) % 5]!.id));
  });

  it('gives each endpoint its weight share within 1 percentage point, spread evenly over time', () => {
    const set = backends(4, (i) => i + 1);
    const picker = roundRobin({ random: seededRandom(1) }).build(set);
    const picks = Array.from({ length: 100_000 }, () => picker.pick(request()));
    const share = shares(picks);
    set.forEach((b, i) => {
      expect(Math.abs(share.get(b.id)! - (i + 1) / 10)).toBeLessThan(0.01);
    });
    // Evenly spread: the heaviest endpoint is never absent from a window of 10 picks.
    for (let w = 0; w + 10 <= 1_000; w += 10) {
      expect(picks.slice(w, w + 10).some((b) => b === set[3])).toBe(true);
    }
  });
});

describe('random', () => {
  it('draws by weight within 1 percentage point over 100k picks', () => {
    const set = backends(3, (i) => [1, 3, 6][i]!);
    const picker = randomBalancer({ random: seededRandom(5) }).build(set);
    const share = shares(Array.from({ length: 100_000 }, () => picker.pick(request())));
    expect(Math.abs(share.get(set[0]!.id)! - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(share.get(set[2]!.id)! - 0.6)).toBeLessThan(0.01);
  });
});

describe('P2C', () => {
  it('least request sends to the endpoint with fewer requests in flight', () => {
    const [busy, idle] = backends(2);
    busy!.outstanding = 3;
    const picker = p2cLeastRequest({ random: seededRandom(2) }).build([busy!, idle!]);
    for (let i = 0; i < 20; i++) expect(picker.pick(request())).toBe(idle);
  });

  it('peak EWMA prefers the lower latency × (in flight + 1), per unit of weight', () => {
    const [fast, slow, heavy] = backends(3, (i) => (i === 2 ? 4 : 1));
    const balancer = p2cEwma({ random: seededRandom(2) });
    balancer.observe!(fast!, 10, 'success', 0);
    balancer.observe!(slow!, 50, 'success', 0);
    balancer.observe!(heavy!, 30, 'success', 0);
    const pair = balancer.build([fast!, slow!]);
    for (let i = 0; i < 10; i++) expect(pair.pick(request())).toBe(fast);
    fast!.outstanding = 9; // 10 × 10 > 50 × 1
    expect(pair.pick(request())).toBe(slow);
    // 30 ms at weight 4 costs less than 10 ms × 10 in flight at weight 1.
    const weighted = balancer.build([fast!, heavy!]);
    expect(weighted.pick(request())).toBe(heavy);
  });

  it('weighs a retry between two untried endpoints, not the one left in a pair with a tried one', () => {
    const [failed, slow, fastA, fastB] = backends(4);
    const balancer = p2cEwma({ random: seededRandom(7) });
    balancer.observe!(failed!, 5, 'success', 0);
    balancer.observe!(slow!, 500, 'success', 0);
    balancer.observe!(fastA!, 5, 'success', 0);
    balancer.observe!(fastB!, 5, 'success', 0);
    const picker = balancer.build([failed!, slow!, fastA!, fastB!]);
    const picks = Array.from({ length: 3_000 }, () =>
      picker.pick(request({ exclude: [failed!.endpoint] })),
    );
    expect(picks).not.toContain(failed);
    // Unweighed, a pair {failed, slow} (one draw in six) sent the retry to slow.
    expect(shares(picks).get(slow!.id) ?? 0).toBeLessThan(0.01);
  });

  it('counts a failure as a penalised latency and a cancellation only as a lower bound', () => {
    const [a, b] = backends(2);
    const balancer = p2cEwma({ defaultRttMs: 20 });
    balancer.observe!(a!, 1, 'failure', 0);
    expect(a!.rttMs).toBe(200);
    balancer.observe!(b!, 30, 'success', 0);
    balancer.observe!(b!, 5, 'cancelled', 0);
    expect(b!.rttMs).toBe(30);
    balancer.observe!(b!, 80, 'cancelled', 0);
    expect(b!.rttMs).toBe(80);
  });
});

describe('PeakEwma', () => {
  it('jumps to a higher sample, blends a lower one in over time, and decays when read without storing', () => {
    const ewma = new PeakEwma();
    ewma.observe(10, 0, 1_000);
    ewma.observe(100, 0, 1_000);
    expect(ewma.rttMs).toBe(100);
    ewma.observe(10, 1_000, 1_000);
    const decayed = 100 * Math.exp(-1);
    expect(ewma.rttMs).toBeCloseTo(decayed * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 2);
    const stored = ewma.rttMs;
    expect(ewma.estimate(2_000, 1_000)).toBeCloseTo(stored * Math.exp(-1), 6);
    expect(ewma.rttMs).toBe(stored);
    // A sample above the decayed estimate takes over at once.
    ewma.observe(30, 2_000, 1_000);
    expect(ewma.rttMs).toBe(30);
  });
});

describe('AliasTable', () => {
  it('is skipped for equal weights and exact in expectation for unequal ones', () => {
    expect(AliasTable.of([2, 2, 2])).toBeUndefined();
    const table = AliasTable.of([1, 0, 3])!;
    const counts = [0, 0, 0];
    const steps = 40_000;
    for (let k = 0; k < steps; k++) counts[table.index((k + 0.5) / steps)]!++;
    expect(counts).toEqual([10_000, 0, 30_000]);
  });
});

describe('every balancer', () => {
  for (const name of BALANCER_NAMES) {
    it(`${name}: avoids tried endpoints while one is left, and still picks when none is`, () => {
      const set = backends(6);
      const picker = balancerByName(name, { random: seededRandom(4) }).build(set);
      const exclude = set.slice(0, 5).map((b) => b.endpoint);
      for (let i = 0; i < 50; i++) {
        expect(picker.pick(request({ exclude, hash: i * 7919 }))).toBe(set[5]);
      }
      const all = set.map((b) => b.endpoint);
      expect(set).toContain(picker.pick(request({ exclude: all, hash: 1 })));
    });

    it(`${name}: works with a single endpoint`, () => {
      const [only] = backends(1);
      const picker = balancerByName(name, { random: seededRandom(4) }).build([only!]);
      expect(picker.pick(request({ hash: 99 }))).toBe(only);
      expect(picker.pick(request({ exclude: [only!.endpoint] }))).toBe(only);
    });
  }
});
