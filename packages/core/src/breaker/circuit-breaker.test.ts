import { describe, expect, it } from 'vitest';
import type { Verdict } from '../classify/classifier.js';
import { EventBus } from '../events/events.js';
import { ManualClock } from '../time/manual-clock.js';
import { CircuitBreaker } from './circuit-breaker.js';

const TRANSITIONS = ['breaker.opened', 'breaker.half_opened', 'breaker.closed'] as const;

function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = new ManualClock(0);
  const events = new EventBus();
  const seen: string[] = [];
  for (const name of TRANSITIONS) {
    events.on(name, (e) => seen.push(`${e.from}->${e.to} ${e.failures}/${e.calls}`));
  }
  const circuit = new CircuitBreaker({
    volumeThreshold: 4,
    errorThresholdPercent: 50,
    resetTimeoutMs: 1_000,
    rollingWindowMs: 1_000,
    ...options,
    clock,
    events,
  });
  /** One call through the state machine, as the policy makes it. */
  const call = (verdict: Verdict) => {
    const permit = circuit.tryAcquire();
    if (permit !== 'rejected') circuit.record(verdict, permit);
    return permit;
  };
  return { clock, circuit, seen, call };
}

describe('CircuitBreaker', () => {
  it('stays closed below the volume threshold, however many calls fail', () => {
    const { circuit, call, seen } = setup();
    for (let i = 0; i < 3; i++) call('failure');
    expect(circuit.state).toBe('closed');
    expect([circuit.failures, circuit.calls]).toEqual([3, 3]);
    expect(seen).toEqual([]);
  });

  it('opens when failures reach the threshold percent of at least volumeThreshold calls', () => {
    const { circuit, call, seen } = setup();
    call('success');
    call('failure');
    call('success');
    expect(circuit.state).toBe('closed');
    call('retryable');
    expect(circuit.state).toBe('open');
    expect(seen).toEqual(['closed->open 2/4']);
  });

  it('counts every failure verdict of the classifier, and cancelled calls neither way', () => {
    const { circuit, call } = setup({ volumeThreshold: 3, errorThresholdPercent: 100 });
    call('cancelled');
    call('cancelled');
    call('failure');
    call('unsent');
    expect([circuit.failures, circuit.calls, circuit.state]).toEqual([2, 2, 'closed']);
    call('retryable');
    expect(circuit.state).toBe('open');
  });

  it('rejects while open, half-opens after the reset time, lets one trial through, closes on success', () => {
    const { circuit, call, clock, seen } = setup();
    for (let i = 0; i < 4; i++) call('failure');
    clock.advance(999);
    expect(circuit.tryAcquire()).toBe('rejected');
    expect(circuit.retryInMs()).toBe(1);
    clock.advance(1);
    expect(circuit.state).toBe('half-open');
    expect(circuit.tryAcquire()).toBe('trial');
    expect(circuit.tryAcquire()).toBe('rejected');
    expect(circuit.trialInFlight).toBe(true);
    circuit.record('success', 'trial');
    expect(circuit.state).toBe('closed');
    expect(seen).toEqual(['closed->open 4/4', 'open->half-open 0/0', 'half-open->closed 0/1']);
  });

  it('a failed trial re-opens the circuit for another reset time', () => {
    const { circuit, call, clock, seen } = setup();
    for (let i = 0; i < 4; i++) call('failure');
    clock.advance(1_000);
    expect(call('failure')).toBe('trial');
    expect(circuit.state).toBe('open');
    expect(circuit.retryInMs()).toBe(1_000);
    expect(seen.at(-1)).toBe('half-open->open 1/1');
  });

  it('a cancelled trial frees the trial slot and leaves the circuit half-open', () => {
    const { circuit, call, clock } = setup();
    for (let i = 0; i < 4; i++) call('failure');
    clock.advance(1_000);
    expect(call('cancelled')).toBe('trial');
    expect(circuit.state).toBe('half-open');
    expect(call('success')).toBe('trial');
    expect(circuit.state).toBe('closed');
  });

  it('starts a fresh window on closing, so old failures cannot re-trip it', () => {
    const { circuit, call, clock } = setup();
    for (let i = 0; i < 4; i++) call('failure');
    clock.advance(1_000);
    call('success');
    expect([circuit.failures, circuit.calls]).toEqual([0, 0]);
    call('failure');
    expect(circuit.state).toBe('closed');
  });

  it('ignores late outcomes of calls let in before the circuit opened', () => {
    const { circuit, call, clock } = setup();
    const early = circuit.tryAcquire();
    for (let i = 0; i < 4; i++) call('failure');
    clock.advance(1_000);
    expect(circuit.tryAcquire()).toBe('trial');
    circuit.record('success', early);
    expect(circuit.state).toBe('half-open');
  });

  it('rolls old buckets out of the window as time passes, without a timer', () => {
    const { circuit, call, clock } = setup({ volumeThreshold: 10 });
    for (let i = 0; i < 5; i++) call('failure');
    clock.advance(500);
    for (let i = 0; i < 5; i++) call('success');
    expect([circuit.failures, circuit.calls]).toEqual([5, 10]);
    clock.advance(600); // the failures' bucket (t=0) has left the 1 s window
    call('success');
    expect([circuit.failures, circuit.calls]).toEqual([0, 6]);
    clock.advance(5_000);
    call('failure');
    expect([circuit.failures, circuit.calls]).toEqual([1, 1]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('emits nothing and builds no event when nobody listens', () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const circuit = new CircuitBreaker({ volumeThreshold: 1, clock, events });
    expect(() => circuit.record('failure', circuit.tryAcquire())).not.toThrow();
    expect(circuit.state).toBe('open');
  });
});
