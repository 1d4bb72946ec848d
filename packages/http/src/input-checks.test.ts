import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigInvalidError, OutriggerError } from '@outrigger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { type HttpClientOptions, resolveTransport } from './options.js';

/** The CONFIG_INVALID error `fn` throws; fails the test on anything else (a TypeError too). */
function refusal(fn: () => unknown): ConfigInvalidError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OutriggerError);
    expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
    return error as ConfigInvalidError;
  }
  throw new Error('expected CONFIG_INVALID, but nothing was thrown');
}

const transport = (extra: Partial<HttpClientOptions>) =>
  resolveTransport({ service: 'p', ...extra }, undefined);

describe('createHttpClient refuses what is not options', () => {
  for (const options of [null, undefined, 'payments', 42, []]) {
    it(`createHttpClient(${JSON.stringify(options) ?? 'undefined'}) is CONFIG_INVALID`, () => {
      const error = refusal(() => createHttpClient(options as never));
      expect(error.setting).toBe('options');
      expect(error.message).toMatch(
        /^options=.* is not valid: expected an options object with at least \{ service \}$/,
      );
    });
  }

  it('refuses a service name that is not 1 to 63 letters, digits, ., - or _', () => {
    for (const service of ['a/b', 'a b']) {
      const error = refusal(() => createHttpClient({ service, discovery: ['127.0.0.1:1'] }));
      expect(error.message).toContain(`option service="${service}" is not valid`);
      expect(error.message).toMatch(/1 to 63 letters, digits, '\.', '-' or '_'/);
    }
  });
});

describe('transport numbers have an upper bound', () => {
  const cases: [keyof HttpClientOptions, number, string][] = [
    ['connections', 1e300, 'an integer from 1 to 10000'],
    ['connections', 10_001, 'an integer from 1 to 10000'],
    ['keepAliveTimeoutMs', 1e300, 'an integer from 1 to 600000'],
    ['maxReplayBytes', 1e300, 'an integer from 0 to 67108864'],
    ['maxReplayBytes', 64 * 1024 * 1024 + 1, 'an integer from 0 to 67108864'],
    ['pipelining', 1e9, 'an integer from 0 to 100'],
    ['connectTimeoutMs', 2 ** 31, 'an integer from 1 to 3600000'],
  ];
  for (const [name, value, expected] of cases) {
    it(`${name}: ${value}`, () => {
      const error = refusal(() => transport({ [name]: value }));
      expect(error.setting).toBe(`p: option ${name}`);
      expect(error.message).toBe(`p: option ${name}=${value} is not valid: expected ${expected}`);
    });
  }

  it('takes the bounds themselves', () => {
    const s = transport({
      connections: 10_000,
      keepAliveTimeoutMs: 600_000,
      maxReplayBytes: 64 * 1024 * 1024,
      pipelining: 100,
    });
    expect([s.connections, s.keepAliveTimeoutMs, s.maxReplayBytes, s.pipelining]).toEqual([
      10_000,
      600_000,
      64 * 1024 * 1024,
      100,
    ]);
  });
});

describe('TLS material is checked at creation', () => {
  let dir: string;
  const pem: Record<string, string> = {};
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-tls-options-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    for (const name of ['a', 'b']) {
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
      );
      ssl('x509', '-in', `${name}.crt`, '-outform', 'DER', '-out', `${name}.der`);
      for (const ext of ['key', 'crt']) {
        pem[`${name}.${ext}`] = readFileSync(join(dir, `${name}.${ext}`), 'utf8');
      }
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a ca that is not PEM text, naming the option, the value and the form', () => {
    const five = refusal(() => transport({ tls: { ca: 5 as never } }));
    expect(five.message).toMatch(/^p: option tls\.ca=5 is not valid: expected PEM text/);
    const text = refusal(() => transport({ tls: { ca: 'not a pem' } }));
    expect(text.message).toMatch(
      /^p: option tls\.ca="not a pem" is not valid: expected PEM text \(a string or Buffer holding "-----BEGIN CERTIFICATE-----" blocks\), or an array of them\. Pass the file contents/,
    );
  });

  it('refuses a DER Buffer (Node would ignore it silently), a broken block and a bad array', () => {
    const der = readFileSync(join(dir, 'a.der'));
    expect(refusal(() => transport({ tls: { ca: der } })).message).toMatch(
      /tls\.ca="\(a \d+-byte Buffer\)" is not valid/,
    );
    const broken = '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n';
    expect(refusal(() => transport({ tls: { ca: broken } })).message).toMatch(
      /Certificate block 1 does not parse/,
    );
    expect(refusal(() => transport({ tls: { ca: [] } })).setting).toBe('p: option tls.ca');
    expect(refusal(() => transport({ tls: { ca: [pem['a.crt']!, 7 as never] } })).setting).toBe(
      'p: option tls.ca[1]',
    );
  });

  it('refuses a key that is not one, or not the certificate’s, without showing the key', () => {
    const wrong = refusal(() => transport({ tls: { cert: pem['a.crt']!, key: pem['b.key']! } }));
    expect(wrong.message).toMatch(/tls\.key=.* expected the private key of tls\.cert \(CN=a\)/);
    expect(wrong.message).not.toContain('PRIVATE KEY-----\n');
    const notKey = refusal(() => transport({ tls: { cert: pem['a.crt']!, key: 'secret-ish' } }));
    expect(notKey.message).not.toContain('secret-ish');
    expect(notKey.message).toMatch(/expected an unencrypted private key in PEM/);
    expect(
      refusal(() => transport({ tls: { cert: 5 as never, key: pem['a.key']! } })).setting,
    ).toBe('p: option tls.cert');
  });

  it('refuses unknown keys and wrong types for the rest', () => {
    expect(
      refusal(() => transport({ tls: { rejectUnauthorised: false } as never })).message,
    ).toMatch(/tls\.rejectUnauthorised.*Did you mean tls\.rejectUnauthorized\?/);
    expect(refusal(() => transport({ tls: { rejectUnauthorized: 'no' as never } })).setting).toBe(
      'p: option tls.rejectUnauthorized',
    );
    expect(refusal(() => transport({ tls: { servername: 5 as never } })).setting).toBe(
      'p: option tls.servername',
    );
    expect(refusal(() => transport({ tls: 'on' as never })).setting).toBe('p: option tls');
  });

  it('accepts PEM strings and Buffers, alone or in arrays, and a matching pair', () => {
    const both = `${pem['a.crt']}${pem['b.crt']}`;
    for (const ca of [
      pem['a.crt']!,
      Buffer.from(both),
      [pem['a.crt']!, Buffer.from(pem['b.crt']!)],
    ]) {
      expect(transport({ tls: { ca } }).tls?.ca).toBe(ca);
    }
    const pair = { cert: pem['a.crt']!, key: Buffer.from(pem['a.key']!) };
    expect(transport({ tls: pair }).tls).toEqual(pair);
  });
});

describe('deadlineHeader cannot name a header with a meaning of its own', () => {
  const reserved: [string, RegExp][] = [
    ['authorization', /a credential header/],
    ['Cookie', /a credential header/],
    ['set-cookie', /a credential header/],
    ['proxy-authorization', /a hop-by-hop header|a credential header/],
    ['www-authenticate', /a credential header/],
    ['host', /a framing or routing header/],
    ['content-length', /a framing or routing header/],
    ['content-type', /a framing or routing header/],
    ['expect', /a framing or routing header/],
    ['connection', /a hop-by-hop header/],
    ['keep-alive', /a hop-by-hop header/],
    ['TE', /a hop-by-hop header/],
    ['transfer-encoding', /a hop-by-hop header/],
    ['upgrade', /a hop-by-hop header/],
    ['if-none-match', /a conditional request header/],
    ['traceparent', /a meaning of its own/],
    ['idempotency-key', /a meaning of its own/],
    ['proxy-foo', /meant for proxies/],
    [':path', /an HTTP\/2 pseudo-header/],
    [':authority', /an HTTP\/2 pseudo-header/],
  ];
  for (const [header, why] of reserved) {
    it(`refuses ${header}, saying why and what to use instead`, () => {
      const error = refusal(() => transport({ deadlineHeader: header }));
      expect(error.setting).toBe('p: option deadlineHeader');
      expect(error.message).toContain(`p: option deadlineHeader="${header}" is not valid`);
      expect(error.message).toMatch(/expected a header name of your own .*"outrigger-timeout-ms"/);
      expect(error.message).toMatch(why);
    });
  }

  it('refuses a value that is not a header token, as CONFIG_INVALID and not a TypeError', () => {
    for (const header of ['bad header', '', 'x-ü', 5, true, null]) {
      expect(refusal(() => transport({ deadlineHeader: header as never })).setting).toBe(
        'p: option deadlineHeader',
      );
    }
  });

  it('takes a name of the caller’s own, lower-cased, and false for none', () => {
    expect(transport({ deadlineHeader: 'X-Deadline-Ms' }).deadlineHeader).toBe('x-deadline-ms');
    expect(transport({ deadlineHeader: false }).deadlineHeader).toBeUndefined();
    expect(transport({}).deadlineHeader).toBe('outrigger-timeout-ms');
  });
});
