import { describe, expect, it } from 'vitest';
import { checkTlsFileOptions } from './file-options.js';

describe('checkTlsFileOptions()', () => {
  it('refuses a reload value JSON cannot show (a BigInt) with CONFIG_INVALID, not a TypeError', () => {
    // The property tests' counterexample: { cert, key, reload: { '': 0n } }.
    expect(() =>
      checkTlsFileOptions('client', { certFile: 'c', keyFile: 'k', reload: { '': 0n } }, false),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', setting: 'client tls.reload' }));
  });
});
