/**
 * Walker's alias table (Vose's construction): after an O(n) build, one uniform number picks an
 * index with probability proportional to its weight in O(1), whatever n is. Weighted random,
 * weighted round robin and weighted P2C all draw through it.
 */
export class AliasTable {
  readonly size: number;
  readonly #prob: Float64Array;
  readonly #alias: Int32Array;

  private constructor(prob: Float64Array, alias: Int32Array) {
    this.size = prob.length;
    this.#prob = prob;
    this.#alias = alias;
  }

  /** Undefined when every weight is the same: a plain uniform index is then exact and cheaper. */
  static of(weights: ArrayLike<number>): AliasTable | undefined {
    const n = weights.length;
    let total = 0;
    let equal = true;
    for (let i = 0; i < n; i++) {
      total += weights[i]!;
      if (weights[i] !== weights[0]) equal = false;
    }
    if (equal || n < 2) return undefined;
    const prob = new Float64Array(n);
    const alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i]! * n) / total;
      (scaled[i]! < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    // What is left is 1 up to rounding error.
    for (const i of large) prob[i] = 1;
    for (const i of small) prob[i] = 1;
    return new AliasTable(prob, alias);
  }

  /** The index chosen by `u` in [0, 1). */
  index(u: number): number {
    const x = u * this.size;
    const column = Math.floor(x);
    return x - column < this.#prob[column]! ? column : this.#alias[column]!;
  }

  /** Column `column`, split by `u` in [0, 1): for draws whose column is chosen in turn. */
  inColumn(column: number, u: number): number {
    return u < this.#prob[column]! ? column : this.#alias[column]!;
  }
}
