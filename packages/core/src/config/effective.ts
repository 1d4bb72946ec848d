import { ConfigInvalidError } from '../errors/errors.js';
import { childObject, deepFreeze } from './object-tree.js';
import type { EffectiveConfig } from './options.js';
import type { ResolvedSetting } from './resolve-setting.js';
import type { SectionName } from './setting.js';

/**
 * Assembles the resolved settings into the frozen options tree the chain reads: a section that
 * is off becomes `false`, one that is on an object of its settings; then checks the rules that
 * span settings (a rate when rate limiting is on, max backoff and ejection at least the base).
 */
export function buildEffective(
  service: string,
  settings: readonly ResolvedSetting[],
  byEnv: ReadonlyMap<string, ResolvedSetting>,
): EffectiveConfig {
  const root: Record<string, unknown> = { service };
  const enabled = new Map<SectionName, boolean>();
  for (const s of settings) {
    if (s.def.section === undefined || s.def.path.length !== 1) continue;
    const section = s.def.section;
    // An off-by-default section is switched on by configuring any of its settings.
    const configured = settings.some(
      (o) => o.def.section === section && o.def.path.length > 1 && o.source.kind !== 'default',
    );
    enabled.set(
      section,
      s.source.kind === 'default' ? Boolean(s.value) || configured : Boolean(s.value),
    );
  }
  for (const s of settings) {
    const [head, ...rest] = s.def.path;
    if (s.def.section !== undefined) {
      if (!enabled.get(s.def.section)) {
        root[head!] = false;
        continue;
      }
      if (rest.length === 0) {
        root[head!] ??= {};
        continue;
      }
    }
    let node = root;
    const path = [head!, ...rest];
    for (let i = 0; i < path.length - 1; i++) node = childObject(node, path[i]!);
    node[path[path.length - 1]!] = s.value;
  }
  crossCheck(root, byEnv);
  if (root.balancer === undefined) root.balancer = 'p2c-ewma';
  return deepFreeze(root) as unknown as EffectiveConfig;
}

function crossCheck(
  root: Record<string, unknown>,
  byEnv: ReadonlyMap<string, ResolvedSetting>,
): void {
  const where = (env: string) => {
    const s = byEnv.get(env)!;
    return s.source.kind === 'env'
      ? s.source.variable
      : s.source.kind === 'code'
        ? `option ${s.source.option}`
        : `${env} (default)`;
  };
  const rate = root.rateLimit as { perSecond?: number; burst?: number } | false;
  if (rate) {
    if (rate.perSecond === undefined) {
      // Configuring the burst alone switches the section on: say so, or the refusal names
      // nothing the caller wrote.
      const burst = byEnv.get('RATE_LIMIT_BURST')!;
      const on = burst.source.kind === 'default' ? 'RATE_LIMIT' : 'RATE_LIMIT_BURST';
      throw new ConfigInvalidError({
        setting: where('RATE_LIMIT_PER_SECOND'),
        value: 'unset',
        expected: `a rate (rateLimit.perSecond or RATE_LIMIT_PER_SECOND) when rate limiting is on (switched on by ${where(on)})`,
      });
    }
    rate.burst ??= rate.perSecond;
  }
  const retry = root.retry as { backoff: { baseMs: number; maxMs: number } } | false;
  if (retry && retry.backoff.maxMs < retry.backoff.baseMs) {
    throw new ConfigInvalidError({
      setting: where('RETRY_BACKOFF_MAX_MS'),
      value: retry.backoff.maxMs,
      expected: `at least the base backoff (${retry.backoff.baseMs} ms, from ${where('RETRY_BACKOFF_BASE_MS')})`,
    });
  }
  const outlier = root.outlierDetection as
    | { baseEjectionMs: number; maxEjectionMs: number }
    | false;
  if (outlier && outlier.maxEjectionMs < outlier.baseEjectionMs) {
    throw new ConfigInvalidError({
      setting: where('OUTLIER_MAX_EJECTION_MS'),
      value: outlier.maxEjectionMs,
      expected: `at least the base ejection time (${outlier.baseEjectionMs} ms, from ${where('OUTLIER_BASE_EJECTION_MS')})`,
    });
  }
}
