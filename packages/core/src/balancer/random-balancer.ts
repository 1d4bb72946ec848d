import { AliasTable } from './alias.js';
import type { Backend } from './backend.js';
import {
  type Balancer,
  firstUntried,
  isExcluded,
  type Picker,
  type PickRequest,
} from './balancer.js';
import { pickRandom, type Random } from './random.js';

class RandomPicker implements Picker {
  readonly #backends: readonly Backend[];
  readonly #alias: AliasTable | undefined;
  readonly #random: Random;

  constructor(backends: readonly Backend[], random: Random) {
    this.#backends = backends;
    this.#alias = AliasTable.of(backends.map((b) => b.weight));
    this.#random = random;
  }

  pick(request: PickRequest): Backend {
    const exclude = request.exclude;
    for (let k = 0; k < 4; k++) {
      const u = this.#random();
      const i = this.#alias ? this.#alias.index(u) : Math.floor(u * this.#backends.length);
      const b = this.#backends[i]!;
      if (!isExcluded(b, exclude)) return b;
    }
    return firstUntried(
      this.#backends,
      exclude,
      Math.floor(this.#random() * this.#backends.length),
    );
  }
}

/** Uniform random, by weight when weights differ. */
export function randomBalancer(options: { random?: Random | undefined } = {}): Balancer {
  const random = pickRandom(options.random);
  return { name: 'random', build: (backends) => new RandomPicker(backends, random) };
}
