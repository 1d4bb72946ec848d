import { ConfigInvalidError } from '../errors/errors.js';
import { resolveFault } from '../fault/options.js';
import { checkKeys, RouteMatcher } from './match.js';
import type { CompiledRoute, CompiledSplit, Route } from './route.js';
import { routeData } from './route-data.js';
import { EVERY_ENDPOINT, selectorOf } from './selector.js';

/** Validates and compiles routes, naming the first bad option (`routes[1].split[0].weight`). */
export function compileRoutes(routes: unknown): CompiledRoute[] {
  if (routes === undefined) return [];
  if (!Array.isArray(routes)) {
    throw new ConfigInvalidError({
      setting: 'option routes',
      value: routes,
      expected: 'a list of routes',
    });
  }
  const names = new Set<string>();
  return routes.map((route: unknown, i) => {
    const where = `routes[${i}]`;
    if (typeof route !== 'object' || route === null) {
      throw new ConfigInvalidError({
        setting: `option ${where}`,
        value: route,
        expected: 'a route object { name?, match?, split?, fault? }',
      });
    }
    checkKeys(route, ['name', 'match', 'split', 'fault'], where);
    const r = route as Route;
    const name = r.name ?? where;
    if (typeof name !== 'string' || name.length === 0 || names.has(name)) {
      throw new ConfigInvalidError({
        setting: `option ${where}.name`,
        value: name,
        expected: 'a non-empty name no other route has',
      });
    }
    names.add(name);
    const matcher = new RouteMatcher(r.match, `${where}.match`);
    const fault =
      r.fault === undefined || r.fault === false
        ? r.fault
        : resolveFault(r.fault, `${where}.fault`);
    const split = compileSplit(r.split, `${where}.split`);
    const compiled: CompiledRoute = {
      name,
      fault,
      split,
      // After the matcher, which has validated the match this copies.
      data: routeData(name, r.match, split),
      matches: (info) => matcher.matches(info),
    };
    return Object.freeze(compiled);
  });
}

function compileSplit(split: unknown, where: string): CompiledSplit[] {
  if (split === undefined) return [{ selector: EVERY_ENDPOINT, weight: 1 }];
  if (!Array.isArray(split) || split.length === 0) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: Array.isArray(split) ? '[]' : split,
      expected: "a non-empty list of { subset: { version: 'v2' }, weight: 5 }",
    });
  }
  const entries = split.map((entry: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      throw new ConfigInvalidError({
        setting: `option ${at}`,
        value: entry,
        expected: '{ subset, weight }',
      });
    }
    checkKeys(entry, ['subset', 'weight'], at);
    const { subset, weight } = entry as { subset: unknown; weight: unknown };
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ConfigInvalidError({
        setting: `option ${at}.weight`,
        value: weight,
        expected: 'a finite number ≥ 0',
      });
    }
    return { selector: selectorOf(subset, `${at}.subset`), weight };
  });
  if (!entries.some((e) => e.weight > 0)) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: 'all weights 0',
      expected: 'at least one weight above 0',
    });
  }
  return entries;
}
