import type { Endpoint } from '../discovery/endpoint.js';
import { Backend } from './backend.js';

/**
 * One service's endpoints as the balancer tracks them: the current set, and per-endpoint state
 * kept by id across discovery updates. Changes bump `version`, which makes every picker built
 * before stale; subsets rebuild theirs at their next pick, so a burst of changes costs one
 * rebuild, and a subset nobody calls costs none.
 */
export class EndpointPool {
  /** The current set, replaced (never mutated) on update. */
  backends: readonly Backend[] = [];
  /** Whether discovery has delivered a set yet. */
  received = false;
  /** Bumps on any change of membership or health. */
  version = 0;
  /** Bumps on membership changes only: subsets then re-select their members. */
  setVersion = 0;
  readonly #byId = new Map<string, Backend>();

  /**
   * Replaces the set. Endpoints that stay keep their state (an update changing an endpoint's
   * weight or metadata keeps its latency and ejection); removed ones are marked so that late
   * outcomes of their calls in flight are ignored, and handed to `onRemoved`.
   */
  update(
    endpoints: readonly Endpoint[],
    onRemoved: (backend: Backend) => void,
  ): { added: number; removed: number } {
    const next: Backend[] = [];
    const seen = new Set<string>();
    let added = 0;
    for (const e of endpoints) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      let b = this.#byId.get(e.id);
      if (!b) {
        b = new Backend(e);
        this.#byId.set(e.id, b);
        added++;
      } else if (b.endpoint !== e) {
        b.endpoint = e;
        b.weight = e.weight;
      }
      next.push(b);
    }
    let removed = 0;
    for (const [id, b] of this.#byId) {
      if (seen.has(id)) continue;
      this.#byId.delete(id);
      b.removed = true;
      onRemoved(b);
      removed++;
    }
    this.backends = next;
    this.received = true;
    this.version++;
    this.setVersion++;
    return { added, removed };
  }

  healthChanged(): void {
    this.version++;
  }
}
