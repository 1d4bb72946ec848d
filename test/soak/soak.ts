/**
 * `npm run soak`: 1,000,000 calls through the HTTP client and 200,000 through the gRPC
 * client at concurrency 32, against instances in child processes, with faults mixed in (503s,
 * resets and slow answers from the HTTP instances; injected aborts and delays for gRPC; one
 * instance of each killed and brought back on its port halfway). Every 10% of calls it samples
 * the heap after a forced GC, the handles keeping the loop alive by kind, and open fds, and checks
 * them flat against the 10% sample. Writes bench/results/soak.md and its section of
 * BENCHMARKS.md, then closes everything and must exit on its own (a watchdog reports otherwise).
 *
 *   node --expose-gc --import tsx soak/soak.ts
 *   (SOAK_HTTP_CALLS / SOAK_GRPC_CALLS to shorten a trial, SOAK_WRITE=0 to record nothing)
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { type HttpInstance, startInstance } from '../chaos/support/http-instance.js';
import { Echo, type EchoMessage } from '../src/grpc/support/protos.js';
import { type SpawnedServer, spawnGrpcServer } from '../src/grpc/support/server-process.js';

const HTTP_CALLS = Number(process.env.SOAK_HTTP_CALLS ?? 1_000_000);
const GRPC_CALLS = Number(process.env.SOAK_GRPC_CALLS ?? 200_000);
const CONCURRENCY = 32;

/**
 * Tolerances against the 10% sample (the first, once pools and JIT have warmed up). Handles and
 * timers are the ref'd ones, which follow the calls in flight at the instant of the sample (a
 * call holds its socket and up to two timers): up to ~3 per caller either way. Sockets and fds
 * are what is open, idle keep-alive connections included: up to one per caller per instance
 * comes and goes as instances fail, restart and time out idle connections.
 */
const HEAP_MB = 10;
const HANDLES = 3 * CONCURRENCY;
const TIMERS = 2 * CONCURRENCY;
const SOCKETS = 40;
const FDS = 40;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('soak: run with --expose-gc (npm run soak does)');
  process.exit(2);
}

interface Sample {
  readonly percent: number;
  readonly calls: number;
  readonly seconds: number;
  readonly heapMB: number;
  readonly sockets: number;
  readonly timers: number;
  readonly handles: number;
  readonly fds: number;
  readonly failed: number;
}

function sample(percent: number, calls: number, started: number, failed: number): Sample {
  gc!();
  const kinds = process.getActiveResourcesInfo();
  const fds = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // Closed between the listing and the look (the listing's own fd, a socket going away).
    }
  }
  return {
    percent,
    calls,
    seconds: (performance.now() - started) / 1_000,
    heapMB: process.memoryUsage().heapUsed / 2 ** 20,
    sockets,
    timers: kinds.filter((k) => k === 'Timeout').length,
    handles: kinds.length,
    fds: fds.length,
    failed,
  };
}

interface PhaseResult {
  readonly name: string;
  readonly samples: Sample[];
  readonly outcomes: Map<string, number>;
  readonly seconds: number;
  readonly violations: string[];
  /** What the client did about the faults (retries, requeues, injected faults), from its events. */
  tally?: string;
}

/** Counts the client's reactions to the faults, so the figures show the faults did happen. */
function tallyOf(events: HttpClient['events']): () => string {
  let retries = 0;
  let requeues = 0;
  let aborts = 0;
  let delays = 0;
  let ejections = 0;
  events.on('retry.scheduled', (e) => {
    if (e.requeue) requeues++;
    else retries++;
  });
  events.on('fault.injected', (e) => {
    if (e.kind === 'abort') aborts++;
    else delays++;
  });
  events.on('outlier.ejected', () => ejections++);
  const n = (v: number) => v.toLocaleString('en-US');
  return () =>
    `${n(retries)} retries, ${n(requeues)} requeues, ${n(ejections)} ejections` +
    (aborts + delays > 0 ? `, ${n(aborts)} injected aborts and ${n(delays)} delays` : '');
}

/**
 * `total` calls from CONCURRENCY callers; `restart` runs (not awaited by the callers) at 50%.
 * `call` resolves to an outcome label ('ok', '503', ...) or throws.
 */
async function phase(
  name: string,
  total: number,
  call: () => Promise<string>,
  describe: (error: unknown) => string,
  restart: () => Promise<void>,
): Promise<PhaseResult> {
  const outcomes = new Map<string, number>();
  const samples: Sample[] = [];
  const step = Math.max(1, Math.floor(total / 10));
  let issued = 0;
  let done = 0;
  let failed = 0;
  let restarting: Promise<void> | undefined;
  const started = performance.now();
  const count = (label: string) => outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
  const worker = async () => {
    while (issued < total) {
      issued++;
      if (issued === Math.floor(total / 2)) restarting = restart();
      try {
        count(await call());
      } catch (error) {
        failed++;
        count(describe(error));
      }
      if (++done % step === 0) {
        const s = sample((done / total) * 100, done, started, failed);
        samples.push(s);
        console.log(`  ${name} ${s.percent.toFixed(0)}%: ${row(s)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await restarting;
  return {
    name,
    samples,
    outcomes,
    seconds: (performance.now() - started) / 1_000,
    violations: violations(samples),
  };
}

function violations(samples: readonly Sample[]): string[] {
  const base = samples[0];
  if (!base) return ['no samples'];
  const out: string[] = [];
  for (const s of samples) {
    const at = `${s.percent.toFixed(0)}%`;
    if (s.heapMB > base.heapMB + HEAP_MB)
      out.push(`${at}: heap ${s.heapMB.toFixed(1)} MB > ${base.heapMB.toFixed(1)} + ${HEAP_MB}`);
    if (Math.abs(s.sockets - base.sockets) > SOCKETS)
      out.push(`${at}: sockets ${s.sockets} vs ${base.sockets} ± ${SOCKETS}`);
    if (s.timers > base.timers + TIMERS)
      out.push(`${at}: timers ${s.timers} > ${base.timers} + ${TIMERS}`);
    if (Math.abs(s.handles - base.handles) > HANDLES)
      out.push(`${at}: handles ${s.handles} vs ${base.handles} ± ${HANDLES}`);
    if (Math.abs(s.fds - base.fds) > FDS) out.push(`${at}: fds ${s.fds} vs ${base.fds} ± ${FDS}`);
  }
  return out;
}

const row = (s: Sample) =>
  `${s.calls.toLocaleString('en-US')} calls, ${s.seconds.toFixed(0)} s, heap ${s.heapMB.toFixed(1)} MB, ` +
  `${s.handles} handles (${s.timers} timers), ${s.sockets} open sockets, ${s.fds} fds, ${s.failed} failed`;

/** The wire or refusal code under an error, as the soak's outcome label. */
function codeOf(error: unknown): string {
  let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined;
  if (e instanceof TypeError && e.message === 'fetch failed') e = e.cause as typeof e;
  const code = e?.code;
  const inner = (e?.cause as { code?: unknown } | undefined)?.code;
  return `${String(code)}${inner === undefined ? '' : ` (${String(inner)})`}`;
}

// ---- HTTP ---------------------------------------------------------------------------------

async function httpPhase(): Promise<PhaseResult> {
  const instances: HttpInstance[] = await Promise.all([
    startInstance({ unavailable: 0.02 }),
    startInstance({ reset: 0.005 }),
    startInstance({ slow: 0.01, slowMs: 50 }),
  ]);
  const client = createHttpClient({
    service: 'soak-http',
    discovery: instances.map((i) => i.address),
    timeout: { totalMs: 2_000 },
  });
  const restart = async () => {
    // A crash, then the instance back on its port a little later, as an orchestrator would.
    const port = instances[1]!.port;
    await instances[1]!.kill();
    await new Promise((r) => setTimeout(r, 500));
    instances[1] = await startInstance({ reset: 0.005 }, port);
  };
  const call = async () => {
    const res = await client.request('/');
    const text = await res.body.text();
    return res.statusCode === 200 && text === 'ok' ? 'ok' : String(res.statusCode);
  };
  const tally = tallyOf(client.events);
  const result = await phase('http', HTTP_CALLS, call, codeOf, restart);
  result.tally = tally();
  await client.close();
  await Promise.all(instances.map((i) => i.kill('SIGTERM')));
  return result;
}

// ---- gRPC ---------------------------------------------------------------------------------

type SayClient = {
  unary: { Say(m: EchoMessage): Promise<EchoMessage> };
  close(): Promise<void>;
  events: HttpClient['events'];
};

async function grpcPhase(): Promise<PhaseResult> {
  const servers: SpawnedServer[] = await Promise.all([0, 1, 2].map(() => spawnGrpcServer('echo')));
  const client = createGrpcClient(Echo, {
    service: 'soak-grpc',
    discovery: servers.map((s) => s.address),
    timeout: { totalMs: 2_000 },
    // The Echo instances have no failure rate of their own: injected faults stand in for one.
    fault: { abort: { percent: 1, status: 503 }, delay: { percent: 1, ms: 20 } },
  }) as unknown as SayClient;
  const restart = async () => {
    const port = servers[1]!.port;
    await servers[1]!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    servers[1] = await spawnGrpcServer('echo', { port });
  };
  let n = 0;
  const call = async () => {
    const m = ++n;
    const r = await client.unary.Say({ text: 'soak', n: m });
    return r.n === m ? 'ok' : 'wrong answer';
  };
  const describe = (error: unknown) => {
    const e = error as { code?: unknown; cause?: { code?: unknown } };
    return `status ${String(e.code)}${e.cause?.code === undefined ? '' : ` (${String(e.cause.code)})`}`;
  };
  const tally = tallyOf(client.events);
  const result = await phase('grpc', GRPC_CALLS, call, describe, restart);
  result.tally = tally();
  await client.close();
  await Promise.all(servers.map((s) => s.kill('SIGTERM')));
  return result;
}

// ---- report -------------------------------------------------------------------------------

function table(r: PhaseResult): string {
  const lines = [
    '| Calls | Elapsed | Heap after GC | Active handles | of which timers | Open sockets | Open fds | Failed so far |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.samples.map(
      (s) =>
        `| ${s.calls.toLocaleString('en-US')} (${s.percent.toFixed(0)}%) | ${s.seconds.toFixed(0)} s | ` +
        `${s.heapMB.toFixed(1)} MB | ${s.handles} | ${s.timers} | ${s.sockets} | ${s.fds} | ${s.failed} |`,
    ),
  ];
  const total = [...r.outcomes.values()].reduce((a, b) => a + b, 0);
  const outcomes = [...r.outcomes.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')} (${((v / total) * 100).toFixed(3)}%)`)
    .join(', ');
  const rate = Math.round(total / r.seconds).toLocaleString('en-US');
  const verdict =
    r.violations.length === 0
      ? 'flat within the tolerances'
      : `NOT flat: ${r.violations.join('; ')}`;
  const tally = r.tally ? ` The client made ${r.tally}.` : '';
  return `${lines.join('\n')}\n\nOutcomes: ${outcomes}.${tally} ${rate} calls/s over ${r.seconds.toFixed(0)} s. Verdict: ${verdict}.`;
}

function section(http: PhaseResult, grpc: PhaseResult, exitNote: string): string {
  return `## Soak

\`npm run soak\`: ${HTTP_CALLS.toLocaleString('en-US')} HTTP calls, then ${GRPC_CALLS.toLocaleString('en-US')} gRPC calls, ${CONCURRENCY} callers,
against three instances each in child processes. HTTP faults: one instance answers 2% 503s, one
resets 0.5% of connections, one answers 1% after 50 ms; gRPC faults injected by the client (1%
aborted as 503 → UNAVAILABLE, 1% delayed 20 ms); at 50% one instance of each is SIGKILLed and
brought back on its port 500 ms later. A sample every 10% of calls, after a forced GC: heap used,
the active handles (\`process.getActiveResourcesInfo()\`: what holds the loop, so it follows the
calls in flight), open sockets (idle keep-alive ones included) and open fds, both from
/proc/self/fd. Tolerance against the 10% sample: heap +${HEAP_MB} MB, active handles ±${HANDLES} and
timers +${TIMERS} (up to ~3 per caller in flight), sockets ±${SOCKETS} and fds ±${FDS}.

### HTTP

${table(http)}

### gRPC

${table(grpc)}

${exitNote}
`;
}

/** Writes results/soak.md (which `npm run bench` includes) and replaces the section in place. */
function writeResults(text: string): void {
  const here = new URL('../bench/', import.meta.url);
  const stamp = `_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}._`;
  const body = `${text.trim()}\n\n${stamp}\n`;
  writeFileSync(new URL('results/soak.md', here), body);
  const file = new URL('../../BENCHMARKS.md', here);
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf('## Soak');
  let next: number;
  if (start >= 0) {
    const after = doc.indexOf('\n## ', start + 1);
    next = after < 0 ? doc.length : after + 1;
    writeFileSync(file, `${doc.slice(0, start)}${body}${doc.slice(next)}`);
    return;
  }
  // Where run.ts would put it: before the first section whose results file sorts after soak.md.
  const later = readdirSync(new URL('results/', here))
    .filter((f) => f.endsWith('.md') && f > 'soak.md')
    .sort()
    .map((f) => readFileSync(new URL(`results/${f}`, here), 'utf8').split('\n')[0]!)
    .map((heading) => doc.indexOf(`${heading}\n`))
    .filter((i) => i >= 0);
  next = later.length ? Math.min(...later) : doc.length;
  const before = doc.slice(0, next);
  writeFileSync(file, `${before}${before.endsWith('\n\n') ? '' : '\n'}${body}\n${doc.slice(next)}`);
}

console.log(
  `soak: ${HTTP_CALLS} HTTP calls, then ${GRPC_CALLS} gRPC calls, ${CONCURRENCY} callers`,
);
const http = await httpPhase();
console.log(table(http));
const grpc = await grpcPhase();
console.log(table(grpc));

// Everything is closed: the process must now end by itself. The figures are written as it exits,
// with how long that took, or by the watchdog with what still held it.
const closedAt = performance.now();
let stuck: string | undefined;
process.once('exit', () => {
  const seconds = ((performance.now() - closedAt) / 1_000).toFixed(1);
  const exitNote =
    stuck === undefined
      ? `After \`close()\` and the instances' exit, the process exited on its own in ${seconds} s (no \`process.exit\`).`
      : `The process did NOT exit on its own: 10 s after \`close()\` it still held ${stuck}.`;
  console.log(exitNote);
  // SOAK_WRITE=0 for a trial run that leaves the recorded figures alone.
  if (process.env.SOAK_WRITE === '0') return;
  writeResults(section(http, grpc, exitNote));
  console.log('soak: results written to bench/results/soak.md and BENCHMARKS.md');
});
// Only if something still holds the loop: say what, and fail. Unref'd, so it holds nothing.
setTimeout(() => {
  stuck = process.getActiveResourcesInfo().join(', ');
  process.exitCode = 1;
  process.exit();
}, 10_000).unref();
if (http.violations.length || grpc.violations.length) process.exitCode = 1;
