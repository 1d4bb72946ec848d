import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigInvalidError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { namespaceFromFile, parseServiceName, serviceRefOf } from './service-name.js';

describe('parseServiceName', () => {
  it('reads name, name.namespace and the cluster DNS forms', () => {
    expect(parseServiceName('payments', 'dflt')).toEqual({
      name: 'payments',
      namespace: 'dflt',
      port: undefined,
    });
    expect(parseServiceName('payments.shop', 'dflt')).toMatchObject({ namespace: 'shop' });
    expect(parseServiceName('payments.shop.svc', 'dflt')).toMatchObject({ namespace: 'shop' });
    expect(parseServiceName('payments.shop.svc.cluster.local', 'dflt')).toMatchObject({
      name: 'payments',
      namespace: 'shop',
    });
    expect(parseServiceName('payments.shop.svc.corp.example', 'dflt').namespace).toBe('shop');
  });

  it('takes a port by name or number after a colon, else the default port', () => {
    expect(parseServiceName('payments.shop:http', 'd').port).toBe('http');
    expect(parseServiceName('payments:8080', 'd').port).toBe(8080);
    expect(parseServiceName('payments', 'd', 'grpc').port).toBe('grpc');
  });

  it.each([
    'Payments',
    'pay_ments',
    '1payments',
    'payments.shop.cluster.local',
    'payments.Shop',
    'payments:',
    'payments:0',
    'payments:70000',
    'payments:HTTP',
    '',
  ])('refuses %j with CONFIG_INVALID naming the value', (text) => {
    const error = (() => {
      try {
        parseServiceName(text, 'd');
      } catch (e) {
        return e;
      }
    })() as ConfigInvalidError;
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(JSON.stringify(text));
  });

  it('reads the object form with its own namespace and port', () => {
    expect(serviceRefOf({ service: 'payments', namespace: 'shop', port: 'http' }, 'd')).toEqual({
      name: 'payments',
      namespace: 'shop',
      port: 'http',
    });
    expect(() => serviceRefOf({ service: 'payments', namespace: 'Shop' }, 'd')).toThrow(
      /service\.namespace="Shop" is not valid/,
    );
  });
});

describe('namespaceFromFile', () => {
  it("reads the pod's namespace, trimmed, and is undefined when the file is absent", () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-ns-'));
    try {
      writeFileSync(join(dir, 'namespace'), 'shop\n');
      expect(namespaceFromFile(join(dir, 'namespace'))).toBe('shop');
      expect(namespaceFromFile(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
