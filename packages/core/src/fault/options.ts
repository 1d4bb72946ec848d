import { checkedValue, HOUR_MS } from '../config/policy-options.js';
import { int, ms, onOff, percent, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';

const DELAY_PERCENT = percent(
  {
    env: 'FAULT_DELAY_PERCENT',
    path: ['fault', 'delay', 'percent'],
    doc: 'Share of calls delayed.',
  },
  0,
);

const DELAY_MS = ms(
  { env: 'FAULT_DELAY_MS', path: ['fault', 'delay', 'ms'], doc: 'Injected delay.' },
  0,
  HOUR_MS,
  0,
);

const ABORT_PERCENT = percent(
  {
    env: 'FAULT_ABORT_PERCENT',
    path: ['fault', 'abort', 'percent'],
    doc: 'Share of calls aborted.',
  },
  0,
);

const ABORT_STATUS = int(
  {
    env: 'FAULT_ABORT_STATUS',
    path: ['fault', 'abort', 'status'],
    doc: 'Status of an injected abort (HTTP; mapped for gRPC).',
  },
  100,
  599,
  503,
  'an HTTP status',
);

export const FAULT_SETTINGS: readonly SettingDef[] = [
  onOff(
    { env: 'FAULT', path: ['fault'], doc: 'Fault injection for drills (off until configured).' },
    false,
  ),
  DELAY_PERCENT,
  DELAY_MS,
  ABORT_PERCENT,
  ABORT_STATUS,
];

/**
 * What to inject: the `fault` section's shape (`{ delay: { percent, ms }, abort: { percent,
 * status } }`), plus an optional error of your choosing for aborts.
 */
export interface FaultSpec {
  delay?: { percent?: number | undefined; ms?: number | undefined } | undefined;
  abort?:
    | {
        percent?: number | undefined;
        /** Status of the injected `FaultInjectedError` (the HTTP client answers with it). Default 503. */
        status?: number | undefined;
        /**
         * Reject with this instead (a fresh error per call): e.g. an `ECONNRESET` to drill the
         * retry path. The `fault.injected` event still says the fault was injected.
         */
        error?: (() => unknown) | undefined;
      }
    | undefined;
}

export interface ResolvedFault {
  readonly delayPercent: number;
  readonly delayMs: number;
  readonly abortPercent: number;
  readonly abortStatus: number;
  readonly abortError: (() => unknown) | undefined;
}

/** Validates a fault spec, naming the bad option under `where` (`fault`, `routes[1].fault`). */
export function resolveFault(spec: FaultSpec, where: string): ResolvedFault {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: spec,
      expected: 'an options object, or false',
    });
  }
  const section = (name: 'delay' | 'abort'): Record<string, unknown> => {
    const value = spec[name];
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null) {
      throw new ConfigInvalidError({
        setting: `option ${where}.${name}`,
        value,
        expected: 'an options object',
      });
    }
    return value as Record<string, unknown>;
  };
  /** The value at `def`'s path under the `delay` or `abort` part, or its default. */
  const number = (def: SettingDef<number>, part: Record<string, unknown>) => {
    const key = def.path[2]!;
    return checkedValue(def, part[key] ?? def.default, `option ${where}.${def.path[1]}.${key}`);
  };
  const delay = section('delay');
  const abort = section('abort');
  if (abort.error !== undefined && typeof abort.error !== 'function') {
    throw new ConfigInvalidError({
      setting: `option ${where}.abort.error`,
      value: abort.error,
      expected: 'a function returning the error to reject with',
    });
  }
  return {
    delayPercent: number(DELAY_PERCENT, delay),
    delayMs: number(DELAY_MS, delay),
    abortPercent: number(ABORT_PERCENT, abort),
    abortStatus: number(ABORT_STATUS, abort),
    abortError: abort.error as (() => unknown) | undefined,
  };
}
