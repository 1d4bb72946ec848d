/**
 * The figures of a run (what `--json` prints and the test reads) and the side-by-side summary,
 * with a footnote for every figure a newcomer could misread. Longer than most files here: the
 * footnotes read the very fields defined above them, and are easier to keep true side by side.
 */
import { ms, paint, percent, ratio } from './format.js';
import type { OutriggerCounters } from './outrigger-events.js';
import type { RunResult } from './run.js';
import { CLIENTS, type ClientName, type Tally } from './stats.js';

export interface ClientFigures {
  readonly calls: number;
  readonly ok: number;
  readonly successPercent: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Attempts sent (connections refused included) per call started. */
  readonly attemptsPerCall: number;
  readonly attempts: number;
  /** Share of this client's attempts that went to each instance, by name, in percent. */
  readonly sharePercent: Readonly<Record<string, number>>;
  readonly failures: Readonly<Record<string, number>>;
  /** Of the failed calls, those that ended after the instances had moved on to the next phase. */
  readonly failedAfterPhase: number;
}

export interface PhaseFigures {
  readonly id: string;
  readonly title: string;
  readonly label: string;
  readonly event: string;
  readonly startS: number;
  readonly endS: number;
  /** This process's event-loop delay in the phase: what a busy machine added to both clients. */
  readonly loopDelayP99Ms: number;
  readonly plain: ClientFigures;
  readonly outrigger: ClientFigures & {
    readonly counters: OutriggerCounters;
    /** Attempts per call among calls the breaker let through: the budget's own figure. */
    readonly attemptsPerAdmittedCall: number;
  };
}

export interface SecondFigures {
  readonly t: number;
  readonly calls: number;
  readonly successPercent: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly attemptsPerCall: number;
}

export interface DemoFigures {
  readonly settings: {
    readonly instances: number;
    readonly ratePerClient: number;
    readonly phaseSeconds: number;
    readonly slowMs: number;
    readonly flakyPercent: number;
    readonly callTimeoutMs: number;
    readonly timeCompression: number;
    /** Outrigger's breaker, budget and ejection timings as this run used them. */
    readonly outrigger: {
      readonly breakerWindowMs: number;
      readonly breakerResetMs: number;
      readonly budgetWindowMs: number;
      readonly baseEjectionMs: number;
    };
  };
  readonly durationS: number;
  readonly instances: readonly { readonly name: string; readonly address: string }[];
  readonly phases: readonly PhaseFigures[];
  readonly perSecond: Readonly<Record<ClientName, readonly SecondFigures[]>>;
  readonly events: readonly {
    readonly atS: number;
    readonly phase: string;
    readonly kind: string;
    readonly text: string;
    /** The instance it is about (`#3`), or null. */
    readonly instance: string | null;
  }[];
  readonly dropped: Readonly<Record<ClientName, number>>;
  chart?: string;
}

/** Event-loop delay (p99, ms) past which a phase is marked as run on a busy machine. */
const BUSY_MS = 50;

const round = (n: number, digits = 2) => (Number.isFinite(n) ? +n.toFixed(digits) : null);

function clientFigures(t: Tally, names: ReadonlyMap<string, string>): ClientFigures {
  const [p50, p95, p99] = t.percentiles(50, 95, 99);
  const sharePercent: Record<string, number> = {};
  for (const [address, name] of names) {
    sharePercent[name] =
      t.attempts === 0 ? 0 : round((100 * (t.perInstance.get(address) ?? 0)) / t.attempts, 1)!;
  }
  return {
    calls: t.calls,
    ok: t.ok,
    successPercent: round(t.successPercent) ?? 0,
    p50Ms: round(p50!, 1) ?? 0,
    p95Ms: round(p95!, 1) ?? 0,
    p99Ms: round(p99!, 1) ?? 0,
    attemptsPerCall: round(t.attemptsPerCall, 3) ?? 0,
    attempts: t.attempts,
    sharePercent,
    failures: Object.fromEntries(t.failures),
    failedAfterPhase: t.failedAfterPhase,
  };
}

export function figures(run: RunResult): DemoFigures {
  const names = new Map(run.instances.map((i) => [i.address, i.name]));
  const phases = run.phases.map((phase, i): PhaseFigures => {
    const o = run.recorder.byPhase.outrigger[i]!;
    // Calls the open circuit refused (a refused retry of an admitted call is not one of them).
    const refused = o.failures.get('CIRCUIT_OPEN') ?? 0;
    return {
      id: phase.id,
      title: phase.title,
      label: phase.label,
      event: phase.event,
      startS: round(run.phaseStartsMs[i]! / 1_000) ?? 0,
      endS: round((run.phaseStartsMs[i + 1] ?? run.durationMs) / 1_000) ?? 0,
      loopDelayP99Ms: round(run.loopDelay[i]?.p99Ms ?? Number.NaN, 0) ?? 0,
      plain: clientFigures(run.recorder.byPhase.plain[i]!, names),
      outrigger: {
        ...clientFigures(o, names),
        counters: run.counters[i]!,
        attemptsPerAdmittedCall: round(o.attempts / Math.max(1, o.calls - refused), 3) ?? 0,
      },
    };
  });
  const perSecond = (client: ClientName) =>
    run.recorder.bySecond[client].map((t, s): SecondFigures => {
      const [p50, p99] = t.percentiles(50, 99);
      return {
        t: s,
        calls: t.calls,
        successPercent: round(t.successPercent) ?? 0,
        p50Ms: round(p50!, 1) ?? 0,
        p99Ms: round(p99!, 1) ?? 0,
        attemptsPerCall: round(t.attemptsPerCall, 3) ?? 0,
      };
    });
  const o = run.options;
  return {
    settings: {
      instances: o.instances,
      ratePerClient: o.rate,
      phaseSeconds: o.phaseSeconds,
      slowMs: o.slowMs,
      flakyPercent: o.flakyPercent,
      callTimeoutMs: o.callTimeoutMs,
      timeCompression: round(run.compression.factor) ?? 1,
      outrigger: {
        breakerWindowMs: run.compression.breaker.rollingWindowMs,
        breakerResetMs: run.compression.breaker.resetTimeoutMs,
        budgetWindowMs: run.compression.budgetTtlMs,
        baseEjectionMs: run.compression.baseEjectionMs,
      },
    },
    durationS: round(run.durationMs / 1_000) ?? 0,
    instances: run.instances,
    phases,
    perSecond: { plain: perSecond('plain'), outrigger: perSecond('outrigger') },
    events: run.events.map((e) => ({
      atS: round(e.atMs / 1_000) ?? 0,
      phase: run.phases[e.phase]!.id,
      kind: e.kind,
      text: e.text,
      instance: e.instance ?? null,
    })),
    dropped: run.dropped,
  };
}

/** The side-by-side table per phase, then the footnotes. */
export function renderSummary(f: DemoFigures, tty: boolean): string {
  const c = paint(tty);
  const names = f.instances.map((i) => i.name);
  const out: string[] = [c.bold('Side by side, per phase')];
  out.push(
    c.dim(
      `               success      p50        p95        p99    att/call  share of attempts (${names.join(' ')})`,
    ),
  );
  for (const [i, p] of f.phases.entries()) {
    const busy =
      p.loopDelayP99Ms > BUSY_MS
        ? c.yellow(`  [busy machine: event loop ${p.loopDelayP99Ms} ms late at p99]`)
        : '';
    out.push(
      `${c.bold(`${i + 1}. ${p.title}`)} ${c.dim(`(${p.startS}–${p.endS} s: ${p.event})`)}${busy}`,
    );
    for (const name of CLIENTS) {
      const x = p[name];
      const colour = name === 'plain' ? c.red : c.blue;
      const shares = names
        .map((n) => `${Math.round(x.sharePercent[n] ?? 0)}%`.padStart(4))
        .join(' ');
      const bits: string[] = [];
      if (name === 'outrigger' && x === p.outrigger) {
        const k = p.outrigger.counters;
        const refused = p.outrigger.failures.CIRCUIT_OPEN ?? 0;
        if (refused > 0) {
          bits.push(
            `${refused} calls refused by the open breaker, ${ratio(p.outrigger.attemptsPerAdmittedCall, 0)} att/call among the rest`,
          );
        }
        if (k.ejections > 0) bits.push(`${k.ejections} ejection${k.ejections > 1 ? 's' : ''}`);
        if (k.ejectionsSkipped > 0) bits.push(`${k.ejectionsSkipped} held back by the cap`);
        if (k.budgetExhausted > 0) bits.push(`${k.budgetExhausted} retries refused by the budget`);
      }
      const next = f.phases[i + 1];
      if (x.failedAfterPhase > 0 && next !== undefined) {
        bits.push(`${x.failedAfterPhase} failed in phase ${i + 2} (${next.title})`);
      }
      const note = bits.length > 0 ? c.dim(`  ${bits.join('; ')}`) : '';
      out.push(
        `  ${colour(name.padEnd(9))}  ${percent(x.successPercent, 7)}  ${ms(x.p50Ms)}  ${ms(x.p95Ms)}  ${ms(x.p99Ms)}  ${ratio(x.attemptsPerCall, 8)}  ${shares}${note}`,
      );
    }
  }
  const s = f.settings;
  const ejectable = Math.max(1, Math.floor(s.instances / 10));
  const floor = 10 / s.ratePerClient;
  out.push(
    '',
    c.bold('How to read it'),
    `- Each client's figures are its own: both got the same ${s.ratePerClient} calls/s on the same schedule (open loop: a call starts every ${+(1_000 / s.ratePerClient).toFixed(2)} ms whatever came back), against the same instances.`,
    '- Latency counts every call until the caller had an answer, failed ones included: a fast refusal is a caller not kept waiting.',
    '- att/call: attempts sent per call, connections refused included — the load each client put on payments. A call the open breaker refused made none.',
    `- Ejection cap: Outrigger ejects at most 10% of the endpoints at once, and always may eject one: of ${s.instances}, ${ejectable}. So in the outage, where every instance fails, one stays ejected and the others keep being tried (the breaker is what stops them).`,
    `- Budget floor: retries may add 20% of recent calls plus 10 per second, so at ${s.ratePerClient} calls/s attempts per call can reach 1.2 + 10/${s.ratePerClient} = ${(1.2 + floor).toFixed(2)}; at low rates the floor dominates. Right after a good spell the budget also holds savings from it, so the first moments of an outage can go higher.`,
  );
  const retrySpan = 50 + 100 + 200;
  out.push(
    `- A call belongs to the phase it started in. A plain call that began in the last ${retrySpan} ms of the outage retries into the recovery and may succeed there: those are the plain client's few successes in the outage.`,
    "- The other way round, a call begun in a phase's last moments can meet the next phase's conditions and fail there: \"failed in phase N\" counts those. Outrigger's few failures in the dead phase are usually such calls, answered 503 by the outage.",
    `- In the recovery Outrigger refuses calls until its breaker's next trial call succeeds, at most its reset time (${s.outrigger.breakerResetMs} ms here) after the service is back: the price of not hammering a service that is down.`,
  );
  // The instance that died, #3: whether the recovery saw it back, from the events.
  const lastOf3 = f.events
    .filter((e) => e.instance === '#3' && e.kind.startsWith('outlier.'))
    .at(-1);
  if (lastOf3?.kind === 'outlier.restored') {
    out.push(
      `- #3, the instance that died, was last restored to Outrigger's rotation at ${lastOf3.atS} s (${lastOf3.phase}), when its ejection ended; it takes calls again once it answers.`,
    );
  } else if (lastOf3?.kind === 'outlier.ejected') {
    out.push(
      `- #3 was still ejected when the run ended: each ejection of an instance lasts longer than the last (${f.settings.outrigger.baseEjectionMs} ms × the times ejected), and it was ejected again while dead (at ${lastOf3.atS} s). Longer phases show it return.`,
    );
  }
  const worst = Math.max(...f.phases.map((p) => p.loopDelayP99Ms));
  if (worst > BUSY_MS) {
    out.push(
      `- This machine was busy: the demo's event loop ran up to ${worst} ms late (p99) in the phases marked. Both clients' latencies and timeouts include that delay, so compare the clients with each other; on a quiet machine every figure is lower.`,
    );
  }
  const dropped = CLIENTS.filter((n) => f.dropped[n] > 0).map((n) => `${n} ${f.dropped[n]}`);
  if (dropped.length > 0) {
    out.push(`- Calls dropped at the in-flight cap count as failures: ${dropped.join(', ')}.`);
  }
  if (s.timeCompression > 1) {
    out.push(
      `- Outrigger's breaker, budget and ejection timings ran ${s.timeCompression}× faster than their defaults so five incidents fit in ${s.phaseSeconds * 5} s; every other setting was its default. --phase-seconds 80 runs them as shipped.`,
    );
  }
  return `${out.join('\n')}\n`;
}
