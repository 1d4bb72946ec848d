declare module '../events/events.js' {
  interface OutriggerEvents {
    /**
     * Too few of a subset's endpoints are healthy (below `panicThresholdPercent`): it balances
     * over all of them, ejected ones included, rather than crush the few that are left.
     */
    'balancer.panic_entered': {
      readonly service: string;
      /** The subset's selector (`version=v2`), or `*` for every endpoint. */
      readonly subset: string;
      readonly healthy: number;
      readonly total: number;
    };
    'balancer.panic_exited': {
      readonly service: string;
      readonly subset: string;
      readonly healthy: number;
      readonly total: number;
    };
  }
}

export {};
