import { type Counter, type MeterProvider, metrics } from '@opentelemetry/api';
import { ConfigInvalidError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { AuthzDecisionEvent } from './events.js';

/** What every rule has, whatever it matches on (HTTP path and method, gRPC method). */
export interface AuthorizationRuleBase {
  /** Names the rule in events and in the metric; default `rules[<index>]`. */
  readonly name?: string | undefined;
  /**
   * Callers this rule admits, by their verified certificate's SANs: a SPIFFE ID or other URI
   * (`spiffe://td/ns/shop/sa/checkout`), `dns:<name>`, `ip:<address>`; a trailing `*` makes a
   * prefix (`spiffe://td/ns/shop/*`); `*` alone admits any caller with a verified certificate.
   * An empty list admits nobody.
   */
  readonly allow: readonly string[];
}

/** Options shared by the HTTP and gRPC authorization helpers. */
export interface AuthorizationOptionsBase<Rule extends AuthorizationRuleBase> {
  /** Tried in order; the first that matches the request decides. */
  readonly rules: readonly Rule[];
  /** For a request no rule matches. Default `deny`. */
  readonly default?: 'deny' | 'allow' | undefined;
  /** Where `authz.allowed` / `authz.denied` go (a client's `events`, or a bus of your own). */
  readonly events?: EventBus | undefined;
  /** Default: the global one from `@opentelemetry/api`. */
  readonly meterProvider?: MeterProvider | undefined;
}

export const AUTHZ_METRIC = 'outrigger.server.authz.decisions';

/** An allow list entry, compiled. */
type Matcher = (identity: string) => boolean;

function compile(where: string, entry: unknown): Matcher {
  if (typeof entry !== 'string' || entry === '') {
    throw new ConfigInvalidError({
      setting: where,
      value: entry,
      expected: 'a SPIFFE ID or URI, dns:<name>, ip:<address>, a prefix ending in *, or *',
    });
  }
  if (entry === '*') return () => true;
  const lower = entry.startsWith('dns:') ? entry.toLowerCase() : entry;
  if (
    !lower.startsWith('dns:') &&
    !lower.startsWith('ip:') &&
    !/^[a-z][a-z0-9+.-]*:/i.test(lower)
  ) {
    throw new ConfigInvalidError({
      setting: where,
      value: entry,
      expected: 'a SPIFFE ID or URI, dns:<name>, ip:<address>, a prefix ending in *, or *',
      hint: `A bare name matches nothing: did you mean dns:${entry}?`,
    });
  }
  if (lower.endsWith('*')) {
    const prefix = lower.slice(0, -1);
    return (identity) => identity.startsWith(prefix);
  }
  return (identity) => identity === lower;
}

/**
 * The decision and its reporting, shared by the protocol helpers, which find the rule that
 * matches and the caller's identities. Checked once at creation (names the bad entry), not per
 * request.
 */
export class Authorizer {
  readonly #protocol: 'http' | 'grpc';
  readonly #names: readonly string[];
  readonly #allow: readonly (readonly Matcher[])[];
  readonly #defaultAllow: boolean;
  readonly #events: EventBus | undefined;
  readonly #meterProvider: MeterProvider | undefined;
  #counterFrom: MeterProvider | undefined;
  #counter: Counter | undefined;

  constructor(
    where: string,
    protocol: 'http' | 'grpc',
    options: AuthorizationOptionsBase<AuthorizationRuleBase>,
  ) {
    if (typeof options !== 'object' || options === null || !Array.isArray(options.rules)) {
      throw new ConfigInvalidError({
        setting: `${where} rules`,
        value: typeof options === 'object' && options !== null ? options.rules : options,
        expected: 'an options object with a rules array',
      });
    }
    const fallback = options.default ?? 'deny';
    if (fallback !== 'deny' && fallback !== 'allow') {
      throw new ConfigInvalidError({
        setting: `${where} default`,
        value: fallback,
        expected: '"deny" or "allow"',
      });
    }
    this.#protocol = protocol;
    this.#defaultAllow = fallback === 'allow';
    this.#names = options.rules.map((rule, i) =>
      typeof rule?.name === 'string' && rule.name !== '' ? rule.name : `rules[${i}]`,
    );
    this.#allow = options.rules.map((rule, i) => {
      if (!Array.isArray(rule?.allow)) {
        throw new ConfigInvalidError({
          setting: `${where} rules[${i}].allow`,
          value: rule?.allow,
          expected: 'an array of identities (an empty one admits nobody)',
        });
      }
      return (rule.allow as readonly unknown[]).map((entry, j) =>
        compile(`${where} rules[${i}].allow[${j}]`, entry),
      );
    });
    this.#events = options.events;
    this.#meterProvider = options.meterProvider;
  }

  /**
   * Decides for the rule at `ruleIndex` (-1: none matched) and reports the decision. `target`
   * is only built when someone listens.
   */
  decide(ruleIndex: number, identities: readonly string[], target: () => string): boolean {
    let reason: AuthzDecisionEvent['reason'];
    let allowed: boolean;
    if (ruleIndex < 0) {
      reason = 'default';
      allowed = this.#defaultAllow;
    } else if (identities.length === 0) {
      reason = 'no-identity';
      allowed = false;
    } else {
      const allow = this.#allow[ruleIndex]!;
      allowed = identities.some((id) => allow.some((m) => m(id)));
      reason = allowed ? 'allowed' : 'not-listed';
    }
    const rule = ruleIndex < 0 ? 'default' : this.#names[ruleIndex]!;
    this.report(allowed, rule, reason, identities, target);
    return allowed;
  }

  /** Reports a decision taken before any rule (a non-canonical path). */
  report(
    allowed: boolean,
    rule: string,
    reason: AuthzDecisionEvent['reason'],
    identities: readonly string[],
    target: () => string,
  ): void {
    this.#count(allowed, rule, reason);
    const name = allowed ? 'authz.allowed' : 'authz.denied';
    if (this.#events?.has(name)) {
      this.#events.emit(name, {
        protocol: this.#protocol,
        target: target(),
        rule,
        identities,
        reason,
      });
    }
  }

  /**
   * The counter from the provider in force now: the global provider has no proxy, so a helper
   * made before the application registered its SDK would otherwise count into a no-op forever.
   */
  #count(allowed: boolean, rule: string, reason: string): void {
    const provider = this.#meterProvider ?? metrics.getMeterProvider();
    if (provider !== this.#counterFrom || this.#counter === undefined) {
      this.#counterFrom = provider;
      this.#counter = provider.getMeter('@outrigger/core', '0.1.0').createCounter(AUTHZ_METRIC, {
        description:
          'Inbound authorization decisions by peer identity, by decision, rule and reason',
        unit: '{decision}',
      });
    }
    this.#counter.add(1, {
      'outrigger.authz.decision': allowed ? 'allow' : 'deny',
      'outrigger.authz.rule': rule,
      'outrigger.authz.reason': reason,
      'outrigger.authz.protocol': this.#protocol,
    });
  }
}
