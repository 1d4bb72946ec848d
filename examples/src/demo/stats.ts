import type { CallResult } from './plain-client.js';

export type ClientName = 'plain' | 'outrigger';
export const CLIENTS: readonly ClientName[] = ['plain', 'outrigger'];

/** A call turned away by the demo's own in-flight cap, never made. */
export const DROPPED = 'DROPPED (in-flight cap)';

/** What one client did in one stretch of time (a phase, or one second of the chart). */
export class Tally {
  /** Calls begun; `calls` counts them as they end, so mid-phase the two differ. */
  started = 0;
  calls = 0;
  ok = 0;
  /** Attempts sent, connections refused included: the load this client put on `payments`. */
  attempts = 0;
  readonly latencies: number[] = [];
  readonly failures = new Map<string, number>();
  /**
   * Failed calls that ended after the instances had moved on to the next phase: begun in this
   * phase's last moments, they met the next one's conditions (the outage, for the dead phase).
   */
  failedAfterPhase = 0;
  /** Attempts per instance, by address. */
  readonly perInstance = new Map<string, number>();

  record(result: CallResult, latencyMs: number, afterPhase: boolean): void {
    this.calls++;
    this.latencies.push(latencyMs);
    if ('status' in result && result.status < 500) {
      this.ok++;
      return;
    }
    if (afterPhase) this.failedAfterPhase++;
    const reason = 'status' in result ? `HTTP ${result.status}` : result.error;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  attempt(address: string): void {
    this.attempts++;
    this.perInstance.set(address, (this.perInstance.get(address) ?? 0) + 1);
  }

  get successPercent(): number {
    return this.calls === 0 ? Number.NaN : (100 * this.ok) / this.calls;
  }

  /** Per call begun, so that a live figure does not count attempts of calls still out. */
  get attemptsPerCall(): number {
    return this.started === 0 ? Number.NaN : this.attempts / this.started;
  }

  percentiles(...ps: number[]): number[] {
    const sorted = Float64Array.from(this.latencies).sort();
    return ps.map((p) => percentile(sorted, p));
  }
}

/** Nearest rank: the smallest value with at least p% of the values at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Every figure of the run, each belonging to one client: by phase for the summary, and by
 * second (of the call's start) for the chart.
 */
export class Recorder {
  readonly byPhase: Record<ClientName, Tally[]>;
  readonly bySecond: Record<ClientName, Tally[]> = { plain: [], outrigger: [] };

  constructor(phaseCount: number) {
    const tallies = () => Array.from({ length: phaseCount }, () => new Tally());
    this.byPhase = { plain: tallies(), outrigger: tallies() };
  }

  second(client: ClientName, s: number): Tally {
    const list = this.bySecond[client];
    while (list.length <= s) list.push(new Tally());
    return list[s]!;
  }

  begin(client: ClientName, phase: number, s: number): void {
    this.byPhase[client][phase]!.started++;
    this.second(client, s).started++;
  }

  /** `afterPhase`: the call ended after the instances had moved on to the next phase. */
  call(
    client: ClientName,
    phase: number,
    s: number,
    result: CallResult,
    latencyMs: number,
    afterPhase = false,
  ): void {
    this.byPhase[client][phase]!.record(result, latencyMs, afterPhase);
    this.second(client, s).record(result, latencyMs, afterPhase);
  }

  attempt(client: ClientName, phase: number, s: number, address: string): void {
    this.byPhase[client][phase]?.attempt(address);
    this.second(client, s).attempt(address);
  }
}
