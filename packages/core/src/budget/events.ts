declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A retry, requeue or hedge was refused because the shared budget is spent. */
    'budget.exhausted': {
      readonly service: string;
      readonly operation: string;
      readonly purpose: 'retry' | 'requeue' | 'hedge';
    };
  }
}

export {};
