import { describe, expect, it } from 'vitest';
import { serverCredentialsFromFiles } from './server-tls.js';

describe('serverCredentialsFromFiles()', () => {
  it('refuses an unknown option with CONFIG_INVALID naming it and the nearest valid one', () => {
    expect(() =>
      serverCredentialsFromFiles({ certFile: 'c', keyFile: 'k', keyfile: 'x' } as never),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/keyfile is not an option of .*did you mean keyFile\?/),
      }),
    );
  });
});
