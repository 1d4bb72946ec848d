/** Number formats shared by the live view and the summary, fixed-width so columns line up. */

export function ms(value: number, width = 6): string {
  if (!Number.isFinite(value)) return '-'.padStart(width);
  const text = value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
  return text.padStart(width + 3);
}

export function percent(value: number, width = 6): string {
  if (!Number.isFinite(value)) return '-'.padStart(width);
  return `${value.toFixed(1)}%`.padStart(width);
}

export function ratio(value: number, width = 5): string {
  if (!Number.isFinite(value)) return '-'.padStart(width);
  return value.toFixed(2).padStart(width);
}

export function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}

/** ANSI colour only when the stream is a terminal: pipes and CI logs get plain text. */
export function paint(tty: boolean) {
  const wrap = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    bold: wrap('1'),
    dim: wrap('2'),
    red: wrap('31'),
    green: wrap('32'),
    yellow: wrap('33'),
    blue: wrap('34'),
  };
}
