import type { Route } from '@outrigger/core';

/**
 * A route table as stored in Consul KV: JSON, either the list itself or `{ "routes": [...] }`.
 * JSON has no regular expressions, so a header `{ "regex": "^v2" }` is read as `new RegExp`;
 * everything else is the code schema as it is, validated by `compileRoutes`.
 */
export function parseRoutesValue(text: string): Route[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the value is not JSON (${(error as Error).message})`);
  }
  const list =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'routes' in parsed
      ? (parsed as { routes: unknown }).routes
      : parsed;
  if (!Array.isArray(list))
    throw new Error('the value is neither a list of routes nor { "routes": [...] }');
  return list.map((route: unknown) => withRegexes(route)) as Route[];
}

function withRegexes(route: unknown): unknown {
  const headers = (route as { match?: { headers?: unknown } } | null)?.match?.headers;
  if (typeof headers !== 'object' || headers === null) return route;
  const converted: Record<string, unknown> = {};
  for (const [name, condition] of Object.entries(headers)) {
    const regex = (condition as { regex?: unknown } | null)?.regex;
    if (typeof regex === 'string') {
      try {
        converted[name] = { regex: new RegExp(regex) };
      } catch (error) {
        throw new Error(`header "${name}": ${(error as Error).message}`);
      }
    } else converted[name] = condition;
  }
  const r = route as { match: Record<string, unknown> };
  return { ...r, match: { ...r.match, headers: converted } };
}
