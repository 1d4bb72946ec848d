/**
 * What the telemetry tests around a real HTTP client share: servers on 127.0.0.1 and clients,
 * all closed after each test, and a call that reports its status or its error's code.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '@outrigger/http';
import { afterEach } from 'vitest';

export type ClientOptions = Partial<HttpClientOptions> & Pick<HttpClientOptions, 'discovery'>;

/** Registers its own `afterEach`: servers and clients made through it are closed there. */
export function httpFixture(providers: () => Partial<HttpClientOptions>) {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function serve(handler: RequestListener): Promise<string> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A client for service `svc` with the test's providers (options override). */
  function client(options: ClientOptions): HttpClient {
    const made = createHttpClient({
      service: 'svc',
      env: {},
      ...providers(),
      ...options,
    } as HttpClientOptions);
    closers.push(() => made.close());
    return made;
  }

  /** Closes one server now (its port then refuses connections): the last `serve()`d. */
  async function closeLast(): Promise<void> {
    await closers.pop()?.();
  }

  return { serve, client, closeLast, closers };
}

/** The response's status, or the error's code. */
export async function call(c: HttpClient, path = '/'): Promise<number | string> {
  try {
    const res = await c.request(path);
    await res.body.text();
    return res.statusCode;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
