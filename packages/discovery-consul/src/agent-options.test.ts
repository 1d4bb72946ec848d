import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAgent } from './agent-options.js';

const resolve = (options: Parameters<typeof resolveAgent>[0]) => resolveAgent(options, 'test');

describe('resolveAgent', () => {
  it('reads CONSUL_HTTP_ADDR in the forms the Consul CLI accepts', () => {
    expect(resolve({ env: {} })).toMatchObject({
      origin: 'http://127.0.0.1:8500',
      socketPath: undefined,
    });
    expect(resolve({ env: { CONSUL_HTTP_ADDR: '10.0.0.9:8500' } }).origin).toBe(
      'http://10.0.0.9:8500',
    );
    expect(
      resolve({ env: { CONSUL_HTTP_ADDR: '10.0.0.9:8501', CONSUL_HTTP_SSL: 'true' } }).origin,
    ).toBe('https://10.0.0.9:8501');
    expect(resolve({ env: { CONSUL_HTTP_ADDR: 'https://consul.internal:8501' } }).origin).toBe(
      'https://consul.internal:8501',
    );
    expect(resolve({ env: { CONSUL_HTTP_ADDR: 'unix:///var/run/consul.sock' } })).toMatchObject({
      origin: 'http://localhost',
      socketPath: '/var/run/consul.sock',
      display: 'unix:///var/run/consul.sock',
    });
    // Code wins over the environment.
    expect(
      resolve({ agentAddress: 'http://127.0.0.1:1', env: { CONSUL_HTTP_ADDR: '10.0.0.9:8500' } })
        .origin,
    ).toBe('http://127.0.0.1:1');
  });

  it('refuses a bad address with CONFIG_INVALID naming the variable and the valid forms', () => {
    expect(() => resolve({ env: { CONSUL_HTTP_ADDR: 'ftp://x:1' } })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^CONSUL_HTTP_ADDR=.*unix:\/\//),
      }),
    );
    expect(() => resolve({ agentAddress: 'unix://relative.sock' })).toThrow(/absolute/);
    expect(() => resolve({ agentAddress: 'http://u:p@h:1' })).toThrow(/credentials/);
  });

  it('takes the token from options, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, and never shows it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consul-token-'));
    writeFileSync(join(dir, 't'), 'file-secret\n');
    expect(resolve({ env: { CONSUL_HTTP_TOKEN: 'env-secret' } }).token).toBe('env-secret');
    expect(resolve({ env: { CONSUL_HTTP_TOKEN_FILE: join(dir, 't') } }).token).toBe('file-secret');
    expect(resolve({ token: 'code', env: { CONSUL_HTTP_TOKEN: 'env' } }).token).toBe('code');
    const a = resolve({ token: 'top-secret', env: {} });
    expect(a.key).not.toContain('top-secret');
    expect(a.key).not.toBe(resolve({ token: 'other', env: {} }).key);
    let message = '';
    try {
      resolve({ token: 'top\nsecret', env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/token/);
    expect(message).not.toContain('secret');
  });

  it('loads TLS material for https from CONSUL_CACERT / CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consul-tls-'));
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, f), `${f}-pem`);
    const agent = resolve({
      env: {
        CONSUL_HTTP_ADDR: 'https://c:8501',
        CONSUL_CACERT: join(dir, 'ca'),
        CONSUL_CLIENT_CERT: join(dir, 'cert'),
        CONSUL_CLIENT_KEY: join(dir, 'key'),
        CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
      },
    });
    expect(agent.tls).toEqual({
      ca: 'ca-pem',
      cert: 'cert-pem',
      key: 'key-pem',
      servername: 'server.dc1.consul',
      rejectUnauthorized: true,
    });
    expect(() =>
      resolve({ env: { CONSUL_HTTP_ADDR: 'https://c:1', CONSUL_CACERT: join(dir, 'nope') } }),
    ).toThrow(/CONSUL_CACERT/);
    expect(() => resolve({ agentAddress: 'https://c:1', tls: { cert: 'x' }, env: {} })).toThrow(
      /both a client certificate/,
    );
    expect(
      resolve({ env: { CONSUL_HTTP_ADDR: 'http://c:1', CONSUL_CACERT: join(dir, 'ca') } }).tls,
    ).toBeUndefined();
  });
});
