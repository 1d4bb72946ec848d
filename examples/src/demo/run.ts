/**
 * One run of the demo, importable so a test can drive it in-process: instances up, both clients
 * on the same open-loop schedule through every phase, everything closed, the figures returned.
 * Printing belongs to the caller, through the `view` it passes.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClientSnapshot } from '@outrigger/core';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { type Instance, startInstances, startInstancesInWorker } from './backends.js';
import type { DemoOptions } from './flags.js';
import { InFlightCap, openLoop } from './open-loop.js';
import { type OutriggerCounters, watchOutrigger } from './outrigger-events.js';
import { type CallResult, createPlainClient, errorCode } from './plain-client.js';
import { type Compression, compression, type Phase, phases } from './scenario.js';
import { type ClientName, DROPPED, Recorder } from './stats.js';

/** What the view is shown at every refresh. */
export interface LiveState {
  readonly options: DemoOptions;
  readonly phases: readonly Phase[];
  readonly phaseIndex: number;
  readonly phaseStartedMs: number;
  readonly elapsedMs: number;
  readonly recorder: Recorder;
  readonly instances: readonly Instance[];
  readonly snapshot: ClientSnapshot;
  readonly inFlight: Readonly<Record<ClientName, number>>;
}

export interface View {
  started(info: {
    instances: readonly Instance[];
    compression: Compression;
    options: DemoOptions;
    warmupMs: number;
  }): void;
  phaseStarted(state: LiveState): void;
  refresh(state: LiveState): void;
  /** Something Outrigger did that the newcomer should notice (an ejection, the breaker). */
  event(line: string, state: LiveState): void;
  stopped(): void;
}

/** Outrigger's notable moments, kept for the summary and the JSON. */
export interface RunEvent {
  readonly atMs: number;
  readonly phase: number;
  readonly kind: string;
  readonly text: string;
  readonly instance?: string;
}

export interface RunResult {
  readonly options: DemoOptions;
  readonly phases: readonly Phase[];
  readonly instances: readonly { readonly name: string; readonly address: string }[];
  readonly compression: Compression;
  readonly recorder: Recorder;
  readonly phaseStartsMs: readonly number[];
  readonly durationMs: number;
  readonly events: readonly RunEvent[];
  readonly counters: readonly OutriggerCounters[];
  readonly dropped: Readonly<Record<ClientName, number>>;
  /**
   * How late this process's event loop ran, per phase (p99 and max, ms): both clients' figures
   * include it, so a busy machine shows here before anyone blames either client.
   */
  readonly loopDelay: readonly { readonly p99Ms: number; readonly maxMs: number }[];
}

const PATH = '/charges/42';
const REFRESH_MS = 250;
/** The phase index of warm-up calls: made like the others, counted nowhere. */
const WARMUP = -1;
const WARMUP_MS = 1_000;

/**
 * `backends: 'worker'` (the CLI's) runs the instances in a worker thread, as separate processes
 * would be; `'same-thread'` is for a caller that cannot start one from this module's file (a
 * test running the TypeScript source).
 */
export async function runDemo(
  options: DemoOptions,
  view: View,
  backends: 'worker' | 'same-thread' = 'worker',
): Promise<RunResult> {
  const plan = phases(options.instances, options.slowMs, options.flakyPercent);
  const squeeze = compression(options.phaseSeconds);
  const start = backends === 'worker' ? startInstancesInWorker : startInstances;
  const { instances, close: closeInstances } = await start(options.instances, {
    slowMs: options.slowMs,
    flakyPercent: options.flakyPercent,
  });
  const addresses = instances.map((i) => i.address);
  const byOrigin = new Map(addresses.map((a) => [`http://${a}`, a]));

  // Outrigger's defaults, with the one deadline both clients share and the incident-scale
  // time constants compressed as the view says (scenario.ts explains why). A bad
  // OUTRIGGER_PAYMENTS_* variable throws here: the instances must not outlive it.
  let outrigger: HttpClient;
  try {
    outrigger = createHttpClient({
      service: 'payments',
      discovery: addresses,
      timeout: { totalMs: options.callTimeoutMs },
      retry: { budget: { ttlMs: squeeze.budgetTtlMs } },
      breaker: squeeze.breaker,
      outlierDetection: {
        baseEjectionMs: squeeze.baseEjectionMs,
        maxEjectionMs: squeeze.maxEjectionMs,
      },
    });
  } catch (error) {
    await closeInstances();
    throw error;
  }
  const plain = createPlainClient(addresses, options.callTimeoutMs);

  const recorder = new Recorder(plan.length);
  const events: RunEvent[] = [];
  const counters: OutriggerCounters[] = plan.map(() => ({
    breakerOpened: 0,
    breakerRejected: 0,
    budgetExhausted: 0,
    ejections: 0,
    ejectionsSkipped: 0,
    failedTrials: 0,
  }));
  const caps: Record<ClientName, InFlightCap> = {
    plain: new InFlightCap(options.maxInFlight),
    outrigger: new InFlightCap(options.maxInFlight),
  };
  const phaseStartsMs: number[] = [];
  let t0 = performance.now();
  let phaseIndex = WARMUP;
  /** The phase whose conditions the instances are set to, or being set to: moves first. */
  let servedPhase = WARMUP;
  const now = () => performance.now() - t0;
  const secondOf = (ms: number) => Math.floor(ms / 1_000);

  const state = (): LiveState => ({
    options,
    phases: plan,
    phaseIndex,
    phaseStartedMs: phaseStartsMs[phaseIndex] ?? 0,
    elapsedMs: now(),
    recorder,
    instances,
    snapshot: outrigger.snapshot(),
    inFlight: { plain: caps.plain.inFlight, outrigger: caps.outrigger.inFlight },
  });

  // Every attempt either client sends, refused connections included, counted where undici
  // creates the request; the tags say whose it is and which phase its call began in.
  const onRequest = (message: unknown) => {
    const request = (message as { request?: { origin?: unknown; headers?: unknown } }).request;
    const tags = demoTags(request?.headers);
    const address = byOrigin.get(String(request?.origin));
    if (tags === undefined || address === undefined) return;
    if (tags.phase !== WARMUP) recorder.attempt(tags.client, tags.phase, secondOf(now()), address);
  };
  subscribe('undici:request:create', onRequest);

  const note = (kind: string, text: string, instance?: string) => {
    if (phaseIndex === WARMUP) return;
    const e = { atMs: now(), phase: phaseIndex, kind, text, ...(instance ? { instance } : {}) };
    events.push(e);
    view.event(`${(e.atMs / 1_000).toFixed(1).padStart(5)} s  ${text}`, state());
  };
  const nameOf = (address: string) => instances.find((i) => i.address === address)?.name ?? address;
  const disposers = watchOutrigger(outrigger.events, {
    // Warm-up's counts go to the first phase's; its notes are dropped (above).
    counters: () => counters[Math.max(0, phaseIndex)]!,
    note,
    nameOf,
    instances: options.instances,
  });

  const settle = (client: ClientName, phase: number, begin: number, result: CallResult) => {
    caps[client].leave();
    if (phase === WARMUP) return;
    recorder.call(client, phase, secondOf(begin), result, now() - begin, servedPhase !== phase);
  };
  const callOutrigger = async (headers: Record<string, string>): Promise<CallResult> => {
    try {
      const res = await outrigger.request(PATH, { headers });
      await res.body.dump();
      return { status: res.statusCode };
    } catch (error) {
      return { error: errorCode(error) };
    }
  };
  const startCall = (client: ClientName) => {
    const phase = phaseIndex;
    const begin = now();
    const counted = phase !== WARMUP;
    if (counted) recorder.begin(client, phase, secondOf(begin));
    if (!caps[client].tryEnter()) {
      if (counted) recorder.call(client, phase, secondOf(begin), { error: DROPPED }, 0);
      return;
    }
    const headers = { 'x-demo-client': client, 'x-demo-phase': String(phase) };
    const call = client === 'plain' ? plain.call(PATH, headers) : callOutrigger(headers);
    void call.then((result) => settle(client, phase, begin, result));
  };

  // Alternating which client goes first keeps either from always having the head start.
  const tick = (n: number) => {
    const first: ClientName = n % 2 === 0 ? 'plain' : 'outrigger';
    startCall(first);
    startCall(first === 'plain' ? 'outrigger' : 'plain');
  };
  const warmupMs = Math.min(WARMUP_MS, (options.phaseSeconds * 1_000) / 4);
  view.started({ instances, compression: squeeze, options, warmupMs });
  // In the steady state: connections opened, code compiled, Outrigger's latency estimates
  // seeded, for both clients alike; none of it counted, and the chart's time starts after it.
  await Promise.all(instances.map((instance, k) => instance.setMode(plan[0]!.modes[k]!)));
  await openLoop(options.rate, warmupMs, tick);
  t0 = performance.now();
  phaseIndex = 0;
  const ticker = setInterval(() => view.refresh(state()), REFRESH_MS);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const loopDelay: { p99Ms: number; maxMs: number }[] = [];
  const closeLag = (i: number) => {
    loopDelay[i] = { p99Ms: lag.percentile(99) / 1e6, maxMs: lag.max / 1e6 };
    lag.reset();
  };
  lag.enable();
  try {
    for (const [i, phase] of plan.entries()) {
      servedPhase = i;
      await Promise.all(instances.map((instance, k) => instance.setMode(phase.modes[k]!)));
      if (i > 0) closeLag(i - 1);
      phaseIndex = i;
      phaseStartsMs[i] = now();
      view.phaseStarted(state());
      await openLoop(options.rate, options.phaseSeconds * 1_000, tick);
    }
    // Calls still out end by their deadline; the bound only guards against a bug.
    const drainUntil = now() + options.callTimeoutMs + 2_000;
    while ((caps.plain.inFlight > 0 || caps.outrigger.inFlight > 0) && now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    closeLag(plan.length - 1);
    view.refresh(state());
  } finally {
    lag.disable();
    clearInterval(ticker);
    view.stopped();
    unsubscribe('undici:request:create', onRequest);
    for (const dispose of disposers) dispose();
    await Promise.all([outrigger.close(), plain.close()]);
    await closeInstances();
  }
  return {
    options,
    phases: plan,
    instances: instances.map((i) => ({ name: i.name, address: i.address })),
    compression: squeeze,
    recorder,
    phaseStartsMs,
    durationMs: now(),
    events,
    counters,
    dropped: { plain: caps.plain.dropped, outrigger: caps.outrigger.dropped },
    loopDelay,
  };
}

/** The demo's own tags on a request, from undici's header list (flat array or raw string). */
function demoTags(headers: unknown): { client: ClientName; phase: number } | undefined {
  let client: string | undefined;
  let phase: string | undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = String(headers[i]).toLowerCase();
      if (name === 'x-demo-client') client = String(headers[i + 1]);
      else if (name === 'x-demo-phase') phase = String(headers[i + 1]);
    }
  } else if (typeof headers === 'string') {
    client = /^x-demo-client: *(\S+)/im.exec(headers)?.[1];
    phase = /^x-demo-phase: *(\d+)/im.exec(headers)?.[1];
  }
  if ((client !== 'plain' && client !== 'outrigger') || phase === undefined) return undefined;
  return { client, phase: Number(phase) };
}
