import type { EventBus } from '@outrigger/core';

/** What Outrigger did in one phase besides sending attempts: refusals, ejections, transitions. */
export interface OutriggerCounters {
  breakerOpened: number;
  breakerRejected: number;
  budgetExhausted: number;
  ejections: number;
  ejectionsSkipped: number;
  /** Half-open trials that failed and opened the circuit again. */
  failedTrials: number;
}

export interface Watch {
  /** The current phase's counters. */
  counters(): OutriggerCounters;
  /** `instance`: the instance it is about, by name, when there is one. */
  note(kind: string, text: string, instance?: string): void;
  nameOf(address: string): string;
  instances: number;
}

/**
 * Outrigger's events as the newcomer should read them: a line for each ejection, restoration
 * and breaker transition (failed trials once per phase), counters for the rest. Returns the
 * disposers.
 */
export function watchOutrigger(events: EventBus, w: Watch): (() => void)[] {
  return [
    events.on('outlier.ejected', (e) => {
      w.counters().ejections++;
      w.note(
        'outlier.ejected',
        `outrigger ejected ${w.nameOf(e.endpoint.id)} for ${e.ejectionMs} ms (${e.reason}; ${e.ejected} of ${e.total} ejected now)`,
        w.nameOf(e.endpoint.id),
      );
    }),
    events.on('outlier.restored', (e) =>
      w.note(
        'outlier.restored',
        `outrigger restored ${w.nameOf(e.endpoint.id)} after ${Math.round(e.ejectedForMs)} ms`,
        w.nameOf(e.endpoint.id),
      ),
    ),
    events.on('outlier.ejection_skipped', (e) => {
      const c = w.counters();
      // Once per phase is enough to show the cap at work; the count goes to the summary.
      if (c.ejectionsSkipped++ === 0) {
        w.note(
          'outlier.ejection_skipped',
          `outrigger kept ${w.nameOf(e.endpoint.id)} in: it failed enough to go, but ${e.ejected} of ${w.instances} is the ejection cap`,
        );
      }
    }),
    events.on('breaker.opened', (e) => {
      const c = w.counters();
      c.breakerOpened++;
      if (e.from === 'closed') {
        w.note(
          'breaker.opened',
          `outrigger's breaker opened (${e.failures} of ${e.calls} calls failed)`,
        );
      } else if (c.failedTrials++ === 0) {
        // A trial a reset time apart until the service is back: one line says it.
        w.note(
          'breaker.trial_failed',
          "outrigger's breaker let one trial call through; it failed, so it stays open",
        );
      }
    }),
    events.on('breaker.closed', () =>
      w.note(
        'breaker.closed',
        "outrigger's breaker let one trial call through; it succeeded, so it closed",
      ),
    ),
    events.on('breaker.rejected', () => void w.counters().breakerRejected++),
    events.on('budget.exhausted', () => void w.counters().budgetExhausted++),
  ];
}
