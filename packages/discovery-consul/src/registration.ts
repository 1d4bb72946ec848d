import type { TimerHandle } from '@outrigger/core';
import { acquireAgent } from './agent-registry.js';
import { ConsulError } from './consul-error.js';
import type { ConsulHttp } from './consul-http.js';
import {
  type CheckedRegistration,
  type ConsulRegistrationOptions,
  checkRegistrationOptions,
} from './registration-options.js';

export interface ConsulRegistration {
  readonly serviceId: string;
  readonly checkId: string;
  /**
   * Takes the instance out of rotation without deregistering it: a TTL check is failed, any
   * other check is overridden by service maintenance mode. Heartbeats stop.
   */
  drain(reason?: string): Promise<void>;
  /** Drains, waits `drainMs`, deregisters, and removes the signal handlers. Idempotent. */
  close(): Promise<void>;
}

/**
 * The sidekick for the service's own instance (SmartStack's nerve): registers it with the
 * local agent, keeps a TTL check passing while the process lives (re-registering if the agent
 * forgot it), and on `close()` or a configured signal drains, then deregisters. Resolves once
 * the agent has accepted the registration; throws `CONFIG_INVALID` for a bad option.
 */
export async function registerWithConsul(
  options: ConsulRegistrationOptions,
): Promise<ConsulRegistration> {
  const o = checkRegistrationOptions(options);
  const { http, release } = acquireAgent(o.agent);
  const registration = new Registration(o, http, release);
  try {
    await registration.register();
  } catch (error) {
    await release();
    throw error;
  }
  registration.start();
  return registration;
}

/** Shutdowns started by a signal and not finished, across every registration in the process. */
const signalShutdowns = new Set<Promise<void>>();

class Registration implements ConsulRegistration {
  readonly serviceId: string;
  readonly checkId: string;
  readonly #o: CheckedRegistration;
  readonly #http: ConsulHttp;
  readonly #release: () => Promise<void>;
  readonly #signalHandlers = new Map<NodeJS.Signals, () => void>();
  #timer: TimerHandle | undefined;
  #draining = false;
  #closing: Promise<void> | undefined;

  constructor(o: CheckedRegistration, http: ConsulHttp, release: () => Promise<void>) {
    this.#o = o;
    this.#http = http;
    this.#release = release;
    this.serviceId = o.id;
    this.checkId = `service:${o.id}`;
  }

  #scope() {
    return { ns: this.#o.namespace, partition: this.#o.partition };
  }

  async register(): Promise<void> {
    await this.#http.request({
      method: 'PUT',
      path: '/v1/agent/service/register',
      query: { 'replace-existing-checks': 'true', ...this.#scope() },
      body: JSON.stringify(this.#definition()),
    });
  }

  #definition(): Record<string, unknown> {
    const o = this.#o;
    const check: Record<string, unknown> = { CheckID: this.checkId, Name: `${o.name} instance` };
    if (o.check.kind === 'ttl') {
      check.TTL = `${o.check.ttlMs}ms`;
      // Registered alive: the process registering is the proof, and the first heartbeat follows.
      check.Status = 'passing';
    } else {
      if (o.check.kind === 'http') check.HTTP = o.check.http;
      else {
        check.GRPC = o.check.grpc;
        check.GRPCUseTLS = o.check.tls;
      }
      check.Interval = `${o.check.intervalMs}ms`;
      if (o.check.timeoutMs !== undefined) check.Timeout = `${o.check.timeoutMs}ms`;
    }
    if (o.deregisterCriticalAfterMs !== false) {
      check.DeregisterCriticalServiceAfter = `${o.deregisterCriticalAfterMs}ms`;
    }
    const service: Record<string, unknown> = {
      ID: o.id,
      Name: o.name,
      Port: o.port,
      Tags: o.tags,
      Meta: o.meta,
      Check: check,
    };
    if (o.address !== undefined) service.Address = o.address;
    if (o.weights) service.Weights = { Passing: o.weights.passing, Warning: o.weights.warning };
    if (o.namespace) service.Namespace = o.namespace;
    if (o.partition) service.Partition = o.partition;
    return service;
  }

  start(): void {
    if (this.#o.check.kind === 'ttl') this.#schedule(this.#o.check.heartbeatMs);
    for (const signal of this.#o.signals) {
      const handler = () => void this.#onSignal(signal);
      this.#signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  #schedule(ms: number): void {
    // Unref'd: the registration follows the process's life, it must not prolong it.
    const timer = this.#o.clock.setTimeout(() => void this.#heartbeat(), ms);
    (timer as { unref?(): unknown }).unref?.();
    this.#timer = timer;
  }

  async #heartbeat(): Promise<void> {
    this.#timer = undefined;
    if (this.#draining || this.#o.check.kind !== 'ttl') return;
    try {
      await this.#http.request({
        method: 'PUT',
        path: `/v1/agent/check/pass/${encodeURIComponent(this.checkId)}`,
        query: { note: 'heartbeat', ...this.#scope() },
      });
    } catch (error) {
      if (this.#draining) return;
      // An agent that restarted without its state no longer knows the check (404, or 500
      // "does not have associated TTL" on older versions): register again, as nerve does.
      const forgotten =
        error instanceof ConsulError &&
        (error.status === 404 ||
          (error.status === 500 && /TTL|unknown check/i.test(error.message)));
      if (forgotten) {
        await this.register().catch((again: unknown) => this.#o.onError(again));
      } else {
        this.#o.onError(error);
      }
    }
    if (!this.#draining) this.#schedule(this.#o.check.heartbeatMs);
  }

  async drain(reason = 'draining before shutdown'): Promise<void> {
    this.#draining = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#o.check.kind === 'ttl') {
      await this.#http.request({
        method: 'PUT',
        path: `/v1/agent/check/fail/${encodeURIComponent(this.checkId)}`,
        query: { note: reason, ...this.#scope() },
      });
    } else {
      await this.#http.request({
        method: 'PUT',
        path: `/v1/agent/service/maintenance/${encodeURIComponent(this.serviceId)}`,
        query: { enable: 'true', reason, ...this.#scope() },
      });
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
    this.#signalHandlers.clear();
    try {
      // A failed drain must not stop the deregistration that follows it.
      await this.drain().catch((error: unknown) => this.#o.onError(error));
      if (this.#o.drainMs > 0) {
        await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, this.#o.drainMs));
      }
      await this.#http.request({
        method: 'PUT',
        path: `/v1/agent/service/deregister/${encodeURIComponent(this.serviceId)}`,
        query: this.#scope(),
      });
    } finally {
      await this.#release();
    }
  }

  async #onSignal(signal: NodeJS.Signals): Promise<void> {
    // Every registration's handler runs (synchronously) on the same signal: each adds its
    // shutdown before any finishes, and only the last to finish gives the signal back.
    const closing = this.close().catch((error: unknown) => this.#o.onError(error));
    signalShutdowns.add(closing);
    await closing;
    signalShutdowns.delete(closing);
    // Our handler took the signal's default action away; give it back unless the application
    // listens for the signal itself (then exiting is its call).
    if (signalShutdowns.size === 0 && process.listenerCount(signal) === 0) {
      process.kill(process.pid, signal);
    }
  }
}
