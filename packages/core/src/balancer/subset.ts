import type { EventBus } from '../events/events.js';
import { type Selector, selects } from '../routing/selector.js';
import type { Backend } from './backend.js';
import type { Balancer, Picker } from './balancer.js';
import type { EndpointPool } from './pool.js';

/** What a subset needs to rebuild its picker: fixed for the life of a load-balancing policy. */
export interface SubsetEnv {
  readonly service: string;
  readonly pool: EndpointPool;
  readonly balancer: Balancer;
  /** 0 when outlier detection is off (nothing is ever ejected, so never in panic). */
  readonly panicThresholdPercent: number;
  readonly zone: string | undefined;
  /** The local zone is preferred while at least this share of it is healthy; 0 turns it off. */
  readonly zoneMinHealthyPercent: number;
  readonly events: EventBus | undefined;
}

/**
 * The endpoints of one selector (`version=v2`, or all) and the picker over those eligible now.
 * Eligibility, decided on rebuild (control plane), in Envoy's order:
 * 1. healthy = not ejected;
 * 2. panic: if healthy endpoints are under `panicThresholdPercent` of the subset, all of them
 *    are eligible (sending everything to the few left would finish them off);
 * 3. zone: otherwise, with a caller zone, the healthy endpoints of that zone alone while at
 *    least `zoneMinHealthyPercent` of the zone is healthy; all healthy endpoints if not. Hashed
 *    balancers skip this step: affinity wins over locality.
 */
export class Subset {
  readonly selector: Selector;
  members: readonly Backend[] = [];
  panic = false;
  #membersAt = -1;
  #builtAt = -1;
  #picker: Picker | undefined;

  constructor(selector: Selector) {
    this.selector = selector;
  }

  /** Re-selects members after a discovery update. */
  refresh(pool: EndpointPool): readonly Backend[] {
    if (this.#membersAt !== pool.setVersion) {
      const all = pool.backends;
      this.members =
        this.selector.pairs.length === 0
          ? all
          : all.filter((b) => selects(this.selector, b.endpoint));
      this.#membersAt = pool.setVersion;
    }
    return this.members;
  }

  /** The current picker, rebuilt first if the set or its health changed; undefined if none is eligible. */
  picker(env: SubsetEnv): Picker | undefined {
    if (this.#builtAt !== env.pool.version) this.#rebuild(env);
    return this.#picker;
  }

  #rebuild(env: SubsetEnv): void {
    this.#builtAt = env.pool.version;
    const members = this.refresh(env.pool);
    const healthy = members.filter((b) => b.ejectedUntil === 0);
    const panic =
      members.length > 0 && healthy.length * 100 < env.panicThresholdPercent * members.length;
    if (panic !== this.panic) {
      this.panic = panic;
      const name = panic ? 'balancer.panic_entered' : 'balancer.panic_exited';
      if (env.events?.has(name)) {
        env.events.emit(name, {
          service: env.service,
          subset: this.selector.key || '*',
          healthy: healthy.length,
          total: members.length,
        });
      }
    }
    let eligible = panic ? members : healthy;
    if (!panic && env.zone !== undefined && env.zoneMinHealthyPercent > 0 && !env.balancer.hashed) {
      eligible = preferZone(members, healthy, env.zone, env.zoneMinHealthyPercent);
    }
    this.#picker = eligible.length > 0 ? env.balancer.build(eligible) : undefined;
  }
}

function preferZone(
  members: readonly Backend[],
  healthy: readonly Backend[],
  zone: string,
  minHealthyPercent: number,
): readonly Backend[] {
  let inZone = 0;
  for (const b of members) if (b.endpoint.zone === zone) inZone++;
  if (inZone === 0) return healthy;
  const local = healthy.filter((b) => b.endpoint.zone === zone);
  return local.length > 0 && local.length * 100 >= minHealthyPercent * inZone ? local : healthy;
}
