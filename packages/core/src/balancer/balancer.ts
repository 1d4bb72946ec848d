import type { Verdict } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import type { Endpoint } from '../discovery/endpoint.js';
import type { Backend } from './backend.js';

/**
 * What a pick knows of the attempt. The policy reuses one object for every pick (a pick is
 * synchronous), so a picker must not keep it.
 */
export interface PickRequest {
  /**
   * `clock.now()` at the pick, when the balancer has `observe` or outlier detection is on; 0
   * otherwise (a clock read costs ~50 ns, so it is only made when something uses it).
   */
  now: number;
  /**
   * Hash of the call's affinity key (`CallOptions.hashKey`), 30 bits: `hashString(key) >>> 2`,
   * a small integer to V8, so setting it allocates nothing. Undefined without a key.
   */
  hash: number | undefined;
  /** Endpoints this logical call already tried: avoided whenever another is eligible. */
  exclude: readonly Endpoint[] | undefined;
  ctx: CallContext | undefined;
}

/** The data plane: an immutable view of one eligible set, replaced whenever the set changes. */
export interface Picker {
  /** Synchronous, and O(1) in the number of endpoints. The set is never empty. */
  pick(request: PickRequest): Backend;
}

/**
 * A load-balancing algorithm (grpc-js's split): `build` is the control plane, run when the
 * eligible set changes (discovery, ejection, restoration); `Picker.pick` the data plane, run
 * per attempt; `observe` the feedback, after each attempt, with the shared classifier's verdict.
 */
export interface Balancer {
  readonly name: string;
  /**
   * Picks by `PickRequest.hash`. Zone preference is then off (affinity wins over locality, as
   * with Envoy's ring hash and Maglev), and the picker stays the same across calls of one key.
   */
  readonly hashed?: boolean;
  build(backends: readonly Backend[]): Picker;
  observe?(backend: Backend, latencyMs: number, verdict: Verdict, now: number): void;
}

/** True when `backend` is one of the endpoints already tried (compared by id: sets are rebuilt). */
export function isExcluded(backend: Backend, exclude: readonly Endpoint[] | undefined): boolean {
  if (exclude === undefined) return false;
  for (let i = 0; i < exclude.length; i++) {
    if (exclude[i]!.id === backend.id) return true;
  }
  return false;
}

/**
 * The slow path when random draws kept landing on tried endpoints (only when nearly all of a
 * small set was tried): the first untried one from `start`, or `backends[start]` if none is.
 */
export function firstUntried(
  backends: readonly Backend[],
  exclude: readonly Endpoint[] | undefined,
  start: number,
): Backend {
  const n = backends.length;
  for (let k = 0; k < n; k++) {
    const b = backends[(start + k) % n]!;
    if (!isExcluded(b, exclude)) return b;
  }
  return backends[start % n]!;
}
