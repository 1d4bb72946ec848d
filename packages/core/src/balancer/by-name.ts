import { ConfigInvalidError } from '../errors/errors.js';
import type { Balancer } from './balancer.js';
import { maglev } from './maglev.js';
import { p2cEwma, p2cLeastRequest } from './p2c.js';
import type { Random } from './random.js';
import { randomBalancer } from './random-balancer.js';
import { ringHash } from './ring-hash.js';
import { roundRobin } from './round-robin.js';

/** The built-in balancers, by the names the `BALANCER` setting takes. */
export const BALANCER_NAMES = [
  'p2c-ewma',
  'p2c-least-request',
  'round-robin',
  'random',
  'ring-hash',
  'maglev',
] as const;
export type BalancerName = (typeof BALANCER_NAMES)[number];

const VALID = `one of ${BALANCER_NAMES.join(', ')}, or a Balancer`;

/** A built-in balancer with its defaults, by the name the `BALANCER` setting takes. */
export function balancerByName(
  name: BalancerName,
  options: { random?: Random | undefined } = {},
  setting = 'balancer',
): Balancer {
  switch (name) {
    case 'p2c-ewma':
      return p2cEwma(options);
    case 'p2c-least-request':
      return p2cLeastRequest(options);
    case 'round-robin':
      return roundRobin(options);
    case 'random':
      return randomBalancer(options);
    case 'ring-hash':
      return ringHash(options);
    case 'maglev':
      return maglev(options);
    default:
      throw new ConfigInvalidError({
        setting,
        value: name,
        expected: `${VALID} object`,
      });
  }
}

/**
 * The `balancer` option with its default filled in (`balancer/options.ts`): a name, or a
 * Balancer of the user's.
 */
export function toBalancer(value: unknown, setting: string, random: Random | undefined): Balancer {
  if (typeof value === 'string') return balancerByName(value as BalancerName, { random }, setting);
  const candidate = value as Partial<Balancer> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.build !== 'function'
  ) {
    throw new ConfigInvalidError({
      setting,
      value: typeof value === 'object' ? '(an object without build())' : value,
      expected: `${VALID} ({ name, build(backends) })`,
    });
  }
  return candidate as Balancer;
}
