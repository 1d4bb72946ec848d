import { describe, expect, it } from 'vitest';
import { serverTlsFromFiles } from './server-tls.js';

describe('serverTlsFromFiles()', () => {
  it('refuses an unknown option with CONFIG_INVALID naming it and the nearest valid one', () => {
    expect(() => serverTlsFromFiles({ certFile: 'c', keyFile: 'k', cafile: 'x' } as never)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/cafile is not an option of .*did you mean caFile\?/),
      }),
    );
  });
});
