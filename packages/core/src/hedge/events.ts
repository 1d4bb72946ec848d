declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A hedged attempt was started `delayMs` after the first. */
    'hedge.started': {
      readonly service: string;
      readonly operation: string;
      readonly attempt: number;
      readonly delayMs: number;
    };
    /** The call was answered by attempt `winner`; the others were cancelled. */
    'hedge.won': {
      readonly service: string;
      readonly operation: string;
      readonly winner: number;
      readonly attempts: number;
    };
  }
}

export {};
