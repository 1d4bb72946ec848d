import type { EffectiveConfig } from '../config/options.js';
import type { SectionName } from '../config/setting.js';

/** One position of the default chain: what sits there, and why there. */
export interface ChainPosition {
  readonly name: string;
  /** The config section that switches it off, if any. */
  readonly section: SectionName | undefined;
  readonly reason: string;
}

/**
 * The default chain, outermost first. The order is the contract; each reason says why a
 * position sits where it does (Finagle's stack, justified line by line).
 */
export const DEFAULT_CHAIN: readonly ChainPosition[] = [
  {
    name: 'telemetry',
    section: 'telemetry',
    reason: "outermost, so the call's span covers every wait, retry and refusal below",
  },
  {
    name: 'total-deadline',
    section: 'timeout',
    reason: 'one absolute deadline for the logical call; everything inside may only shrink it',
  },
  {
    name: 'retry',
    section: 'retry',
    reason:
      'inside the deadline so backoff never outlives it; each retry draws on the shared budget',
  },
  {
    name: 'hedge',
    section: 'hedge',
    reason: 'beside retry, on the same budget, so hedges and retries together cannot multiply load',
  },
  {
    name: 'attempt-span',
    section: 'telemetry',
    reason: 'inside retry and hedge: one child span per attempt, named in its trace headers',
  },
  {
    name: 'per-try-timeout',
    section: 'timeout',
    reason: 'bounds each attempt, so one slow try leaves time for another',
  },
  {
    name: 'breaker',
    section: 'breaker',
    reason:
      'sees every attempt, so a dead service opens it fast; an open circuit refuses before any queueing',
  },
  {
    name: 'bulkhead',
    section: 'bulkhead',
    reason:
      'below the breaker so refused calls never hold a slot; bounds what one downstream can tie up',
  },
  {
    name: 'rate-limit',
    section: 'rateLimit',
    reason: 'counts only calls that will really be sent',
  },
  {
    name: 'route + balancer',
    section: undefined,
    reason: 'picks per attempt, so a retry can land on another endpoint of the routed subset',
  },
  {
    name: 'outlier-detection',
    section: 'outlierDetection',
    reason: 'per endpoint, sees each attempt outcome and ejects endpoints that keep failing',
  },
  {
    name: 'fault',
    section: 'fault',
    reason: 'just above the wire, so injected faults exercise every policy above like real ones',
  },
  {
    name: 'transport',
    section: undefined,
    reason: 'undici or grpc-js, cancelled through its own controller',
  },
];

/**
 * The chain as text: each position, whether it is on, and why it sits there. With `built`
 * (the positions a client really built), a position is on only if it was built.
 */
export function describeChain(
  config: EffectiveConfig,
  chain: readonly ChainPosition[] = DEFAULT_CHAIN,
  built?: readonly string[],
): string {
  return chain
    .map((position, i) => {
      const on = built
        ? built.includes(position.name) || position.name === 'transport'
        : position.section === undefined ||
          (config as unknown as Record<string, unknown>)[position.section] !== false;
      return `${String(i + 1).padStart(2)}. ${position.name.padEnd(18)} ${on ? 'on ' : 'off'}  ${position.reason}`;
    })
    .join('\n');
}

/** Chain and settings together, as a client's `describe()` shows them. */
export function describeClient(
  config: EffectiveConfig,
  settings: string,
  chain?: readonly ChainPosition[],
  built?: readonly string[],
): string {
  return [
    `Outrigger client for "${config.service}"`,
    '',
    'Chain (outermost first):',
    describeChain(config, chain, built),
    '',
    'Settings (value, source):',
    settings,
  ].join('\n');
}
