import { describe, expect, it } from 'vitest';
import { checkTls } from './tls-options.js';

describe('tls files options', () => {
  it('refuses a file and its PEM form together, reload without files, and a reload out of range', () => {
    expect(() => checkTls('svc:', { caFile: '/x/ca.crt', ca: 'PEM' })).toThrow(
      /tls\.caFile.*tls\.caFile or tls\.ca, not both/,
    );
    expect(() => checkTls('svc:', { reload: { intervalMs: 100 } })).toThrow(
      /tls\.reload.*only with tls\.caFile or tls\.certFile/,
    );
    expect(() => checkTls('svc:', { caFile: '/x/ca.crt', reload: { intervalMs: 1 } })).toThrow(
      /tls\.reload.*from 10 to 3600000/,
    );
    expect(() => checkTls('svc:', { certFile: '/x/tls.crt' })).toThrow(/tls\.keyFile/);
    expect(() => checkTls('svc:', { caFile: '' })).toThrow(/tls\.caFile.*a path/);
  });

  it('reads the files at creation, naming the missing one', () => {
    expect(() => checkTls('svc:', { caFile: '/nonexistent/ca.crt' })).toThrow(
      /svc: tls\.caFile.*nonexistent\/ca\.crt/,
    );
  });
});
