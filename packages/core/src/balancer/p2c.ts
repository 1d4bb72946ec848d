import type { Verdict } from '../classify/classifier.js';
import { ConfigInvalidError } from '../errors/errors.js';
import { AliasTable } from './alias.js';
import type { Backend } from './backend.js';
import {
  type Balancer,
  firstUntried,
  isExcluded,
  type Picker,
  type PickRequest,
} from './balancer.js';
import { SMALL, tickOf } from './peak-ewma.js';
import { pickRandom, type Random } from './random.js';

/** Draws before falling back to a scan when candidates keep being endpoints already tried. */
const DRAWS = 4;
/** Below this a latency counts as this: with zero-latency answers outstanding requests still count. */
const FLOOR_MS = 0.001;

/** Peak-EWMA settings and the service's typical latency, shared by a balancer's pickers. */
interface EwmaState {
  readonly decayMs: number;
  /** Typical successful latency: assumed for an endpoint not heard from yet. */
  typicalMs: number;
}

/**
 * Power of two choices (Mitzenmacher): draw two distinct endpoints at random (by weight when
 * weights differ) and send to the one with the lower load. O(1) per pick, and nearly as good as
 * scanning all for the least loaded, without the herd that a global minimum attracts.
 *
 * Load is peak-EWMA latency × (in flight + 1) when `ewma` is given, else in flight + 1; either
 * per unit of weight. Both candidates come from one random number, and the load is computed
 * without passing a fractional number through a call (see `#cost`): a pick allocates nothing.
 */
class P2cPicker implements Picker {
  readonly #backends: readonly Backend[];
  readonly #alias: AliasTable | undefined;
  readonly #random: Random;
  readonly #ewma: EwmaState | undefined;

  constructor(backends: readonly Backend[], random: Random, ewma: EwmaState | undefined) {
    this.#backends = backends;
    this.#alias = AliasTable.of(backends.map((b) => b.weight));
    this.#random = random;
    this.#ewma = ewma;
  }

  pick(request: PickRequest): Backend {
    const backends = this.#backends;
    const n = backends.length;
    if (n === 1) return backends[0]!;
    const exclude = request.exclude;
    // A whole number, so that passing it on never boxes it (see #cost).
    const tick = tickOf(request.now);
    // A retry's draw that hits an endpoint already tried keeps the other as a candidate and
    // draws again for a second one to weigh it against: taken unweighed, a slow endpoint would
    // get every retry whose pair it shares with the endpoint that failed.
    let held: Backend | undefined;
    for (let draw = 0; draw < DRAWS; draw++) {
      this.#pair();
      let a = backends[PAIR[0]!]!;
      let b = backends[PAIR[1]!]!;
      if (exclude !== undefined) {
        const aTried = isExcluded(a, exclude);
        const bTried = isExcluded(b, exclude);
        if (aTried || bTried) {
          if (aTried && bTried) continue;
          const untried = aTried ? b : a;
          if (held === undefined || held === untried) {
            held = untried;
            continue;
          }
          a = held;
          b = untried;
        }
      }
      if (a === b) return a;
      this.#cost(a, tick, 0);
      this.#cost(b, tick, 1);
      return COSTS[0]! <= COSTS[1]! ? a : b;
    }
    return held ?? firstUntried(backends, exclude, Math.floor(this.#random() * n));
  }

  /**
   * Leaves the cost in `COSTS[k]`. No fractional number crosses a call here, in or out: when
   * the JIT does not inline a call (its budget is shared with the whole chain), a fractional
   * argument or result is boxed on the heap. Hence the tick, and `PeakEwma.estimate` written
   * out rather than called.
   */
  #cost(backend: Backend, tick: number, k: number): void {
    const ewma = this.#ewma;
    let cost = backend.outstanding + 1;
    if (ewma !== undefined) {
      const rttUs = backend.rttUs;
      let rtt = ewma.typicalMs;
      if (rttUs >= 0) {
        const elapsed = (tick - backend.stampMs) & SMALL;
        rtt = (rttUs / 1_000) * Math.exp(-elapsed / ewma.decayMs);
      }
      cost *= Math.max(rtt, FLOOR_MS);
    }
    // With equal weights the division changes no comparison; skipping it reads one field less.
    COSTS[k] = this.#alias === undefined ? cost : cost / backend.weight;
  }

  /**
   * Two distinct indexes from one uniform number: its leading part picks the first, the rest
   * (uniform too, and independent of it) the second among the others. With weights, two draws
   * through the alias table; a repeat is redrawn a few times and accepted if the weights make
   * distinct picks that unlikely.
   */
  #pair(): void {
    const n = this.#backends.length;
    const alias = this.#alias;
    if (alias === undefined) {
      const x = this.#random() * n;
      const i = Math.floor(x);
      const j = Math.floor((x - i) * (n - 1));
      PAIR[0] = i;
      PAIR[1] = j >= i ? j + 1 : j;
      return;
    }
    const first = alias.index(this.#random());
    let second = alias.index(this.#random());
    for (let k = 0; k < 3 && second === first; k++) second = alias.index(this.#random());
    PAIR[0] = first;
    PAIR[1] = second;
  }
}

/** Where `#pair` and `#cost` leave their results: picks are synchronous, so one array serves all. */
const PAIR = new Int32Array(2);
const COSTS = new Float64Array(2);

export interface P2cEwmaOptions {
  /** Time over which old latency fades (Finagle's and Linkerd's 10 s). Default 10,000. */
  decayMs?: number | undefined;
  /** Latency assumed before any response was seen. Default 30 (Linkerd's default RTT). */
  defaultRttMs?: number | undefined;
  /**
   * A failed attempt counts as a latency of this many times the typical successful latency of
   * the service (or its own latency, if longer): an endpoint that fails fast must not look fast.
   * Default 10.
   */
  failurePenalty?: number | undefined;
  random?: Random | undefined;
}

/**
 * P2C over peak-EWMA latency × (requests in flight + 1), per unit of weight: Finagle's and
 * Linkerd's default, and ours. A failure is observed as a penalised latency (see
 * docs/decisions/0011), which keeps a fast-failing endpoint from drawing traffic before outlier
 * detection ejects it.
 */
export function p2cEwma(options: P2cEwmaOptions = {}): Balancer {
  const decayMs = positive('decayMs', options.decayMs ?? 10_000);
  const penalty = positive('failurePenalty', options.failurePenalty ?? 10);
  const random = pickRandom(options.random);
  // The typical successful latency is also what a failure is penalised against.
  const state: EwmaState = {
    decayMs,
    typicalMs: positive('defaultRttMs', options.defaultRttMs ?? 30),
  };
  return {
    name: 'p2c-ewma',
    build: (backends) => new P2cPicker(backends, random, state),
    observe(backend: Backend, latencyMs: number, verdict: Verdict, now: number): void {
      switch (verdict) {
        case 'success':
          backend.observe(latencyMs, now, decayMs);
          state.typicalMs += (latencyMs - state.typicalMs) / 20;
          return;
        case 'cancelled':
          // The caller gave up: the elapsed time is a lower bound, news only if it is higher.
          if (latencyMs > backend.estimate(now, decayMs)) backend.observe(latencyMs, now, decayMs);
          return;
        default:
          backend.observe(
            Math.max(latencyMs, Math.max(state.typicalMs, FLOOR_MS) * penalty),
            now,
            decayMs,
          );
      }
    },
  };
}

/** P2C over requests in flight per unit of weight (Envoy's least request with two choices). */
/** A NaN or negative here would turn every cost NaN, and every pick a coin toss, silently. */
function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigInvalidError({
      setting: `p2cEwma option ${option}`,
      value,
      expected: 'a finite number above 0',
    });
  }
  return value;
}

export function p2cLeastRequest(options: { random?: Random | undefined } = {}): Balancer {
  const random = pickRandom(options.random);
  return {
    name: 'p2c-least-request',
    build: (backends) => new P2cPicker(backends, random, undefined),
  };
}
