import type { HeaderMatch, RouteMatch } from './route.js';
import type { Selector } from './selector.js';

/** A header condition as data: a `RegExp` becomes its literal text (`'/^v2$/i'`). */
export type HeaderMatchData =
  | string
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly regex: string }
  | { readonly present: boolean };

/** A route's match as data: only the conditions it was given, in the form they were given. */
export interface RouteMatchData {
  readonly method?: string | readonly string[];
  readonly path?: { readonly exact: string } | { readonly prefix: string };
  readonly headers?: Readonly<Record<string, HeaderMatchData>>;
}

/** One route as plain data (JSON-safe, frozen), for `client.snapshot()`. */
export interface RouteSnapshot {
  readonly name: string;
  readonly match: RouteMatchData;
  /** The split in force: one entry with an empty subset (every endpoint) when none was given. */
  readonly split: readonly {
    readonly subset: Readonly<Record<string, string>>;
    readonly weight: number;
  }[];
}

/**
 * A validated route as data, made once when routes are compiled (never per call or per
 * snapshot). It is a copy: a caller changing its `Route` object afterwards changes neither the
 * routing in force nor what the snapshot says about it.
 */
export function routeData(
  name: string,
  match: RouteMatch | undefined,
  split: readonly { readonly selector: Selector; readonly weight: number }[],
): RouteSnapshot {
  return deepFreeze({
    name,
    match: matchData(match ?? {}),
    split: split.map(({ selector, weight }) => ({
      subset: Object.fromEntries(selector.pairs),
      weight,
    })),
  });
}

function matchData(match: RouteMatch): RouteMatchData {
  const data: { -readonly [K in keyof RouteMatchData]: RouteMatchData[K] } = {};
  if (match.method !== undefined)
    data.method = typeof match.method === 'string' ? match.method : [...match.method];
  if (match.path !== undefined) data.path = { ...match.path };
  // null is what JSON writes for "none", and the matcher reads it so: no header conditions.
  if (match.headers != null) {
    data.headers = Object.fromEntries(
      Object.entries(match.headers).map(([name, test]) => [name, headerData(test)]),
    );
  }
  return data;
}

function headerData(test: HeaderMatch): HeaderMatchData {
  if (typeof test === 'string') return test;
  if ('regex' in test) return { regex: String(test.regex) };
  return { ...test };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
