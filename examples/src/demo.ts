/**
 * `npm run demo`: local instances of a `payments` service (healthy, slow, flaky, dead) called
 * at one fixed rate by a plain client and by an Outrigger client with default settings, through
 * five phases: steady state, one slow instance, one dead instance, total outage, recovery.
 * A live view while it runs, then a summary per phase and an SVG chart. Everything runs on
 * 127.0.0.1 and stops by itself, in under a minute. `--help` lists the flags.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chartSvg } from './demo/chart-svg.js';
import { HELP, parseFlags } from './demo/flags.js';
import { createLiveView } from './demo/live-view.js';
import { runDemo } from './demo/run.js';
import { figures, renderSummary } from './demo/summary.js';
import { startTracing } from './demo/trace.js';

const parsed = parseFlags(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(HELP);
} else if (parsed.kind === 'error') {
  process.stderr.write(`demo: ${parsed.message}\n`);
  process.exitCode = 2;
} else {
  const options = parsed.options;
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  // Before the client exists: Outrigger finds the SDK through @opentelemetry/api when it is made.
  const tracing = options.trace === null ? undefined : startTracing(options.trace);
  // With --json, stdout carries only the JSON; what a person watches goes to stderr.
  const screen = options.json ? process.stderr : process.stdout;
  const run = await runDemo(options, createLiveView(screen)).catch((error: unknown) => {
    // A bad OUTRIGGER_PAYMENTS_* variable is the likely cause: its message names it.
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
  const result = figures(run);
  const chart = resolve(outDir, 'demo-report.svg');
  writeFileSync(chart, chartSvg(result));
  result.chart = chart;
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else screen.write(renderSummary(result, screen.isTTY === true));
  screen.write(`\nChart: ${chart}  (latency percentiles and success per second, phases shaded)\n`);
  if (tracing !== undefined) screen.write(`${await tracing.finish(screen)}\n`);
  screen.write(`Done in ${(run.durationMs / 1_000).toFixed(1)} s.\n`);
}
