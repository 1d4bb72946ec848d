/**
 * The grpc interop client cases (grpc/grpc doc/interop-test-descriptions.md) that need neither
 * TLS, auth, compression nor a caching proxy, as a vitest suite any client can be run through.
 * Each case asserts what the description's "Client asserts" list says, no more: the point is
 * that a client behaves as the reference one does, not that our server is thorough.
 *
 * The cases use only the surface of a grpc-js generated client (callbacks `(err, res)`, call
 * events, `cancel()`, `write()`/`end()`, `{ deadline }`), with the proto's method names
 * (`UnaryCall`) and proto-loader's lower-camel aliases (`unaryCall`) each used somewhere, so a
 * drop-in replacement can run them unchanged.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnyClient,
  type SimpleResponse,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
  TestService,
  UnimplementedService,
  zeros,
} from './protos.js';
import { type RunningServer, startTestServer } from './test-service.js';

export interface ClientHandle {
  client: AnyClient;
  close(): Promise<void> | void;
}

/** Builds the client under test for one service of the interop protos. */
export type MakeClient = (ctor: grpc.ServiceClientConstructor, address: string) => ClientHandle;

/** What a call came to, seen only through the events a generated client emits. */
interface Outcome<T> {
  error: grpc.ServiceError | undefined;
  /** The unary response (callback), or undefined for a server stream. */
  response: T | undefined;
  /** Messages received on a response stream, in order. */
  messages: T[];
  /** Initial metadata, if any arrived. */
  metadata: grpc.Metadata | undefined;
  status: grpc.StatusObject;
}

/** Any generated-client call: an emitter of the call events, which can be cancelled. */
type Call = NodeJS.EventEmitter & { cancel(): void };
type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/**
 * Starts a call through `start` (given the callback, for unary and client-streaming methods)
 * and resolves once it is over: the status has arrived, and with it the callback has run or
 * (for a successful response stream) 'end' has been emitted.
 */
function observe<T>(
  start: (callback: Callback<T>) => Call,
  streamed = false,
): {
  call: Call;
  outcome: Promise<Outcome<T>>;
} {
  const out: Omit<Outcome<T>, 'status'> = {
    error: undefined,
    response: undefined,
    messages: [],
    metadata: undefined,
  };
  let onCallback!: () => void;
  const called = new Promise<void>((resolve) => (onCallback = resolve));
  const call = start((err, res) => {
    out.error = err ?? undefined;
    out.response = res;
    onCallback();
  });
  if (streamed) onCallback();
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const ended = new Promise<void>((resolve) => call.on('end', resolve));
  call.on('metadata', (md: grpc.Metadata) => (out.metadata = md));
  call.on('data', (m: T) => out.messages.push(m));
  // A stream's failure is an 'error' event; recorded, and without it the event would throw.
  call.on('error', (err: grpc.ServiceError) => (out.error = err));
  const outcome = (async () => {
    const s = await status;
    await called;
    if (streamed && s.code === grpc.status.OK) await ended;
    return { ...out, status: s };
  })();
  return { call, outcome };
}

/** Starts a call that has no callback (server-streaming or bidi). */
const stream = <T>(start: () => Call) => observe<T>(() => start(), true);

const bodySizes = (messages: StreamingOutputCallResponse[]) =>
  messages.map((m) => m.payload?.body.length);

const allZero = (buf: Buffer | undefined) => buf?.every((b) => b === 0) === true;

const REQUEST_SIZES = [27182, 8, 1828, 45904];
const RESPONSE_SIZES = [31415, 9, 2653, 58979];
const TEST_STATUS_MESSAGE = 'test status message';
const SPECIAL_STATUS_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';
const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

function echoMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(ECHO_INITIAL, 'test_initial_metadata_value');
  md.set(ECHO_TRAILING, Buffer.from([0xab, 0xab, 0xab]));
  return md;
}

function expectEchoedMetadata(o: Outcome<unknown>): void {
  expect(o.metadata?.get(ECHO_INITIAL)).toEqual(['test_initial_metadata_value']);
  expect(o.status.metadata.get(ECHO_TRAILING)).toEqual([Buffer.from([0xab, 0xab, 0xab])]);
}

/** Runs the interop cases against a TestService server in this process, clients from `makeClient`. */
export function interopSuite(name: string, makeClient: MakeClient): void {
  describe(name, () => {
    let server: RunningServer;
    let handles: ClientHandle[] = [];
    let client: AnyClient;
    let unimplemented: AnyClient;

    beforeAll(async () => {
      server = await startTestServer();
      handles = [
        makeClient(TestService, server.address),
        makeClient(UnimplementedService, server.address),
      ];
      client = handles[0]!.client;
      unimplemented = handles[1]!.client;
    });

    afterAll(async () => {
      for (const h of handles) await h.close();
      await server?.close();
    });

    it('empty_unary: EmptyCall succeeds with a non-null response', async () => {
      const { outcome } = observe<object>((cb) => client.EmptyCall({}, cb));
      const o = await outcome;
      expect(o.error).toBeUndefined();
      expect(o.response).toEqual({});
    });

    it('large_unary: a 271828-byte request gets a 314159-byte payload', async () => {
      const { outcome } = observe<SimpleResponse>((cb) =>
        client.unaryCall({ response_size: 314159, payload: zeros(271828) }, cb),
      );
      const o = await outcome;
      expect(o.error).toBeUndefined();
      expect(o.response?.payload?.body.length).toBe(314159);
      expect(allZero(o.response?.payload?.body)).toBe(true);
    });

    it('client_streaming: four payloads aggregate to 74922 bytes', async () => {
      const { call, outcome } = observe<StreamingInputCallResponse>((cb) =>
        client.StreamingInputCall(cb),
      );
      const writable = call as grpc.ClientWritableStream<unknown>;
      for (const size of REQUEST_SIZES) writable.write({ payload: zeros(size) });
      writable.end();
      const o = await outcome;
      expect(o.error).toBeUndefined();
      expect(o.response?.aggregated_payload_size).toBe(74922);
    });

    it('server_streaming: exactly four responses sized 31415, 9, 2653, 58979', async () => {
      const { outcome } = stream<StreamingOutputCallResponse>(() =>
        client.streamingOutputCall({
          response_parameters: RESPONSE_SIZES.map((size) => ({ size })),
        }),
      );
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.OK);
      expect(bodySizes(o.messages)).toEqual(RESPONSE_SIZES);
      expect(o.messages.every((m) => allZero(m.payload?.body))).toBe(true);
    });

    it('ping_pong: each request sent after the previous reply, four replies in order', async () => {
      const request = (i: number): StreamingOutputCallRequest => ({
        response_parameters: [{ size: RESPONSE_SIZES[i]! }],
        payload: zeros(REQUEST_SIZES[i]!),
      });
      const { call, outcome } = stream<StreamingOutputCallResponse>(() => client.FullDuplexCall());
      const duplex = call as grpc.ClientDuplexStream<unknown, unknown>;
      let replies = 0;
      duplex.on('data', () => {
        replies++;
        if (replies < RESPONSE_SIZES.length) duplex.write(request(replies));
        else duplex.end();
      });
      duplex.write(request(0));
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.OK);
      expect(bodySizes(o.messages)).toEqual(RESPONSE_SIZES);
    });

    it('empty_stream: a full-duplex call half-closed at once succeeds with no responses', async () => {
      const { call, outcome } = stream<StreamingOutputCallResponse>(() => client.fullDuplexCall());
      (call as grpc.ClientDuplexStream<unknown, unknown>).end();
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.messages).toEqual([]);
    });

    it('custom_metadata, UnaryCall: initial and binary trailing metadata come back', async () => {
      const { outcome } = observe<SimpleResponse>((cb) =>
        client.UnaryCall({ response_size: 314159, payload: zeros(271828) }, echoMetadata(), cb),
      );
      const o = await outcome;
      expect(o.error).toBeUndefined();
      expectEchoedMetadata(o);
    });

    it('custom_metadata, FullDuplexCall: initial and binary trailing metadata come back', async () => {
      const { call, outcome } = stream<StreamingOutputCallResponse>(() =>
        client.FullDuplexCall(echoMetadata()),
      );
      const duplex = call as grpc.ClientDuplexStream<unknown, unknown>;
      duplex.write({ response_parameters: [{ size: 314159 }], payload: zeros(271828) });
      duplex.end();
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.OK);
      expectEchoedMetadata(o);
    });

    it('status_code_and_message, UnaryCall: code 2 and the message come back', async () => {
      const { outcome } = observe<SimpleResponse>((cb) =>
        client.unaryCall({ response_status: { code: 2, message: TEST_STATUS_MESSAGE } }, cb),
      );
      const o = await outcome;
      expect(o.error?.code).toBe(2);
      expect(o.error?.details).toBe(TEST_STATUS_MESSAGE);
      expect(o.status.code).toBe(2);
      expect(o.status.details).toBe(TEST_STATUS_MESSAGE);
    });

    it('status_code_and_message, FullDuplexCall: code 2 and the message come back', async () => {
      const { call, outcome } = stream<StreamingOutputCallResponse>(() => client.fullDuplexCall());
      const duplex = call as grpc.ClientDuplexStream<unknown, unknown>;
      duplex.write({ response_status: { code: 2, message: TEST_STATUS_MESSAGE } });
      duplex.end();
      const o = await outcome;
      expect(o.error?.code).toBe(2);
      expect(o.status.code).toBe(2);
      expect(o.status.details).toBe(TEST_STATUS_MESSAGE);
    });

    it('special_status_message: whitespace and non-ASCII survive in the status message', async () => {
      const { outcome } = observe<SimpleResponse>((cb) =>
        client.UnaryCall({ response_status: { code: 2, message: SPECIAL_STATUS_MESSAGE } }, cb),
      );
      const o = await outcome;
      expect(o.status.code).toBe(2);
      expect(o.status.details).toBe(SPECIAL_STATUS_MESSAGE);
      expect(o.error?.details).toBe(SPECIAL_STATUS_MESSAGE);
    });

    it('unimplemented_method: TestService/UnimplementedCall ends UNIMPLEMENTED (12)', async () => {
      const { outcome } = observe<object>((cb) => client.unimplementedCall({}, cb));
      const o = await outcome;
      expect(o.error?.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(o.status.code).toBe(12);
    });

    it('unimplemented_service: UnimplementedService/UnimplementedCall ends UNIMPLEMENTED (12)', async () => {
      const { outcome } = observe<object>((cb) => unimplemented.UnimplementedCall({}, cb));
      const o = await outcome;
      expect(o.error?.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(o.status.code).toBe(12);
    });

    it('cancel_after_begin: a client-streaming call cancelled at once ends CANCELLED', async () => {
      const { call, outcome } = observe<StreamingInputCallResponse>((cb) =>
        client.streamingInputCall(cb),
      );
      call.cancel();
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.CANCELLED);
      expect(o.error?.code).toBe(grpc.status.CANCELLED);
    });

    it('cancel_after_first_response: cancelled after one reply, the call ends CANCELLED', async () => {
      const { call, outcome } = stream<StreamingOutputCallResponse>(() => client.FullDuplexCall());
      const duplex = call as grpc.ClientDuplexStream<unknown, unknown>;
      duplex.once('data', () => duplex.cancel());
      duplex.write({ response_parameters: [{ size: 31415 }], payload: zeros(27182) });
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.CANCELLED);
      expect(o.messages.length).toBeGreaterThanOrEqual(1);
    });

    it('timeout_on_sleeping_server: a 1 ms deadline ends DEADLINE_EXCEEDED', async () => {
      const { call, outcome } = stream<StreamingOutputCallResponse>(() =>
        client.FullDuplexCall({ deadline: Date.now() + 1 }),
      );
      (call as grpc.ClientDuplexStream<unknown, unknown>).write({ payload: zeros(27182) });
      const o = await outcome;
      expect(o.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    });
  });
}
