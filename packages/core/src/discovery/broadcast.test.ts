import { describe, expect, it, vi } from 'vitest';
import { EndpointBroadcast } from './broadcast.js';
import { endpoint } from './endpoint.js';

describe('EndpointBroadcast', () => {
  it('keeps serving the other listeners when one throws, and turns the throw into a warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const broadcast = new EndpointBroadcast();
    const got: number[] = [];
    broadcast.subscribe({
      onEndpoints: () => {
        throw new Error('broken subscriber');
      },
      onError: () => {
        throw new Error('broken too');
      },
    });
    broadcast.subscribe({ onEndpoints: (e) => got.push(e.length), onError: () => got.push(-1) });
    broadcast.publish([endpoint({ host: 'a', port: 1 })]);
    broadcast.fail(new Error('source down'));
    expect(got).toEqual([1, -1]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /discovery listener threw: Error: broken subscriber/,
    );
    expect(broadcast.endpoints).toHaveLength(1);
  });

  it('tells a late subscriber the last good set at once, and nobody about a set that did not change', () => {
    const broadcast = new EndpointBroadcast();
    expect(broadcast.publish([endpoint({ host: 'a', port: 1, weight: 2 })])).toBe(true);
    const got: number[] = [];
    broadcast.subscribe({ onEndpoints: (e) => got.push(e[0]!.weight) });
    expect(broadcast.publish([endpoint({ host: 'a', port: 1, weight: 2 })])).toBe(false);
    expect(broadcast.publish([endpoint({ host: 'a', port: 1, weight: 3 })])).toBe(true);
    expect(got).toEqual([2, 3]);
  });

  it('tells a new subscriber the last error while no set has come, and forgets it with the first set', () => {
    const broadcast = new EndpointBroadcast();
    const down = new Error('source down');
    broadcast.fail(down);
    const early: unknown[] = [];
    broadcast.subscribe({ onEndpoints: () => early.push('set'), onError: (e) => early.push(e) });
    expect(early).toEqual([down]);
    broadcast.publish([endpoint({ host: 'a', port: 1 })]);
    broadcast.fail(new Error('down again'));
    const late: unknown[] = [];
    broadcast.subscribe({ onEndpoints: () => late.push('set'), onError: (e) => late.push(e) });
    // The last good set stays in force: a late subscriber gets it, not the error.
    expect(late).toEqual(['set']);
  });
});
