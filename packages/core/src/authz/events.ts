/** One inbound authorization decision (`authz.allowed` / `authz.denied`). */
export interface AuthzDecisionEvent {
  readonly protocol: 'http' | 'grpc';
  /** What was asked for: `GET /charges/42` (no query string), `/pkg.Service/Method`. */
  readonly target: string;
  /** The rule that decided (its `name`, or `rules[i]`), or `default`. */
  readonly rule: string;
  /** The caller's identities from its verified certificate; empty without one. */
  readonly identities: readonly string[];
  /**
   * `allowed`: listed by the rule; `not-listed`: a rule matched but does not list the caller;
   * `no-identity`: no verified client certificate; `default`: no rule matched (the decision is
   * the `default` option's);
   * `non-canonical-path`: an HTTP path with dot segments or encoded slashes, refused before any
   * rule is tried (a router could resolve it differently from the rule).
   */
  readonly reason: 'allowed' | 'not-listed' | 'no-identity' | 'default' | 'non-canonical-path';
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'authz.allowed': AuthzDecisionEvent;
    'authz.denied': AuthzDecisionEvent;
  }
}
