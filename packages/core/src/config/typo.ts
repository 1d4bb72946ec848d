/** Edit distance (insertions, deletions, substitutions, adjacent swaps), stopping past `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prevPrev[j - 2]! + 1);
      }
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known name `word` was probably meant to be, or undefined. "Probably" means at most two
 * edits and at most a quarter of the word, so that a different setting of a service whose name
 * shares our prefix (`PAYMENTS_API_TIMEOUT_MS` seen from `payments`) is not mistaken for a typo.
 */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const limit = Math.min(2, Math.floor(word.length / 4));
  if (limit === 0) return undefined;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = editDistance(word, candidate, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Case and a plural ending say nothing about which option was meant (`Retries` for `retry`). */
function nameStem(word: string): string {
  const lower = word.toLowerCase();
  if (lower.endsWith('ies') && lower.length > 4) return `${lower.slice(0, -3)}y`;
  if (lower.endsWith('s') && lower.length > 3) return lower.slice(0, -1);
  return lower;
}

/**
 * The option name `word` was probably meant to be, or undefined: the same name in another case
 * or number (`totalMS`, `retries`), else the nearest within two edits (one for names of four
 * letters or fewer). Looser than `closest`, since an option key, unlike an environment variable,
 * cannot belong to another service.
 */
export function nearestName(word: string, known: Iterable<string>): string | undefined {
  const stem = nameStem(word);
  const limit = stem.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = editDistance(stem, nameStem(candidate), limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
