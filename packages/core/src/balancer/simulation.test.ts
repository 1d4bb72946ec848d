import { describe, expect, it } from 'vitest';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { Simulation } from './test-support/simulation.js';

const four = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];
const SLOW = '10.0.0.4:80';

describe('P2C over peak EWMA, simulated on virtual time', () => {
  it('sends under 5% of calls to the one endpoint of four that is 10× slower', async () => {
    const behaviour = (e: { id: string }) => ({ latencyMs: e.id === SLOW ? 100 : 10 });
    const sim = new Simulation({ discovery: four, behaviour, outlierDetection: false });
    await sim.run(20_000, 1, 200);
    expect(sim.share(SLOW)).toBeLessThan(0.05);
    expect(sim.succeeded).toBe(20_000);

    // The same load under round robin puts a quarter on it: the test can tell the difference.
    const rr = new Simulation({
      discovery: four,
      behaviour,
      balancer: 'round-robin',
      outlierDetection: false,
    });
    await rr.run(2_000, 1, 200);
    expect(rr.share(SLOW)).toBeGreaterThan(0.24);
  });

  it('ejects an endpoint that fails every call fast, which then draws under 2% of calls', async () => {
    const sim = new Simulation({
      discovery: four,
      behaviour: (e) => ({ latencyMs: e.id === SLOW ? 1 : 10, fail: e.id === SLOW }),
    }).record('outlier.ejected', 'outlier.restored');
    await sim.run(120_000, 1, 100);
    expect(sim.share(SLOW)).toBeLessThan(0.02);
    const ejections = sim.log.filter((l) => l.name === 'outlier.ejected');
    expect(ejections.length).toBeGreaterThan(0);
    expect(
      ejections.every((l) => (l.event as { endpoint: { id: string } }).endpoint.id === SLOW),
    ).toBe(true);
    const first = ejections[0]!.event as { ejectionMs: number; reason: string };
    expect(first).toMatchObject({ ejectionMs: 30_000, reason: 'consecutive-failures' });
    expect(sim.failed).toBe(sim.counts.get(SLOW));
  });

  it('keeps a fast-failing endpoint under 2% of calls by its failure penalty alone, before any ejection', async () => {
    const sim = new Simulation({
      discovery: four,
      outlierDetection: false,
      behaviour: (e) => ({ latencyMs: e.id === SLOW ? 1 : 10, fail: e.id === SLOW }),
    });
    await sim.run(20_000, 1, 100);
    expect(sim.share(SLOW)).toBeLessThan(0.02);
    expect(sim.counts.get(SLOW)).toBeGreaterThan(0);
  });
});

describe('panic mode, simulated', () => {
  it('engages when fewer than half the endpoints are healthy and disengages when they recover', async () => {
    let broken = true;
    const failing = new Set(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
    const sim = new Simulation({
      discovery: four,
      balancer: 'round-robin',
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionPercent: 100 },
      behaviour: (e) => ({ latencyMs: 5, fail: broken && failing.has(e.id) }),
    }).record(
      'outlier.ejected',
      'balancer.panic_entered',
      'outlier.restored',
      'balancer.panic_exited',
    );
    await sim.run(200);
    const names = () => sim.log.map((l) => l.name);
    expect(names().slice(0, 4)).toEqual([
      'outlier.ejected',
      'outlier.ejected',
      'outlier.ejected',
      'balancer.panic_entered',
    ]);
    expect(sim.lb.inspect().panic).toEqual(['*']);
    // In panic every endpoint takes traffic again, ejected ones included.
    sim.resetCounts();
    await sim.run(100);
    for (const id of failing) expect(sim.share(id)).toBeGreaterThan(0.2);

    broken = false;
    await sim.run(1_500);
    expect(names()).toContain('balancer.panic_exited');
    const exited = sim.log.find((l) => l.name === 'balancer.panic_exited')!;
    expect(exited.event).toMatchObject({ subset: '*', total: 4 });
    expect((exited.event as { healthy: number }).healthy).toBeGreaterThanOrEqual(2);
    expect(sim.lb.inspect().panic).toEqual([]);
  });
});

describe('zone-aware preference, simulated', () => {
  const zoned = [
    { host: '10.0.1.1', port: 80, zone: 'a' },
    { host: '10.0.1.2', port: 80, zone: 'a' },
    { host: '10.0.2.1', port: 80, zone: 'b' },
    { host: '10.0.2.2', port: 80, zone: 'b' },
  ];

  it('keeps calls in the caller zone while it is healthy, and spills over when it is not', async () => {
    let broken = false;
    const sim = new Simulation({
      discovery: zoned,
      zone: 'a',
      balancer: 'round-robin',
      outlierDetection: { consecutiveFailures: 3 },
      behaviour: (e) => ({ latencyMs: 5, fail: broken && e.id === '10.0.1.1:80' }),
    });
    await sim.run(1_000);
    expect(sim.share('10.0.1.1:80') + sim.share('10.0.1.2:80')).toBe(1);

    broken = true;
    await sim.run(200);
    expect(sim.lb.inspect().endpoints.find((e) => e.endpoint.id === '10.0.1.1:80')!.ejected).toBe(
      true,
    );
    sim.resetCounts();
    await sim.run(1_000);
    // Half of zone a left is under the 70% bar: every healthy endpoint shares the load.
    expect(sim.share('10.0.1.1:80')).toBe(0);
    expect(sim.share('10.0.2.1:80') + sim.share('10.0.2.2:80')).toBeGreaterThan(0.4);
  });
});

describe('discovery updates under load, simulated', () => {
  it('lose no call: calls in flight to a removed endpoint finish, new calls go to the new set', async () => {
    const discovery = staticDiscovery(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
    const sim = new Simulation({ discovery, behaviour: () => ({ latencyMs: 50 }) });
    await sim.run(500, 2);
    const removed = sim.lb.inspect().endpoints.find((e) => e.endpoint.id === '10.0.0.1:80')!;
    expect(removed.outstanding).toBeGreaterThan(0);

    discovery.update(['10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80']);
    sim.resetCounts();
    await sim.run(500, 2);
    expect(sim.counts.has('10.0.0.1:80')).toBe(false);
    expect(sim.counts.get('10.0.0.4:80')).toBeGreaterThan(0);

    // Churn: a new set every 25 ms while calls keep coming.
    const sets = [
      ['10.0.0.5:80', '10.0.0.6:80'],
      ['10.0.0.6:80', '10.0.0.7:80', '10.0.0.2:80'],
      ['10.0.0.8:80'],
    ];
    for (let i = 0; i < 30; i++) {
      discovery.update(sets[i % sets.length]!);
      await sim.run(25, 2);
    }
    await sim.step(100);
    expect(sim.failed).toBe(0);
    expect(sim.succeeded).toBe(sim.started);
    expect(sim.started).toBe(2 * (500 + 500 + 30 * 25));
    expect(sim.lb.inspect().endpoints.every((e) => e.outstanding === 0)).toBe(true);
  });
});
