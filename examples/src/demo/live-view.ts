/**
 * The view while the demo runs. On a terminal: a compact table redrawn in place four times a
 * second, Outrigger's events scrolling above it. Anywhere else (CI, a pipe): plain lines, one
 * per client per second and one per event, which read well in a log.
 */
import type { Writable } from 'node:stream';
import { ms, paint, percent, ratio } from './format.js';
import type { LiveState, View } from './run.js';
import { CLIENTS, type ClientName, type Tally } from './stats.js';

export function createLiveView(out: Writable & { isTTY?: boolean }): View {
  const tty = out.isTTY === true;
  const c = paint(tty);
  let drawn = 0;
  let lastSecond = -1;
  const write = (text: string) => out.write(text);

  const clientLine = (name: ClientName, t: Tally, inFlight: number) => {
    const [p50, p99] = t.percentiles(50, 99);
    const colour = name === 'plain' ? c.red : c.blue;
    return `  ${colour(name.padEnd(9))} ${String(t.calls).padStart(6)}  ${percent(t.successPercent, 7)}  ${ms(p50!)}  ${ms(p99!)}  ${ratio(t.attemptsPerCall, 8)}  ${String(inFlight).padStart(9)}`;
  };

  const table = (s: LiveState): string[] => {
    const phase = s.phases[s.phaseIndex]!;
    const sinceStart = ((s.elapsedMs - s.phaseStartedMs) / 1_000).toFixed(1);
    const lines = [
      c.bold(`Phase ${s.phaseIndex + 1}/${s.phases.length}: ${phase.title}`) +
        c.dim(
          `  (${sinceStart} of ${s.options.phaseSeconds} s, ${s.options.rate} calls/s per client)`,
        ),
      `  ${phase.event}`,
      c.dim(`  look for: ${phase.claim}`),
      c.dim('  this phase    calls  success     p50        p99    att/call  in flight'),
    ];
    for (const name of CLIENTS) {
      lines.push(clientLine(name, s.recorder.byPhase[name][s.phaseIndex]!, s.inFlight[name]));
    }
    lines.push(
      c.dim('  Outrigger per endpoint: EWMA latency, attempts in flight, ejected; instance state'),
    );
    const endpoints = s.snapshot.balancer === false ? [] : s.snapshot.balancer.endpoints;
    for (const instance of s.instances) {
      const e = endpoints.find((x) => x.address === instance.address);
      // Padded before colouring: escape codes have no width on screen.
      const ejected =
        e?.ejectedUntil != null
          ? c.yellow(
              `ejected ${((e.ejectedUntil - s.snapshot.takenAt) / 1_000).toFixed(1)} s more`.padEnd(
                21,
              ),
            )
          : 'in rotation'.padEnd(21);
      lines.push(
        `  ${instance.name.padEnd(3)} ${ms(e?.latencyMs ?? Number.NaN)} ${String(e?.inFlight ?? 0).padStart(4)}  ${ejected} ${c.dim(instance.mode)}`,
      );
    }
    lines.push(`  breaker ${breakerText(s)}   budget ${budgetText(s)}`);
    return lines;
  };

  const redraw = (s: LiveState, above: string[] = []) => {
    // Up to the table's first line, clear to the end of the screen, print what scrolls, redraw.
    let text = drawn > 0 ? `\x1b[${drawn}F\x1b[0J` : '';
    for (const line of above) text += `${line}\n`;
    // A line the terminal wraps would make the count of lines to go back up wrong.
    const width = (out as { columns?: number }).columns ?? 200;
    const lines = table(s).map((line) => fitTo(line, width - 1));
    text += `${lines.join('\n')}\n`;
    drawn = lines.length;
    write(text);
  };

  return {
    started({ instances, compression, options, warmupMs }) {
      write(
        `${c.bold('Outrigger demo')}: instances of "payments" on 127.0.0.1, ${options.rate} calls/s from each client, open loop\n`,
      );
      write(`  ${instances.map((i) => `${i.name} ${i.address}`).join('   ')}\n`);
      write(
        `  ${c.red('plain')}: undici, round robin, 3 retries on any error or 5xx (backoff 50/100/200 ms), ${options.callTimeoutMs} ms per call\n`,
      );
      write(
        `  ${c.blue('outrigger')}: createHttpClient with default settings, the same ${options.callTimeoutMs} ms per call, and${compression.factor > 1 ? '' : ' nothing else'}\n`,
      );
      if (compression.factor > 1) {
        write(
          `    its incident-scale timings ÷${+compression.factor.toFixed(1)} to fit ${options.phaseSeconds} s phases: ${compression.lines.join('; ')}\n`,
        );
      }
      write(
        c.dim(`  warming up for ${warmupMs} ms (connections, compiled code), counted nowhere\n`),
      );
      write('\n');
    },
    phaseStarted(s) {
      if (tty) {
        // The finished phase's table stays on screen as its last state; a new one starts below.
        drawn = 0;
        write('\n');
        redraw(s);
        return;
      }
      const phase = s.phases[s.phaseIndex]!;
      write(`\n== Phase ${s.phaseIndex + 1}/${s.phases.length}: ${phase.title} — ${phase.event}\n`);
      write(`   look for: ${phase.claim}\n`);
    },
    refresh(s) {
      if (tty) return redraw(s);
      const second = Math.floor(s.elapsedMs / 1_000);
      if (second === lastSecond) return;
      lastSecond = second;
      for (const name of CLIENTS) {
        const t = s.recorder.byPhase[name][s.phaseIndex]!;
        const [p50, p99] = t.percentiles(50, 99);
        write(
          `${String(second).padStart(3)} s  ${name.padEnd(9)} ${String(t.calls).padStart(6)} calls  ${percent(t.successPercent)} ok  p50 ${ms(p50!)}  p99 ${ms(p99!)}  ${ratio(t.attemptsPerCall)} attempts/call\n`,
        );
      }
      const endpoints = s.snapshot.balancer === false ? [] : s.snapshot.balancer.endpoints;
      const parts = s.instances.map((i) => {
        const e = endpoints.find((x) => x.address === i.address);
        return `${i.name} ${ms(e?.latencyMs ?? Number.NaN, 0)}${e?.ejected ? ' EJECTED' : ''}`;
      });
      write(`       outrigger endpoints (EWMA): ${parts.join(', ')}; breaker ${breakerText(s)}\n`);
    },
    event(line, s) {
      if (tty) redraw(s, [c.yellow(line)]);
      else write(`  ${line}\n`);
    },
    stopped() {
      if (tty) drawn = 0;
      write('\n');
    },
  };
}

// ESC [ ... m: colour codes (built from a string so the escape byte is not in a regex literal).
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The line as is when it fits; else cut to `width`, its colours dropped to cut it safely. */
function fitTo(line: string, width: number): string {
  const plain = line.replace(ANSI, '');
  return plain.length <= width ? line : `${plain.slice(0, width - 1)}…`;
}

function breakerText(s: LiveState): string {
  const b = s.snapshot.breaker;
  if (b === false) return 'off';
  const w = b.window;
  return `${b.state} (window ${w.calls} calls, ${w.errorPercent.toFixed(0)}% failed)`;
}

function budgetText(s: LiveState): string {
  const b = s.snapshot.budget;
  return b === false ? 'off' : `${Math.floor(b.balance)} retries left`;
}
