/** What `Guard.admit` returns when admission has to wait (a queue, a token, a first endpoint set). */
export const WAIT: unique symbol = Symbol('outrigger.guard.wait');
