import { ConfigInvalidError } from '../errors/errors.js';

/** Uniform in [0, 1), like `Math.random`. Injected wherever a policy draws, so tests can seed it. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit-state generator, fast and good enough for balancing and sampling (it is
 * not for secrets). The same seed gives the same sequence, so a test can assert a distribution
 * within a tolerance and get the same answer every run.
 */
export function seededRandom(seed: number): Random {
  // State in a typed array: a 32-bit value held in a closure variable would be boxed on every
  // draw (it does not fit a small integer), and a draw happens on every pick.
  const state = new Uint32Array([seed >>> 0]);
  return () => {
    state[0] = state[0]! + 0x6d2b79f5;
    let t = state[0]!;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The generator a balancer uses: the one injected, or a mulberry32 seeded once from
 * `Math.random`. `Math.random` itself is replaced too: called through a variable it is an
 * ordinary call that returns its double boxed on the heap (16 bytes per pick), where this
 * closure is inlined by the JIT and allocates nothing. Seeds differ per client, so a fleet
 * does not draw in step.
 */
export function pickRandom(random: Random | undefined): Random {
  // Checked here, once, rather than failing as a TypeError at the first pick, mid-call.
  if (random !== undefined && typeof random !== 'function') {
    throw new ConfigInvalidError({
      setting: 'balancer option random',
      value: random,
      expected: 'a function returning a number in [0, 1), like Math.random',
    });
  }
  return random === undefined || random === Math.random
    ? seededRandom(Math.floor(Math.random() * 4_294_967_296))
    : random;
}
