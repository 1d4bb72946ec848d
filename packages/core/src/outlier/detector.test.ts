import { describe, expect, it } from 'vitest';
import { Backend } from '../balancer/backend.js';
import { endpoint } from '../discovery/endpoint.js';
import { EventBus, type OutriggerEvents } from '../events/events.js';
import { OutlierDetector } from './detector.js';
import { type OutlierOptions, resolveOutlierOptions } from './options.js';

function setup(options: OutlierOptions = {}) {
  const events = new EventBus();
  const log: [string, unknown][] = [];
  for (const name of ['outlier.ejected', 'outlier.restored', 'outlier.ejection_skipped'] as const) {
    events.on(name, (e: OutriggerEvents[typeof name]) => log.push([name, e]));
  }
  const resolved = resolveOutlierOptions(options, 'svc');
  if (!resolved) throw new Error('unreachable');
  const detector = new OutlierDetector(resolved, 'svc', events);
  const targets = Array.from(
    { length: 10 },
    (_, i) => new Backend(endpoint({ host: `10.0.0.${i}`, port: 80 })),
  );
  return { detector, targets, log };
}

describe('OutlierDetector', () => {
  it('ejects after 5 consecutive failures, and a success in between resets the count', () => {
    const { detector, targets, log } = setup();
    const [t] = targets;
    for (let i = 0; i < 4; i++) expect(detector.record(t!, 'failure', 0, 10)).toBe(false);
    detector.record(t!, 'success', 0, 10);
    for (let i = 0; i < 4; i++) expect(detector.record(t!, 'retryable', 0, 10)).toBe(false);
    expect(detector.record(t!, 'unsent', 5, 10)).toBe(true);
    expect(t!.ejected).toBe(true);
    expect(log).toEqual([
      [
        'outlier.ejected',
        {
          service: 'svc',
          endpoint: t!.endpoint,
          reason: 'consecutive-failures',
          ejectionMs: 30_000,
          timesEjected: 1,
          ejected: 1,
          total: 10,
        },
      ],
    ]);
  });

  it('ignores cancellations, and outcomes arriving while the endpoint is ejected', () => {
    const { detector, targets } = setup({ consecutiveFailures: 2 });
    const [t] = targets;
    detector.record(t!, 'failure', 0, 10);
    detector.record(t!, 'cancelled', 0, 10);
    expect(detector.record(t!, 'failure', 0, 10)).toBe(true);
    detector.record(t!, 'success', 1, 10);
    expect(t!.ejected).toBe(true);
    expect(detector.record(t!, 'failure', 1, 10)).toBe(false);
  });

  it('restores at the end of the ejection, which grows with each ejection up to the cap', () => {
    const { detector, targets, log } = setup({
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
      maxEjectionMs: 2_500,
    });
    const [t] = targets;
    const durations: number[] = [];
    let now = 0;
    for (let round = 0; round < 4; round++) {
      detector.record(t!, 'failure', now, 10);
      durations.push(t!.ejectedUntil - now);
      expect(detector.restoreDue(targets, t!.ejectedUntil - 1)).toBe(false);
      now = t!.ejectedUntil;
      expect(detector.nextRestoreAt).toBe(now);
      expect(detector.restoreDue(targets, now)).toBe(true);
      expect(t!.ejected).toBe(false);
    }
    expect(durations).toEqual([1_000, 2_000, 2_500, 2_500]);
    expect(log.filter(([name]) => name === 'outlier.restored')[0]![1]).toEqual({
      service: 'svc',
      endpoint: t!.endpoint,
      ejectedForMs: 1_000,
    });
    expect(detector.nextRestoreAt).toBe(Number.POSITIVE_INFINITY);
  });

  it('lets the multiplier fall by one per interval an endpoint stays in service', () => {
    const { detector, targets } = setup({
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
      intervalMs: 10_000,
    });
    const [t] = targets;
    detector.record(t!, 'failure', 0, 10);
    detector.restoreDue(targets, 1_000);
    detector.record(t!, 'failure', 1_000, 10);
    expect(t!.timesEjected).toBe(2);
    detector.restoreDue(targets, 3_000);
    detector.record(t!, 'failure', 3_000 + 25_000, 10);
    expect(t!.timesEjected).toBe(1);
  });

  it('ejects at most maxEjectionPercent of the endpoints, and reports the overflow once', () => {
    const { detector, targets, log } = setup({ consecutiveFailures: 1, maxEjectionPercent: 20 });
    for (const t of targets.slice(0, 3)) detector.record(t, 'failure', 0, 10);
    detector.record(targets[2]!, 'failure', 0, 10);
    expect(detector.ejectedCount).toBe(2);
    expect(targets[2]!.ejected).toBe(false);
    expect(log.filter(([name]) => name === 'outlier.ejection_skipped')).toEqual([
      [
        'outlier.ejection_skipped',
        {
          service: 'svc',
          endpoint: targets[2]!.endpoint,
          reason: 'consecutive-failures',
          ejected: 2,
          max: 2,
        },
      ],
    ]);
    // The cap frees up when one comes back; the endpoint still failing is ejected then.
    detector.restoreDue(targets, 30_000);
    expect(detector.record(targets[2]!, 'failure', 30_000, 10)).toBe(true);
  });

  it('always lets one endpoint be ejected, however small the set or the percentage', () => {
    const { detector, targets } = setup({ consecutiveFailures: 1, maxEjectionPercent: 0 });
    expect(detector.record(targets[0]!, 'failure', 0, 2)).toBe(true);
    expect(detector.record(targets[1]!, 'failure', 0, 2)).toBe(false);
  });

  it('ejects on consecutive gateway failures when asked, which a plain failure interrupts', () => {
    const { detector, targets, log } = setup({
      consecutiveFailures: 10,
      consecutiveGatewayFailures: 2,
    });
    const [t] = targets;
    detector.record(t!, 'retryable', 0, 10);
    detector.record(t!, 'failure', 0, 10);
    expect(detector.record(t!, 'retryable', 0, 10)).toBe(false);
    expect(detector.record(t!, 'unsent', 0, 10)).toBe(true);
    expect(log[0]![1]).toMatchObject({ reason: 'consecutive-gateway-failures' });
  });

  it('stops counting an ejected endpoint that discovery removed against the cap', () => {
    const { detector, targets } = setup({ consecutiveFailures: 1, maxEjectionPercent: 10 });
    detector.record(targets[0]!, 'failure', 0, 10);
    expect(detector.record(targets[1]!, 'failure', 0, 10)).toBe(false);
    detector.forget(targets[0]!);
    expect(detector.record(targets[1]!, 'failure', 0, 10)).toBe(true);
  });
});

describe('resolveOutlierOptions', () => {
  it("takes the config section's shape with Envoy's defaults, or false", () => {
    expect(resolveOutlierOptions(undefined, 'svc')).toEqual({
      consecutiveFailures: 5,
      consecutiveGatewayFailures: 0,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxEjectionPercent: 10,
      panicThresholdPercent: 50,
      intervalMs: 10_000,
    });
    expect(resolveOutlierOptions(false, 'svc')).toBe(false);
  });

  it('rejects bad values naming the option', () => {
    expect(() => resolveOutlierOptions({ maxEjectionPercent: 120 }, 'svc')).toThrow(
      /svc: option outlierDetection\.maxEjectionPercent=120 is not valid: expected a number from 0 to 100/,
    );
    expect(() => resolveOutlierOptions({ baseEjectionMs: 1.5 }, 'svc')).toThrow(
      /baseEjectionMs=1\.5/,
    );
    expect(() => resolveOutlierOptions('on' as never, 'svc')).toThrow(
      /option outlierDetection="on"/,
    );
  });
});
