/**
 * The run as one SVG, written by hand (no dependency): p50 and p99 latency per second on a log
 * scale above, success per second below, both clients, the phases shaded and named.
 */
import type { DemoFigures, SecondFigures } from './summary.js';

const W = 960;
const H = 560;
const LEFT = 64;
const RIGHT = 150;
const LAT_TOP = 48;
const LAT_H = 280;
const OK_TOP = LAT_TOP + LAT_H + 44;
const OK_H = 130;
const COLOURS = { plain: '#d62728', outrigger: '#1f6fb4' } as const;

export function chartSvg(f: DemoFigures): string {
  const duration = Math.max(1, f.durationS);
  const plotW = W - LEFT - RIGHT;
  const x = (s: number) => LEFT + (plotW * Math.min(s, duration)) / duration;
  const maxMs = Math.max(10, f.settings.callTimeoutMs * 1.2);
  const logMin = 0; // 1 ms
  const logMax = Math.log10(maxMs);
  const yLat = (v: number) =>
    LAT_TOP +
    LAT_H -
    (LAT_H * (Math.log10(Math.max(1, Math.min(v, maxMs))) - logMin)) / (logMax - logMin);
  const yOk = (p: number) => OK_TOP + OK_H - (OK_H * Math.max(0, Math.min(100, p))) / 100;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>Outrigger demo: a plain client and an Outrigger client through ${f.phases.length} phases</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">Plain client vs Outrigger, ${f.settings.ratePerClient} calls/s each, ${f.settings.instances} instances</text>`,
  );
  // Phases: shaded bands across both panels, named at the top.
  for (const [i, p] of f.phases.entries()) {
    const x0 = x(p.startS);
    const x1 = x(p.endS);
    if (i % 2 === 0) {
      parts.push(
        `<rect x="${n(x0)}" y="${LAT_TOP}" width="${n(x1 - x0)}" height="${OK_TOP + OK_H - LAT_TOP}" fill="#f0f0f0"/>`,
      );
    }
    // A short label fits a narrow band; the full title shows on hover.
    parts.push(
      `<text x="${n((x0 + x1) / 2)}" y="${LAT_TOP - 6}" text-anchor="middle" fill="#444"><title>${i + 1}. ${esc(p.title)}: ${esc(p.event)}</title>${i + 1}. ${esc(p.label)}</text>`,
    );
  }
  // Axes and grid.
  for (const v of [1, 10, 100, 1_000, 10_000].filter((v) => v <= maxMs)) {
    const y = yLat(v);
    parts.push(
      `<line x1="${LEFT}" y1="${n(y)}" x2="${LEFT + plotW}" y2="${n(y)}" stroke="#ccc" stroke-width="0.5"/>`,
      `<text x="${LEFT - 6}" y="${n(y + 4)}" text-anchor="end">${v >= 1_000 ? `${v / 1_000} s` : `${v} ms`}</text>`,
    );
  }
  for (const p of [0, 50, 100]) {
    const y = yOk(p);
    parts.push(
      `<line x1="${LEFT}" y1="${n(y)}" x2="${LEFT + plotW}" y2="${n(y)}" stroke="#ccc" stroke-width="0.5"/>`,
      `<text x="${LEFT - 6}" y="${n(y + 4)}" text-anchor="end">${p}%</text>`,
    );
  }
  const step = duration > 60 ? 10 : 5;
  for (let s = 0; s <= duration; s += step) {
    parts.push(`<text x="${n(x(s))}" y="${OK_TOP + OK_H + 16}" text-anchor="middle">${s} s</text>`);
  }
  parts.push(
    `<text x="14" y="${LAT_TOP + LAT_H / 2}" transform="rotate(-90 14 ${LAT_TOP + LAT_H / 2})" text-anchor="middle">latency per second (log)</text>`,
    `<text x="14" y="${OK_TOP + OK_H / 2}" transform="rotate(-90 14 ${OK_TOP + OK_H / 2})" text-anchor="middle">success</text>`,
    `<rect x="${LEFT}" y="${LAT_TOP}" width="${plotW}" height="${LAT_H}" fill="none" stroke="#888"/>`,
    `<rect x="${LEFT}" y="${OK_TOP}" width="${plotW}" height="${OK_H}" fill="none" stroke="#888"/>`,
  );
  // The series: a point per second, at the middle of it.
  const line = (
    points: readonly SecondFigures[],
    value: (s: SecondFigures) => number,
    y: (v: number) => number,
  ) =>
    points
      .filter((s) => s.calls > 0)
      .map((s, i) => `${i === 0 ? 'M' : 'L'}${n(x(s.t + 0.5))},${n(y(value(s)))}`)
      .join(' ');
  for (const client of ['plain', 'outrigger'] as const) {
    const series = f.perSecond[client];
    const colour = COLOURS[client];
    parts.push(
      `<path d="${line(series, (s) => s.p99Ms, yLat)}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      `<path d="${line(series, (s) => s.p50Ms, yLat)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<path d="${line(series, (s) => s.successPercent, yOk)}" fill="none" stroke="${colour}" stroke-width="2"/>`,
    );
  }
  // Legend.
  const lx = LEFT + plotW + 14;
  const entries: [string, string, string][] = [
    ['plain p99', COLOURS.plain, ''],
    ['plain p50', COLOURS.plain, '5 3'],
    ['outrigger p99', COLOURS.outrigger, ''],
    ['outrigger p50', COLOURS.outrigger, '5 3'],
  ];
  for (const [i, [label, colour, dash]] of entries.entries()) {
    const y = LAT_TOP + 14 + i * 20;
    parts.push(
      `<line x1="${lx}" y1="${y}" x2="${lx + 24}" y2="${y}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 30}" y="${y + 4}">${label}</text>`,
    );
  }
  for (const [i, client] of (['plain', 'outrigger'] as const).entries()) {
    const y = OK_TOP + 14 + i * 20;
    parts.push(
      `<line x1="${lx}" y1="${y}" x2="${lx + 24}" y2="${y}" stroke="${COLOURS[client]}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${y + 4}">${client} success</text>`,
    );
  }
  parts.push(
    `<text x="${LEFT}" y="${H - 8}" fill="#666">Per second of the calls' start; every call counts, failed ones included (a refusal is fast). ${f.settings.instances} instances, ${f.durationS} s.</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function n(v: number): string {
  return v.toFixed(1);
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
