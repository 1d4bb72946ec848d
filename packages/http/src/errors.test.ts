import {
  createServer,
  maxHeaderSize,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { RequestInvalidError, UnavailableError } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from './client.js';

const servers: Server[] = [];
const tcpServers: ReturnType<typeof createTcpServer>[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(tcpServers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

/**
 * A backend on 127.0.0.1 port 0 that counts the connections and requests it gets; it answers
 * `ok`, or as `respond` says.
 */
async function backend(
  respond: (res: ServerResponse) => void = (res) => res.end('ok'),
  options: ServerOptions = {},
) {
  const seen = { connections: 0, requests: 0 };
  const server = createServer(options, (_req, res) => {
    seen.requests++;
    respond(res);
  });
  server.on('connection', (_socket: Socket) => seen.connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { seen, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A TCP server that answers every request with `answer`, counting the requests. */
async function rawBackend(answer: (socket: Socket) => void) {
  const seen = { requests: 0 };
  const server = createTcpServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', () => {
      seen.requests++;
      answer(socket);
    });
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { seen, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** An address where nothing listens: a port 0 listener's port, closed again. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

function client(discovery: string[]): HttpClient {
  const made = createHttpClient({ service: 'payments', discovery, env: {} });
  clients.push(made);
  return made;
}

describe('failures a caller can handle by code', () => {
  it('an absolute URL to another host is REQUEST_INVALID and nothing is sent anywhere', async () => {
    const [service, other] = [await backend(), await backend()];
    const payments = client([service.address]);
    const url = `http://${other.address}/charges`;

    const fromFetch = await payments.fetch(url).catch((e: unknown) => e);
    const fromRequest = await payments.request(url).catch((e: unknown) => e);
    for (const error of [fromFetch, fromRequest]) {
      expect(error).toBeInstanceOf(RequestInvalidError);
      expect(error).toMatchObject({ code: 'REQUEST_INVALID', input: url });
      expect((error as Error).message).toContain(
        'use a path (/charges) or http://payments/charges',
      );
    }
    expect(other.seen).toEqual({ connections: 0, requests: 0 });
    expect(service.seen).toEqual({ connections: 0, requests: 0 });
    // The client stays usable: a refused call is the caller's, not the client's, problem.
    expect(await (await payments.fetch('/charges')).text()).toBe('ok');
  });

  it('a bad per-call timeout is REQUEST_INVALID, refused before anything is sent', async () => {
    const service = await backend();
    const payments = client([service.address]);
    const error = await payments.request('/x', { timeout: -5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestInvalidError);
    expect((error as Error).message).toMatch(/^payments: timeout=-5 for this call is not valid/);
    expect(service.seen.requests).toBe(0);
  });

  it('every endpoint refusing is UNAVAILABLE once retries are spent, the socket error as cause', async () => {
    const payments = client([await deadAddress(), await deadAddress()]);

    const fromRequest = await payments.request('/x').catch((e: unknown) => e);
    expect(fromRequest).toBeInstanceOf(UnavailableError);
    expect(fromRequest).toMatchObject({ code: 'UNAVAILABLE', unsent: true });
    expect(((fromRequest as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect((fromRequest as Error).message).toMatch(
      /^payments: no instance accepted the connection \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/,
    );

    // fetch keeps WHATWG's TypeError('fetch failed'), with the typed error as its cause.
    const fromFetch = await payments.fetch('/x').catch((e: unknown) => e);
    expect(fromFetch).toBeInstanceOf(TypeError);
    expect((fromFetch as Error).message).toBe('fetch failed');
    const typed = (fromFetch as Error).cause;
    expect(typed).toBeInstanceOf(UnavailableError);
    expect(((typed as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('a response whose headers are too large is UNAVAILABLE saying so, not retried', async () => {
    const { seen, address } = await backend(
      (res) => {
        res.setHeader('x-large', 'a'.repeat(maxHeaderSize + 1));
        res.end('ok');
      },
      { maxHeaderSize: 64 * 1024 },
    );
    const payments = client([address]);

    const error = await payments.request('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', unsent: false });
    expect((error as Error).message).toBe(
      `payments: the response's headers are larger than this process accepts (${maxHeaderSize} ` +
        'bytes): the server did answer; make its headers smaller, or start Node with a larger ' +
        '--max-http-header-size',
    );
    expect(((error as Error).cause as { code?: string }).code).toBe('UND_ERR_HEADERS_OVERFLOW');
    // The same answer again would overflow again: a failure, not retried.
    expect(seen.requests).toBe(1);

    const fromFetch = await payments.fetch('/x').catch((e: unknown) => e);
    expect((fromFetch as Error).cause).toBeInstanceOf(UnavailableError);
  });

  it('an answer that is not HTTP/1.1 is UNAVAILABLE naming the protocol mismatch, not retried', async () => {
    const junk = await rawBackend((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    const payments = client([junk.address]);

    const error = await payments.request('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', unsent: false });
    expect((error as Error).message).toMatch(
      /^payments: the answer is not valid HTTP\/1\.1 \(.+\): check that the endpoint speaks plain HTTP\/1\.1 on that port/,
    );
    expect(((error as Error).cause as Error).name).toBe('HTTPParserError');
    expect(junk.seen.requests).toBe(1);
  });
});
