import { CallContext } from '../../context/call-context.js';
import type { Endpoint } from '../../discovery/endpoint.js';
import { EventBus, type EventName, type OutriggerEvents } from '../../events/events.js';
import { ManualClock } from '../../time/manual-clock.js';
import type { LoadBalancerOptions } from '../options.js';
import { type LoadBalancerPolicy, loadBalancer } from '../policy.js';
import { seededRandom } from '../random.js';

export interface Behaviour {
  latencyMs: number;
  fail?: boolean;
}

export interface SimOptions
  extends Omit<LoadBalancerOptions, 'service' | 'clock' | 'random' | 'events'> {
  /** How each endpoint answers at time `now`. */
  behaviour(endpoint: Endpoint, now: number): Behaviour;
  seed?: number;
}

/**
 * A virtual-time load test of the real `loadBalancer` policy: no sockets, no sleeping. The
 * transport answers after the endpoint's latency on a `ManualClock`; calls arrive at a fixed
 * rate, one millisecond step at a time, so latencies are measured exactly.
 */
export class Simulation {
  readonly clock = new ManualClock(0);
  readonly events = new EventBus();
  readonly lb: LoadBalancerPolicy;
  readonly counts = new Map<string, number>();
  readonly log: { name: EventName; event: unknown; at: number }[] = [];
  succeeded = 0;
  failed = 0;
  started = 0;
  readonly #call: (req: number, ctx: CallContext) => Promise<string>;

  constructor(options: SimOptions) {
    const { behaviour, seed = 1, ...rest } = options;
    this.lb = loadBalancer({
      ...rest,
      service: 'sim',
      clock: this.clock,
      random: seededRandom(seed),
      events: this.events,
    });
    this.#call = this.lb((_req: number, ctx: CallContext) => {
      const endpoint = ctx.endpoint!;
      this.counts.set(endpoint.id, (this.counts.get(endpoint.id) ?? 0) + 1);
      const { latencyMs, fail } = behaviour(endpoint, this.clock.now());
      return new Promise<string>((resolve, reject) => {
        this.clock.setTimeout(
          () => (fail ? reject(new Error(`${endpoint.id} failed`)) : resolve(endpoint.id)),
          latencyMs,
        );
      });
    });
  }

  record(...names: EventName[]): this {
    for (const name of names) {
      this.events.on(name, (event: OutriggerEvents[typeof name]) =>
        this.log.push({ name, event, at: this.clock.now() }),
      );
    }
    return this;
  }

  /** One call, left running; its outcome is counted when it settles. */
  start(
    ctx: CallContext = CallContext.root({ clock: this.clock, service: 'sim' }),
  ): Promise<string> {
    this.started++;
    const call = this.#call(this.started, ctx);
    call.then(
      () => this.succeeded++,
      () => this.failed++,
    );
    return call;
  }

  /** `ms` milliseconds of `perMs` calls each, then `drainMs` more for the last ones to finish. */
  async run(ms: number, perMs = 1, drainMs = 0, ctx?: () => CallContext): Promise<void> {
    for (let t = 0; t < ms; t++) {
      for (let k = 0; k < perMs; k++) this.start(ctx?.());
      await this.step(1);
    }
    if (drainMs > 0) await this.step(drainMs);
  }

  /** Advances the clock a millisecond at a time, letting continuations run after each. */
  async step(ms: number): Promise<void> {
    for (let t = 0; t < ms; t++) {
      this.clock.advance(1);
      for (let i = 0; i < 12; i++) await Promise.resolve();
    }
  }

  share(id: string): number {
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return (this.counts.get(id) ?? 0) / total;
  }

  resetCounts(): void {
    this.counts.clear();
  }
}
