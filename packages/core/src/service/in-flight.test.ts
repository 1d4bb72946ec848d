import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('closes at once when idle, and after the last call when busy, releasing once', async () => {
    const idle = new InFlight();
    let released = 0;
    await idle.close(() => {
      released++;
    });
    expect(released).toBe(1);
    expect(idle.closing).toBe(true);

    const busy = new InFlight();
    busy.enter();
    busy.enter();
    let done = false;
    const closing = busy.close(() => {
      released++;
    });
    const again = busy.close(() => {
      released += 100;
    });
    void closing.then(() => (done = true));
    busy.leave();
    await Promise.resolve();
    expect(done).toBe(false);
    busy.leave();
    await closing;
    await again;
    expect(done).toBe(true);
    expect(released).toBe(2);
    expect(busy.count).toBe(0);
  });
});
