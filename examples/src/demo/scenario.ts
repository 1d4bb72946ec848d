import type { Mode } from './backends.js';

export type PhaseId = 'steady' | 'slow' | 'dead' | 'outage' | 'recovery';

/** One phase of the run: what each instance does during it, and what to look for. */
export interface Phase {
  readonly id: PhaseId;
  readonly title: string;
  /** A few characters for the chart, where a phase may be narrow. */
  readonly label: string;
  /** What happened, in the instances' terms. */
  readonly event: string;
  /** What a newcomer should see, as the issue promises it. */
  readonly claim: string;
  readonly modes: readonly Mode[];
}

/**
 * Roles by position: #1 always healthy, #2 turns slow, #3 dies, #4 is flaky from the start
 * (a background of 503s and resets a plain client's retries hide), any more healthy. Each
 * phase adds one fault to the steady state rather than piling them up, so a difference between
 * the clients has one cause; #3 stays dead through the outage, as a dead process would.
 */
export function phases(instances: number, slowMs: number, flakyPercent: number): Phase[] {
  const steady: Mode[] = Array.from({ length: instances }, (_, i) =>
    i === 3 && flakyPercent > 0 ? 'flaky' : 'healthy',
  );
  const flaky =
    instances > 3 && flakyPercent > 0 ? `, #4 flaky (${flakyPercent}% 503s and resets)` : '';
  const set = (modes: Mode[], changes: Record<number, Mode>) =>
    modes.map((m, i) => changes[i] ?? m);
  return [
    {
      id: 'steady',
      label: 'steady',
      title: 'steady state',
      event: `all instances up${flaky}`,
      claim: 'both clients do well; retries hide the flaky instance',
      modes: steady,
    },
    {
      id: 'slow',
      label: 'one slow',
      title: 'one instance turns slow',
      event: `#2 now answers in ${slowMs} ms`,
      claim:
        "a quarter of the plain client's calls wait on #2 (its p95 jumps); Outrigger's P2C-EWMA sends #2 the few it takes to learn",
      modes: set(steady, { 1: 'slow' }),
    },
    {
      id: 'dead',
      label: 'one dead',
      title: 'one instance dies',
      event: '#2 is fast again; #3 died (connections refused)',
      claim: 'Outrigger requeues, then ejects #3; its success stays at 100%',
      modes: set(steady, { 2: 'dead' }),
    },
    {
      id: 'outage',
      label: 'outage',
      title: 'total outage',
      event: 'every live instance answers 503; #3 still dead',
      claim:
        'the plain client multiplies load ~4x; Outrigger retries only within its budget, then its breaker opens and refuses calls at once',
      modes: steady.map((_, i) => (i === 2 ? 'dead' : 'failing')),
    },
    {
      id: 'recovery',
      label: 'recovery',
      title: 'recovery',
      event: 'all instances back as in the steady state, #3 restarted',
      claim:
        "Outrigger's breaker lets one trial call through and closes; #3 comes back into rotation when its ejection ends",
      modes: steady,
    },
  ];
}

/**
 * Outrigger's breaker, budget and ejection are tuned for incidents of minutes; the demo plays
 * five in well under one. It keeps every default but divides these time constants by one
 * factor, so their proportions to each other and to a phase stay what they would be with
 * phases of `REAL_PHASE_SECONDS`; with phases that long the factor is 1 and nothing changes.
 */
export const REAL_PHASE_SECONDS = 80;

export interface Compression {
  readonly factor: number;
  readonly breaker: { readonly rollingWindowMs: number; readonly resetTimeoutMs: number };
  readonly budgetTtlMs: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** What the view prints about it: "default → compressed" per setting. */
  readonly lines: readonly string[];
}

export function compression(phaseSeconds: number): Compression {
  const factor = Math.max(1, REAL_PHASE_SECONDS / phaseSeconds);
  const scaled = (ms: number, min: number) => Math.max(min, Math.round(ms / factor));
  // The budget's window has a floor of 1 s in the schema; at that floor it is compressed less.
  const c = {
    factor,
    breaker: { rollingWindowMs: scaled(10_000, 100), resetTimeoutMs: scaled(10_000, 1) },
    budgetTtlMs: scaled(10_000, 1_000),
    baseEjectionMs: scaled(30_000, 1),
    maxEjectionMs: scaled(300_000, 1),
  };
  const s = (ms: number) => (ms >= 1_000 ? `${+(ms / 1_000).toFixed(2)} s` : `${ms} ms`);
  return {
    ...c,
    lines: [
      `breaker window 10 s → ${s(c.breaker.rollingWindowMs)}, reset 10 s → ${s(c.breaker.resetTimeoutMs)}`,
      `budget window 10 s → ${s(c.budgetTtlMs)}`,
      `ejection 30 s → ${s(c.baseEjectionMs)} (max 300 s → ${s(c.maxEjectionMs)})`,
    ],
  };
}
