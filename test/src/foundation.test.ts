import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CallContext,
  ConfigInvalidError,
  OutriggerError,
  pipeline,
  resolveConfig,
  type Service,
  TimeoutError,
} from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('foundation over real loopback sockets', () => {
  it('a context cancellation closes the request on the wire: the server sees it aborted', async () => {
    const serverSawClose = new Promise<boolean>((resolve) => {
      server = createServer((_req, res) => {
        res.on('close', () => resolve(!res.writableEnded));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;

    const get: Service<string, Response> = (path, ctx) =>
      fetch(`http://127.0.0.1:${port}${path}`, { signal: ctx.signal });
    const call = pipeline()(get);
    const ctx = CallContext.root({ service: 'hanging' });
    const pending = call('/hang', ctx);
    setTimeout(
      () =>
        ctx.cancellation.abort(
          new TimeoutError({ service: 'hanging', timeoutMs: 50, kind: 'total' }),
        ),
      50,
    );
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await expect(serverSawClose).resolves.toBe(true);
  });

  it('errors thrown by a second copy of the built package are still recognised', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-copy-'));
    try {
      const source = new URL('../../packages/core/dist', import.meta.url);
      cpSync(source, join(dir, 'dist'), { recursive: true });
      cpSync(
        new URL('../../packages/core/package.json', import.meta.url),
        join(dir, 'package.json'),
      );
      cpSync(new URL('../../node_modules/zod', import.meta.url), join(dir, 'node_modules', 'zod'), {
        recursive: true,
      });
      const copy = (await import(
        pathToFileURL(join(dir, 'dist', 'index.js')).href
      )) as typeof import('@outrigger/core');
      expect(copy.resolveConfig).not.toBe(resolveConfig);
      let thrown: unknown;
      try {
        copy.resolveConfig({ service: 'payments', env: { OUTRIGGER_PAYMENTS_TIMEOUT_MS: 'abc' } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(OutriggerError);
      expect(thrown).toBeInstanceOf(ConfigInvalidError);
      expect(thrown).not.toBeInstanceOf(TimeoutError);
      expect((thrown as ConfigInvalidError).code).toBe('CONFIG_INVALID');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
