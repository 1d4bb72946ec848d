import { hostname } from 'node:os';
import { type Clock, systemClock } from '@outrigger/core';
import { bad, type ConsulAgentOptions, type ResolvedAgent, resolveAgent } from './agent-options.js';

/** A TTL check the helper keeps passing while the process lives (the default, `{ ttlMs: 15_000 }`). */
export interface ConsulTtlCheck {
  ttlMs: number;
  /** How often the helper reports passing. Default a third of `ttlMs`. */
  heartbeatMs?: number | undefined;
}
/** An HTTP check the agent runs against the service (`http://127.0.0.1:8080/health`). */
export interface ConsulHttpCheck {
  http: string;
  intervalMs: number;
  timeoutMs?: number | undefined;
}
/** A gRPC health check the agent runs (`127.0.0.1:9090` or `127.0.0.1:9090/my.Service`). */
export interface ConsulGrpcCheck {
  grpc: string;
  grpcUseTls?: boolean | undefined;
  intervalMs: number;
  timeoutMs?: number | undefined;
}
export type ConsulCheck = ConsulTtlCheck | ConsulHttpCheck | ConsulGrpcCheck;

export interface ConsulRegistrationOptions extends ConsulAgentOptions {
  /** The Consul service name others discover. */
  name: string;
  /** Unique on the agent. Default `<name>-<hostname>-<port>`. */
  id?: string | undefined;
  /** The instance's own IP or hostname. Default: none, so consumers use the node's address. (The agent's is `agentAddress`.) */
  address?: string | undefined;
  port: number;
  tags?: readonly string[] | undefined;
  /** `Service.Meta`: what routes split by (`{ version: 'v2' }`). */
  meta?: Readonly<Record<string, string>> | undefined;
  weights?: { passing: number; warning: number } | undefined;
  /** Default `{ ttlMs: 15_000 }`. */
  check?: ConsulCheck | undefined;
  /** The agent reaps the instance after its check has been critical this long (Consul's minimum is 1 minute). Default 60,000; `false` never. */
  deregisterCriticalAfterMs?: number | false | undefined;
  namespace?: string | undefined;
  partition?: string | undefined;
  /** On close or a signal: time between marking the instance critical and deregistering it, so consumers stop sending first. Default 3,000. */
  drainMs?: number | undefined;
  /** Drain and deregister on these signals, then let the signal take its course. `true` is SIGTERM and SIGINT. Default false. */
  signals?: boolean | readonly ('SIGTERM' | 'SIGINT' | 'SIGHUP')[] | undefined;
  /** Failed heartbeats and re-registrations. Default: a process warning. */
  onError?: ((error: unknown) => void) | undefined;
  clock?: Clock | undefined;
}

export type CheckedCheck =
  | { kind: 'ttl'; ttlMs: number; heartbeatMs: number }
  | { kind: 'http'; http: string; intervalMs: number; timeoutMs: number | undefined }
  | { kind: 'grpc'; grpc: string; tls: boolean; intervalMs: number; timeoutMs: number | undefined };

export interface CheckedRegistration {
  readonly agent: ResolvedAgent;
  readonly name: string;
  readonly id: string;
  readonly address: string | undefined;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly weights: { passing: number; warning: number } | undefined;
  readonly check: CheckedCheck;
  readonly deregisterCriticalAfterMs: number | false;
  readonly namespace: string | undefined;
  readonly partition: string | undefined;
  readonly drainMs: number;
  readonly signals: readonly NodeJS.Signals[];
  readonly onError: (error: unknown) => void;
  readonly clock: Clock;
}

const OWNER = 'registerWithConsul';

export function checkRegistrationOptions(options: ConsulRegistrationOptions): CheckedRegistration {
  if (typeof options !== 'object' || options === null) bad(OWNER, options, 'an options object');
  const at = (key: string) => `${OWNER} ${key}`;
  const text = (key: string, value: unknown, required = false) => {
    if ((required || value !== undefined) && (typeof value !== 'string' || value.trim() === '')) {
      bad(at(key), value, 'a non-empty string');
    }
    return value as string | undefined;
  };
  const ms = (key: string, value: unknown, min: number, max: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      bad(at(key), value, `an integer from ${min} to ${max} (milliseconds)`);
    }
    return value as number;
  };
  const name = text('name', options.name, true)!;
  const { port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    bad(at('port'), port, 'an integer from 1 to 65535');
  const tags = options.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t === '')) {
    bad(at('tags'), tags, 'a list of non-empty strings');
  }
  const meta = options.meta ?? {};
  if (typeof meta !== 'object' || Object.values(meta).some((v) => typeof v !== 'string')) {
    bad(at('meta'), meta, 'an object of string values');
  }
  const weights = options.weights;
  if (
    weights !== undefined &&
    (!Number.isInteger(weights.passing) ||
      weights.passing < 1 ||
      !Number.isInteger(weights.warning) ||
      weights.warning < 0)
  ) {
    bad(at('weights'), JSON.stringify(weights), '{ passing: integer ≥ 1, warning: integer ≥ 0 }');
  }
  const deregister = options.deregisterCriticalAfterMs ?? 60_000;
  if (deregister !== false) ms('deregisterCriticalAfterMs', deregister, 1, 31_536_000_000);
  const signals =
    options.signals === true
      ? (['SIGTERM', 'SIGINT'] as const)
      : options.signals === false || options.signals === undefined
        ? []
        : options.signals;
  if (
    !Array.isArray(signals) ||
    signals.some((s) => !['SIGTERM', 'SIGINT', 'SIGHUP'].includes(s))
  ) {
    bad(at('signals'), options.signals, "true, false or a list of 'SIGTERM', 'SIGINT', 'SIGHUP'");
  }
  return {
    agent: resolveAgent(options, OWNER),
    name,
    id: text('id', options.id) ?? `${name}-${hostname()}-${port}`,
    address: serviceAddress(options.address, at),
    port,
    tags,
    meta,
    weights,
    check: checkCheck(options.check ?? { ttlMs: 15_000 }, at, ms),
    deregisterCriticalAfterMs: deregister,
    namespace: text('namespace', options.namespace),
    partition: text('partition', options.partition),
    drainMs: ms('drainMs', options.drainMs ?? 3_000, 0, 600_000),
    signals,
    onError:
      options.onError ??
      ((error) =>
        process.emitWarning(
          `Consul registration: ${error instanceof Error ? error.message : String(error)}`,
          {
            code: 'OUTRIGGER_CONSUL_REGISTRATION',
          },
        )),
    clock: options.clock ?? systemClock,
  };
}

function checkCheck(
  check: ConsulCheck,
  at: (key: string) => string,
  ms: (key: string, value: unknown, min: number, max: number) => number,
): CheckedCheck {
  const c = check as Partial<ConsulTtlCheck & ConsulHttpCheck & ConsulGrpcCheck>;
  const kinds = ['ttlMs', 'http', 'grpc'].filter((k) => c[k as keyof typeof c] !== undefined);
  if (typeof check !== 'object' || check === null || kinds.length !== 1) {
    bad(
      at('check'),
      JSON.stringify(check),
      'exactly one of { ttlMs }, { http, intervalMs } or { grpc, intervalMs }',
    );
  }
  if (c.ttlMs !== undefined) {
    const ttlMs = ms('check.ttlMs', c.ttlMs, 1_000, 86_400_000);
    const heartbeatMs = ms(
      'check.heartbeatMs',
      c.heartbeatMs ?? Math.floor(ttlMs / 3),
      100,
      ttlMs - 1,
    );
    return { kind: 'ttl', ttlMs, heartbeatMs };
  }
  const intervalMs = ms('check.intervalMs', c.intervalMs, 100, 86_400_000);
  const timeoutMs =
    c.timeoutMs === undefined ? undefined : ms('check.timeoutMs', c.timeoutMs, 1, 86_400_000);
  if (c.http !== undefined) {
    if (typeof c.http !== 'string' || !/^https?:\/\/\S+$/.test(c.http))
      bad(at('check.http'), c.http, 'an http:// or https:// URL');
    return { kind: 'http', http: c.http, intervalMs, timeoutMs };
  }
  if (typeof c.grpc !== 'string' || !/^\S+:\d+(\/\S*)?$/.test(c.grpc))
    bad(at('check.grpc'), c.grpc, 'host:port or host:port/service');
  return {
    kind: 'grpc',
    grpc: c.grpc as string,
    tls: c.grpcUseTls ?? false,
    intervalMs,
    timeoutMs,
  };
}

function serviceAddress(value: unknown, at: (key: string) => string): string | undefined {
  if (value === undefined) return undefined;
  // A URL here is almost always the agent's address put in the wrong option.
  if (typeof value !== 'string' || value.trim() === '' || /[/\s]/.test(value)) {
    bad(
      at('address'),
      value,
      "the instance's own IP or hostname (the Consul agent's URL goes in agentAddress)",
    );
  }
  return value as string;
}
