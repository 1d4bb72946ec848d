/**
 * Real grpc-js servers on 127.0.0.1 port 0 for the gRPC tests: the interop TestService, written
 * to grpc/grpc doc/interop-test-descriptions.md ("Server" section), and the small Echo service
 * with knobs for retry, deadline and balancing tests. Both live here, past the usual ~200 lines,
 * because they share the listen/close plumbing and the metadata echo, and server-main.ts serves
 * either by name.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type EchoMessage,
  echoServiceDefinition,
  type Payload,
  type ResponseParameters,
  type SimpleRequest,
  type SimpleResponse,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
  testServiceDefinition,
} from './protos.js';

export interface RunningServer {
  /** `127.0.0.1:<port>`, for a client or `discovery`. */
  readonly address: string;
  readonly port: number;
  readonly server: grpc.Server;
  /** Stops at once: calls in flight end CANCELLED (for the client, UNAVAILABLE or the like). */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 (the default) for any free port; a fixed port brings an instance back where it was. */
  port?: number;
  /** Insecure by default. */
  credentials?: grpc.ServerCredentials;
}

/** Binds `server` on 127.0.0.1 (any free port unless told), for tests and the bench. */
export async function listenGrpc(
  server: grpc.Server,
  { port = 0, credentials = grpc.ServerCredentials.createInsecure() }: ListenOptions = {},
): Promise<RunningServer> {
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, credentials, (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    server,
    close: async () => server.forceShutdown(),
  };
}

// ---- TestService ------------------------------------------------------------------------------

/** What a handler fails a call with: grpc-js's ServerStatusResponse, which it does not export. */
type StatusLike = Partial<grpc.StatusObject>;

/** The parts of a server call that `wait` uses. */
interface Cancellable {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/** The parts of a server call with a response stream that `sendResponses` uses. */
type Outgoing<T> = Cancellable & { write(message: T): boolean };

const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

/** Sends back `x-grpc-test-echo-initial` as initial metadata, as the "Echo Metadata" feature asks. */
function echoInitial(call: { metadata: grpc.Metadata; sendMetadata(md: grpc.Metadata): void }) {
  const values = call.metadata.get(ECHO_INITIAL);
  if (values.length === 0) return;
  const md = new grpc.Metadata();
  for (const v of values) md.add(ECHO_INITIAL, v);
  call.sendMetadata(md);
}

/** The trailers to end the call with: `x-grpc-test-echo-trailing-bin`, if the client sent it. */
function echoTrailing(metadata: grpc.Metadata): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const v of metadata.get(ECHO_TRAILING)) md.add(ECHO_TRAILING, v);
  return md;
}

/** The status a request asks for ("Echo Status"), or undefined when it asks for none (code 0). */
function requestedStatus(
  req: { response_status?: { code: number; message: string } | null },
  trailers: grpc.Metadata,
): StatusLike | undefined {
  const s = req.response_status;
  if (!s || s.code === 0) return undefined;
  return { code: s.code, details: s.message, metadata: trailers };
}

const payload = (size: number): Payload => ({ type: 'COMPRESSABLE', body: Buffer.alloc(size) });

/**
 * Waits `ms` on a real timer, or less if the call is cancelled first (the timer is then
 * cleared, so a closed server leaves nothing behind). Resolves false when the call was cancelled,
 * so the caller stops sending.
 */
function wait(ms: number, call: Cancellable): Promise<boolean> {
  if (call.cancelled) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onCancel = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      call.off('cancelled', onCancel);
      resolve(true);
    }, ms);
    call.once('cancelled', onCancel);
  });
}

/** One response per ResponseParameters, each after its `interval_us`; false if cancelled. */
async function sendResponses(
  call: Outgoing<StreamingOutputCallResponse>,
  params: readonly ResponseParameters[],
): Promise<boolean> {
  for (const p of params) {
    if (!(await wait((p.interval_us ?? 0) / 1_000, call))) return false;
    call.write({ payload: payload(p.size) });
  }
  return !call.cancelled;
}

type Duplex = grpc.ServerDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>;

/**
 * FullDuplexCall answers each request as it comes; HalfDuplexCall (`buffered`) holds them all
 * until the client half-closes. Either way responses keep request order, a requested status
 * ends the call and later requests are ignored, and OK follows the last response.
 */
function duplex(buffered: boolean) {
  return (call: Duplex) => {
    echoInitial(call);
    const trailers = echoTrailing(call.metadata);
    const pending: StreamingOutputCallRequest[] = [];
    let chain = Promise.resolve(true);
    let done = false;
    const serve = (req: StreamingOutputCallRequest) => {
      chain = chain.then(async (ok) => {
        if (!ok || done) return false;
        const status = requestedStatus(req, trailers);
        if (status) {
          done = true;
          call.emit('error', status);
          return false;
        }
        return sendResponses(call, req.response_parameters ?? []);
      });
    };
    call.on('data', (req: StreamingOutputCallRequest) =>
      buffered ? pending.push(req) : serve(req),
    );
    call.on('end', () => {
      for (const req of pending) serve(req);
      void chain.then((ok) => {
        if (ok && !done) call.end(trailers);
      });
    });
  };
}

const testService: grpc.UntypedServiceImplementation = {
  EmptyCall(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
    callback(null, {});
  },
  UnaryCall(
    call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>,
    callback: grpc.sendUnaryData<Partial<SimpleResponse>>,
  ) {
    echoInitial(call);
    const trailers = echoTrailing(call.metadata);
    const req = call.request;
    const status = requestedStatus(req, trailers);
    if (status) return callback(status);
    if ((req.response_type ?? 'COMPRESSABLE') !== 'COMPRESSABLE') {
      return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'unsupported response_type' });
    }
    const res: Partial<SimpleResponse> = {
      payload: payload(req.response_size ?? 0),
    };
    if (req.fill_server_id) res.server_id = serverId;
    callback(null, res, trailers);
  },
  CacheableUnaryCall(
    _call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>,
    callback: grpc.sendUnaryData<Partial<SimpleResponse>>,
  ) {
    // No caching proxy here; the timestamp still differs per call, as the description asks.
    const body = Buffer.from(String(process.hrtime.bigint()));
    callback(null, { payload: { type: 'COMPRESSABLE', body } });
  },
  StreamingOutputCall(
    call: grpc.ServerWritableStream<StreamingOutputCallRequest, StreamingOutputCallResponse>,
  ) {
    echoInitial(call);
    const trailers = echoTrailing(call.metadata);
    void sendResponses(call, call.request.response_parameters ?? []).then((ok) => {
      if (!ok) return;
      const status = requestedStatus(call.request, trailers);
      if (status) call.emit('error', status);
      else call.end(trailers);
    });
  },
  StreamingInputCall(
    call: grpc.ServerReadableStream<StreamingInputCallRequest, StreamingInputCallResponse>,
    callback: grpc.sendUnaryData<StreamingInputCallResponse>,
  ) {
    echoInitial(call);
    let size = 0;
    call.on('data', (req: StreamingInputCallRequest) => {
      size += req.payload?.body.length ?? 0;
    });
    call.on('end', () =>
      callback(null, { aggregated_payload_size: size }, echoTrailing(call.metadata)),
    );
  },
  FullDuplexCall: duplex(false),
  HalfDuplexCall: duplex(true),
  // UnimplementedCall is left out on purpose: grpc-js answers it with UNIMPLEMENTED.
};

/** Distinguishes processes when several test servers run (SimpleRequest.fill_server_id). */
const serverId = `outrigger-test-${process.pid}`;

/** The interop TestService on 127.0.0.1, insecure. */
export async function startTestServer(options?: ListenOptions): Promise<RunningServer> {
  const server = new grpc.Server();
  server.addService(testServiceDefinition, testService);
  return listenGrpc(server, options);
}

// ---- Echo -------------------------------------------------------------------------------------

export type EchoMethod = 'Say' | 'Count' | 'Collect' | 'Chat';

/** How a call fails: a status, and trailers (e.g. `grpc-retry-pushback-ms`) if wanted. */
export interface EchoFailure {
  code: grpc.status;
  details?: string;
  trailers?: Record<string, string>;
}

/** What an Echo server does; read on every call, so a test may change it between calls. */
export interface EchoBehaviour {
  /** Fail this many calls (of any method, counted in arrival order) before answering. Default 0. */
  failFirst?: number;
  /** The status those calls fail with. Default UNAVAILABLE, 'echo: induced failure'. */
  failWith?: EchoFailure;
  /** Wait this long (real timer) before each response message; a cancelled call stops waiting. */
  delayMs?: number;
  /** Sees every call as it arrives; may return a failure to end it with. */
  onCall?: (call: EchoCall) => EchoFailure | undefined;
}

export interface EchoCall {
  readonly method: EchoMethod;
  /** 1 for the first call this server received, of any method. */
  readonly seq: number;
  readonly metadata: grpc.Metadata;
  /** The deadline the client sent (`grpc-timeout`), Infinity when none. */
  readonly deadline: grpc.Deadline;
}

export interface EchoServer extends RunningServer {
  behaviour: EchoBehaviour;
  /** Calls received per method, failed ones included. */
  readonly calls: Record<EchoMethod, number>;
  /** Calls received, all methods. */
  total(): number;
  /** The most recent call, for asserting on what the client sent. */
  readonly lastCall: EchoCall | undefined;
}

const SERVED_BY = 'x-echo-server';

type Stream = grpc.ServerWritableStream<unknown, EchoMessage>;
type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>;

/**
 * The Echo service on 127.0.0.1, insecure. Each answer carries initial metadata
 * `x-echo-server: 127.0.0.1:<port>`, so balancing tests can tell the instances apart.
 */
export async function startEchoServer(
  behaviour: EchoBehaviour = {},
  options?: ListenOptions,
): Promise<EchoServer> {
  const server = new grpc.Server();
  const calls: Record<EchoMethod, number> = { Say: 0, Count: 0, Collect: 0, Chat: 0 };
  let seq = 0;
  const served = new grpc.Metadata();
  const state = { behaviour, lastCall: undefined as EchoCall | undefined };

  /** Counts the call and decides its fate: a failure to end it with, or undefined. */
  const admit = (method: EchoMethod, call: Call | Stream): StatusLike | undefined => {
    calls[method]++;
    const record: EchoCall = {
      method,
      seq: ++seq,
      metadata: call.metadata,
      deadline: call.getDeadline(),
    };
    state.lastCall = record;
    const b = state.behaviour;
    let failure = b.onCall?.(record);
    if (!failure && record.seq <= (b.failFirst ?? 0)) {
      failure = b.failWith ?? { code: grpc.status.UNAVAILABLE, details: 'echo: induced failure' };
    }
    if (!failure) {
      call.sendMetadata(served);
      return undefined;
    }
    const trailers = new grpc.Metadata();
    for (const [k, v] of Object.entries(failure.trailers ?? {})) trailers.set(k, v);
    return { code: failure.code, details: failure.details ?? '', metadata: trailers };
  };
  const delay = (call: Cancellable) => wait(state.behaviour.delayMs ?? 0, call);

  const impl: grpc.UntypedServiceImplementation = {
    Say(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) {
      const failure = admit('Say', call);
      if (failure) return cb(failure);
      if (!state.behaviour.delayMs) return cb(null, call.request);
      void delay(call).then((ok) => ok && cb(null, call.request));
    },
    Count(call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) {
      const failure = admit('Count', call);
      if (failure) return void call.emit('error', failure);
      void (async () => {
        for (let i = 0; i < call.request.n; i++) {
          if (!(await delay(call))) return;
          call.write({ text: call.request.text, n: i });
        }
        call.end();
      })();
    },
    Collect(
      call: grpc.ServerReadableStream<EchoMessage, EchoMessage>,
      cb: grpc.sendUnaryData<EchoMessage>,
    ) {
      const failure = admit('Collect', call);
      if (failure) return cb(failure);
      const texts: string[] = [];
      call.on('data', (m: EchoMessage) => texts.push(m.text));
      call.on('end', () => {
        void delay(call).then((ok) => ok && cb(null, { text: texts.join(''), n: texts.length }));
      });
    },
    Chat(call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) {
      const failure = admit('Chat', call);
      if (failure) return void call.emit('error', failure);
      let chain = Promise.resolve(true);
      call.on('data', (m: EchoMessage) => {
        chain = chain.then(async (ok) => {
          if (!ok || !(await delay(call))) return false;
          call.write(m);
          return true;
        });
      });
      call.on('end', () => void chain.then((ok) => ok && call.end()));
    },
  };
  server.addService(echoServiceDefinition, impl);
  const running = await listenGrpc(server, options);
  served.set(SERVED_BY, running.address);
  return {
    ...running,
    calls,
    total: () => seq,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: EchoBehaviour) {
      state.behaviour = b;
    },
    get lastCall() {
      return state.lastCall;
    },
  };
}
