/**
 * `npm run demo` in its short mode, as a newcomer's shell would run it (a child process, from
 * the TypeScript source through tsx so no build is needed): it exits by itself, and the figures
 * it prints with --json say what its screen claims. Thresholds leave room for a busy machine:
 * each is a difference of kind (0.2 vs 4 attempts per call), not of a few percent.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP, parseFlags } from '../../../examples/src/demo/flags.js';
import { type DemoFigures, renderSummary } from '../../../examples/src/demo/summary.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Figures {
  readonly calls: number;
  readonly ok: number;
  /** Failed calls that ended after the instances had moved on to the next phase. */
  readonly failedAfterPhase: number;
  readonly successPercent: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly attemptsPerCall: number;
  readonly sharePercent: Record<string, number>;
}
interface Report {
  readonly settings: {
    readonly ratePerClient: number;
    readonly phaseSeconds: number;
    readonly slowMs: number;
  };
  readonly durationS: number;
  readonly phases: readonly {
    readonly id: string;
    readonly title: string;
    readonly loopDelayP99Ms: number;
    readonly plain: Figures;
    readonly outrigger: Figures & { readonly counters: { readonly breakerOpened: number } };
  }[];
  readonly perSecond: {
    readonly plain: readonly unknown[];
    readonly outrigger: readonly unknown[];
  };
  readonly events: readonly { readonly phase: string; readonly kind: string }[];
  readonly chart: string;
}

function demo(args: string[], timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, ['--import', 'tsx', 'examples/src/demo.ts', ...args], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      // A demo that does not exit by itself fails here, not by hanging the suite.
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      });
    },
  );
}

/** Tags balance and nothing but markup and text: enough to know a browser will draw it. */
function wellFormedXml(text: string): boolean {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    // Between tags only text, with every & an entity.
    const between = text.slice(last, m.index);
    if (/[<>]/.test(between) || /&(?!(amp|lt|gt|quot|#\d+);)/.test(between)) return false;
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0 && text.slice(last).trim() === '';
}

describe('npm run demo --quick', () => {
  let out: string;
  let run: Awaited<ReturnType<typeof demo>>;
  let report: Report;
  const phase = (id: string) => report.phases.find((p) => p.id === id)!;

  // How late the demo's event loop ran at worst (p99 of a phase): past this the machine starved
  // the run (a shared box stalling the loop for a second times out a second of calls), and its
  // latencies and timeouts say nothing about either client.
  const STARVED_MS = 500;
  let starved = false;
  /** The figure checks, skipped (with a note) when every run was starved. */
  const claim = (name: string, check: () => void) =>
    it(name, (ctx) => {
      if (starved) {
        console.warn(`skipped on a starved machine: ${name}`);
        ctx.skip();
      }
      check();
    });

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'outrigger-demo-'));
    // A starved run is repeated once; the steady state doubles as the control (both clients
    // succeed there on any machine that keeps up).
    for (let tries = 1; tries <= 2; tries++) {
      run = await demo(['--quick', '--json', '--out', out], 50_000);
      if (run.code !== 0) return;
      report = JSON.parse(run.stdout) as Report;
      starved = Math.max(...report.phases.map((p) => p.loopDelayP99Ms)) >= STARVED_MS;
      const steady = report.phases[0]!;
      if (
        !starved &&
        Math.min(steady.plain.successPercent, steady.outrigger.successPercent) >= 99
      ) {
        return;
      }
      console.warn(`demo run ${tries}: a starved machine or failures in the steady state`);
    }
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits by itself, well within a minute, with the figures as JSON on stdout', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.ms).toBeLessThan(40_000);
    expect(report.phases.map((p) => p.id)).toEqual([
      'steady',
      'slow',
      'dead',
      'outage',
      'recovery',
    ]);
    expect(run.stderr).toMatch(/Phase 3\/5: one instance dies/);
  });

  it('gives both clients the same open-loop schedule, call for call', () => {
    const { ratePerClient, phaseSeconds } = report.settings;
    for (const p of report.phases) {
      expect(p.plain.calls).toBe(p.outrigger.calls);
      expect(p.plain.calls).toBeGreaterThan(0.9 * ratePerClient * phaseSeconds);
      expect(p.plain.calls).toBeLessThanOrEqual(ratePerClient * phaseSeconds + 1);
    }
  });

  claim('steady state: both clients succeed', () => {
    expect(phase('steady').plain.successPercent).toBeGreaterThanOrEqual(99);
    expect(phase('steady').outrigger.successPercent).toBeGreaterThanOrEqual(99);
  });

  claim('one slow instance: every fourth plain call waits on it, few of Outrigger’s do', () => {
    const slow = phase('slow');
    expect(slow.plain.sharePercent['#2']).toBeGreaterThan(20);
    expect(slow.plain.p99Ms).toBeGreaterThanOrEqual(report.settings.slowMs);
    // Typically under 5% against 25%; a starved machine inflates every endpoint's latency
    // estimate alike and blurs the difference, so the bar is lower than the usual figure.
    expect(slow.outrigger.sharePercent['#2']).toBeLessThan(slow.plain.sharePercent['#2']! * 0.8);
  });

  claim(
    'one dead instance: every Outrigger call that ran within the phase succeeds, it beats the plain client, and ejects the instance',
    () => {
      const dead = phase('dead');
      // Its few failures are calls begun in the phase's last moments that met the outage (the
      // summary's "failed in phase 4"); within the phase, retries on untried instances and the
      // ejection leave none. One is allowed for a machine stalling a call past its deadline.
      const o = dead.outrigger;
      expect(o.calls - o.ok - o.failedAfterPhase).toBeLessThanOrEqual(1);
      expect(o.failedAfterPhase).toBeLessThan(0.05 * o.calls);
      expect(o.successPercent).toBeGreaterThan(dead.plain.successPercent);
      expect(report.events.some((e) => e.phase === 'dead' && e.kind === 'outlier.ejected')).toBe(
        true,
      );
    },
  );

  claim(
    'total outage: the plain client multiplies load, Outrigger stays under 1.3 and its breaker opens',
    () => {
      const outage = phase('outage');
      expect(outage.plain.attemptsPerCall).toBeGreaterThan(2.5);
      expect(outage.outrigger.attemptsPerCall).toBeLessThan(1.3);
      expect(outage.outrigger.counters.breakerOpened).toBeGreaterThanOrEqual(1);
      // Failing fast: the open breaker answers at once where the plain client backs off and retries.
      expect(outage.outrigger.p50Ms).toBeLessThan(outage.plain.p50Ms / 10);
    },
  );

  claim('recovery: the breaker closes after a trial call and Outrigger serves again', () => {
    const recovery = phase('recovery');
    expect(report.events.some((e) => e.phase === 'recovery' && e.kind === 'breaker.closed')).toBe(
      true,
    );
    expect(recovery.outrigger.successPercent).toBeGreaterThanOrEqual(75);
    expect(recovery.plain.successPercent).toBeGreaterThanOrEqual(99);
  });

  claim('the summary names, per client, the failed calls that met the next phase', () => {
    const text = renderSummary(report as unknown as DemoFigures, false);
    const blocks = text.split(/\n(?=\d\. )/).slice(1);
    expect(blocks).toHaveLength(report.phases.length);
    // Calls begun in the dead phase's last moments retry into the outage: there are always some.
    expect(
      report.phases.some((p) => p.plain.failedAfterPhase + p.outrigger.failedAfterPhase > 0),
    ).toBe(true);
    for (const [i, p] of report.phases.entries()) {
      const next = report.phases[i + 1];
      for (const name of ['plain', 'outrigger'] as const) {
        const line = blocks[i]!.split('\n').find((l) => l.startsWith(`  ${name} `))!;
        const n = p[name].failedAfterPhase;
        const note = `${n} failed in phase ${i + 2} (${next?.title})`;
        if (n > 0 && next) expect(line).toContain(note);
        else expect(line).not.toMatch(/failed in phase/);
      }
    }
  });

  it('writes the chart as well-formed SVG where it says, with every phase named', () => {
    expect(report.chart).toBe(join(out, 'demo-report.svg'));
    const svg = readFileSync(report.chart, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(wellFormedXml(svg)).toBe(true);
    for (const title of ['steady state', 'one instance turns slow', 'total outage', 'recovery']) {
      expect(svg).toContain(title);
    }
    expect(svg.match(/<path /g)?.length).toBe(6);
    expect(report.perSecond.plain.length).toBeGreaterThanOrEqual(report.settings.phaseSeconds * 5);
  });
});

describe('demo flags', () => {
  it('refuses a bad value with a message naming it, and exit code 2', async () => {
    const r = await demo(['--rate', 'lots'], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rate must be a number from 1 to 5000 \(got "lots"\)/);
    expect(r.stdout).toBe('');
  }, 30_000);

  it('refuses an unknown flag; explicit flags win over --quick; --help lists the flags', () => {
    expect(parseFlags(['--fast'])).toMatchObject({
      kind: 'error',
      message: /unknown flag "--fast"/,
    });
    expect(parseFlags(['--quick', '--rate=50'])).toMatchObject({
      kind: 'run',
      options: { rate: 50, phaseSeconds: 2, quick: true },
    });
    expect(parseFlags(['--trace=spans.jsonl'])).toMatchObject({
      options: { trace: { kind: 'file', path: 'spans.jsonl' } },
    });
    expect(parseFlags(['--help'])).toEqual({ kind: 'help' });
    expect(HELP).toMatch(/--quick/);
  });
});
