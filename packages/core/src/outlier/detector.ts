import type { Verdict } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import type { EventBus } from '../events/events.js';
import type { EjectionReason } from './events.js';
import type { ResolvedOutlierOptions } from './options.js';
import type { OutlierState } from './state.js';

/**
 * Envoy's outlier detection, consecutive-failure flavour, as a state machine with no timers:
 * outcomes come in through `record`, ejections end when `restoreDue` is called at or after
 * `nextRestoreAt` (the balancer checks that once per pick, one comparison), so nothing is left
 * to clean up on close and virtual time drives it in tests.
 *
 * - `consecutiveFailures` failures in a row (any verdict that counts against health) eject;
 *   a success resets the count; `cancelled` says nothing about the endpoint and is ignored.
 * - The n-th ejection in a row lasts n × `baseEjectionMs`, capped at `maxEjectionMs`; each
 *   `intervalMs` spent in service afterwards takes one off n.
 * - At most `maxEjectionPercent` of the endpoints are ejected at once, and always at least one
 *   may be (Envoy's rule, so a small set can still shed its one bad endpoint).
 * - Outcomes arriving for an endpoint while it is ejected (calls that were in flight) are
 *   ignored: they belong to the episode that already ejected it.
 */
export class OutlierDetector {
  readonly #options: ResolvedOutlierOptions;
  readonly #service: string;
  readonly #events: EventBus | undefined;
  #ejected = 0;
  /** The earliest end of an ejection in force; Infinity when none is. */
  nextRestoreAt = Number.POSITIVE_INFINITY;

  constructor(options: ResolvedOutlierOptions, service: string, events: EventBus | undefined) {
    this.#options = options;
    this.#service = service;
    this.#events = events;
  }

  get ejectedCount(): number {
    return this.#ejected;
  }

  /** A success: the fast path of `record`, which needs no time. */
  succeeded(target: OutlierState): void {
    target.consecutiveFailures = 0;
    target.consecutiveGatewayFailures = 0;
  }

  /** Feeds one outcome; true when it ejected the endpoint (the eligible set changed). */
  record(
    target: OutlierState,
    verdict: Verdict,
    now: number,
    total: number,
    ctx?: CallContext,
  ): boolean {
    if (target.removed || target.ejectedUntil > 0) return false;
    switch (verdict) {
      case 'success':
        target.consecutiveFailures = 0;
        target.consecutiveGatewayFailures = 0;
        return false;
      case 'cancelled':
        return false;
      case 'failure':
        target.consecutiveFailures++;
        target.consecutiveGatewayFailures = 0;
        break;
      default:
        target.consecutiveFailures++;
        target.consecutiveGatewayFailures++;
    }
    const { consecutiveFailures, consecutiveGatewayFailures } = this.#options;
    let reason: EjectionReason | undefined;
    if (target.consecutiveFailures >= consecutiveFailures) reason = 'consecutive-failures';
    else if (
      consecutiveGatewayFailures > 0 &&
      target.consecutiveGatewayFailures >= consecutiveGatewayFailures
    ) {
      reason = 'consecutive-gateway-failures';
    }
    return reason !== undefined && this.#eject(target, reason, now, total, ctx);
  }

  /** Ends the ejections due by `now`; true when any ended. */
  restoreDue(targets: readonly OutlierState[], now: number): boolean {
    if (now < this.nextRestoreAt) return false;
    let restored = false;
    let next = Number.POSITIVE_INFINITY;
    for (const t of targets) {
      if (t.ejectedUntil === 0) continue;
      if (t.ejectedUntil > now) {
        next = Math.min(next, t.ejectedUntil);
        continue;
      }
      t.ejectedUntil = 0;
      t.restoredAt = now;
      t.consecutiveFailures = 0;
      t.consecutiveGatewayFailures = 0;
      this.#ejected--;
      restored = true;
      if (this.#events?.has('outlier.restored')) {
        this.#events.emit('outlier.restored', {
          service: this.#service,
          endpoint: t.endpoint,
          ejectedForMs: now - t.ejectedAt,
        });
      }
    }
    this.nextRestoreAt = next;
    return restored;
  }

  /** Discovery dropped `target`: it no longer counts against the ejection cap. */
  forget(target: OutlierState): void {
    if (target.ejectedUntil > 0) this.#ejected--;
  }

  #eject(
    target: OutlierState,
    reason: EjectionReason,
    now: number,
    total: number,
    ctx: CallContext | undefined,
  ): boolean {
    const o = this.#options;
    const max = Math.max(1, Math.floor((total * o.maxEjectionPercent) / 100));
    if (this.#ejected >= max) {
      // Reported once per episode (when the bar is first met), not on every failure after it.
      const first =
        reason === 'consecutive-failures'
          ? target.consecutiveFailures === o.consecutiveFailures
          : target.consecutiveGatewayFailures === o.consecutiveGatewayFailures;
      if (first && this.#events?.has('outlier.ejection_skipped')) {
        this.#events.emit('outlier.ejection_skipped', {
          service: this.#service,
          endpoint: target.endpoint,
          reason,
          ejected: this.#ejected,
          max,
        });
      }
      return false;
    }
    const healthyIntervals = Math.floor((now - target.restoredAt) / o.intervalMs);
    target.timesEjected = Math.max(0, target.timesEjected - healthyIntervals) + 1;
    const ejectionMs = Math.min(o.baseEjectionMs * target.timesEjected, o.maxEjectionMs);
    target.ejectedAt = now;
    target.ejectedUntil = now + ejectionMs;
    target.consecutiveFailures = 0;
    target.consecutiveGatewayFailures = 0;
    this.#ejected++;
    if (target.ejectedUntil < this.nextRestoreAt) this.nextRestoreAt = target.ejectedUntil;
    if (this.#events?.has('outlier.ejected')) {
      this.#events.emit('outlier.ejected', {
        service: this.#service,
        ctx,
        endpoint: target.endpoint,
        reason,
        ejectionMs,
        timesEjected: target.timesEjected,
        ejected: this.#ejected,
        total,
      });
    }
    return true;
  }
}
