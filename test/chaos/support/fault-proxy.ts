/**
 * A TCP proxy on 127.0.0.1 port 0 in front of a real backend, breaking the server's answer the
 * ways networks and half-dead instances do. It reads just enough of the bytes going back to the
 * client to place a fault: the end of an HTTP/1.1 head (`\r\n\r\n`), or HTTP/2 frame headers for
 * gRPC, so "mid-headers" and "mid-body" mean the same thing for both protocols.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Protocol = 'http1' | 'h2';

export type Fault =
  /** Bytes pass both ways untouched. */
  | { readonly kind: 'pass' }
  /**
   * A TCP reset: `request` once the request is on its way (HTTP/1: its first bytes; h2: its
   * HEADERS frame) and before any of the response; `head` halfway through the response head;
   * `body` halfway through the first response body bytes.
   */
  | { readonly kind: 'reset'; readonly at: 'request' | 'head' | 'body' }
  /** Accepts the connection, reads what comes, never connects upstream nor answers. */
  | { readonly kind: 'hang' }
  /** Lets the response head through, then holds every later byte back. */
  | { readonly kind: 'stall-after-head' }
  /** The response, `bytes` at a time every `everyMs` (a slowloris server). */
  | { readonly kind: 'trickle'; readonly bytes: number; readonly everyMs: number }
  /** h2 only: closes the connection as soon as a response's trailers went through. */
  | { readonly kind: 'close-after-response' };

export interface FaultProxy {
  /** `127.0.0.1:<port>`, for `discovery`. */
  readonly address: string;
  /** The fault given to each new connection; existing ones keep theirs. */
  fault: Fault;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections the proxy broke (reset, or closed after a response). */
  readonly broken: number;
  /**
   * The instance dies as a SIGKILLed process does, seen from the client: every connection
   * reset, the port refusing from then on.
   */
  kill(): Promise<void>;
  close(): Promise<void>;
}

const H2_PREFACE_BYTES = 24;
const FRAME_HEADER = 9;
const DATA = 0x0;
const HEADERS = 0x1;
const END_STREAM = 0x1;
/** Time for the client to take in a partial response before the reset arrives. */
const RESET_AFTER_MS = 20;

export async function faultProxy(
  upstream: string,
  protocol: Protocol,
  fault: Fault = { kind: 'pass' },
): Promise<FaultProxy> {
  const [host, port] = splitAddress(upstream);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { fault, accepted: 0, broken: 0 };
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A reset from either side is the point of this proxy, not a test failure.
    s.on('error', () => {});
  };

  const server: Server = createServer((client) => {
    state.accepted++;
    track(client);
    const mode = state.fault;
    if (mode.kind === 'hang') return void client.resume();
    const backend = connect(port, host);
    track(backend);
    let dead = false;
    const reset = () => {
      if (dead) return;
      dead = true;
      state.broken++;
      client.resetAndDestroy();
      backend.destroy();
    };
    const teardown = () => {
      if (dead) return;
      dead = true;
      client.destroy();
      backend.destroy();
    };
    client.on('close', teardown);
    backend.on('close', () => {
      // The backend hung up: pass that on once what it sent has been delivered.
      if (!dead && queue.length === 0 && !holding) client.end();
    });

    // Client to server: untouched, except that a request starts the `reset at request` fault.
    let seenPreface = protocol === 'http1';
    let clientBuf = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (mode.kind === 'reset' && mode.at === 'request') {
        if (protocol === 'http1') return reset();
        clientBuf = Buffer.concat([clientBuf, chunk]);
        if (!seenPreface && clientBuf.length >= H2_PREFACE_BYTES) {
          seenPreface = true;
          clientBuf = clientBuf.subarray(H2_PREFACE_BYTES);
        }
        for (const f of frames(clientBuf)) {
          if (f.type === HEADERS && f.stream > 0) return reset();
        }
      }
      backend.write(chunk);
    });

    // Server to client: each chunk is cut, held or paced as the fault says.
    const queue: Buffer[] = [];
    let holding = false;
    let headDone = false;
    let serverBuf = Buffer.alloc(0);
    const send = (bytes: Buffer) => {
      if (dead || bytes.length === 0) return;
      if (mode.kind === 'trickle') {
        queue.push(bytes);
        pump();
      } else client.write(bytes);
    };
    let pumping = false;
    const pump = () => {
      if (pumping || mode.kind !== 'trickle') return;
      pumping = true;
      const tick = () => {
        if (dead) return;
        const next = queue[0];
        if (next === undefined) {
          pumping = false;
          return;
        }
        client.write(next.subarray(0, mode.bytes));
        if (next.length <= mode.bytes) queue.shift();
        else queue[0] = next.subarray(mode.bytes);
        const t = setTimeout(() => {
          timers.delete(t);
          tick();
        }, mode.everyMs);
        timers.add(t);
      };
      tick();
    };

    backend.on('data', (chunk: Buffer) => {
      if (dead) return;
      if (holding) return;
      if (mode.kind === 'pass' || mode.kind === 'trickle') return send(chunk);
      if (mode.kind === 'reset' && mode.at === 'request') return send(chunk);
      // Faults placed inside the response: find where in the stream they fall.
      serverBuf = Buffer.concat([serverBuf, chunk]);
      const cut = protocol === 'http1' ? http1Cut(serverBuf, headDone) : h2Cut(serverBuf);
      const point =
        mode.kind === 'reset' ? (mode.at === 'head' ? cut.midHead : cut.midBody) : undefined;
      if (mode.kind === 'reset' && point !== undefined) {
        send(serverBuf.subarray(0, point));
        holding = true;
        // Let the client read the partial bytes before the reset overtakes them.
        const t = setTimeout(() => {
          timers.delete(t);
          reset();
        }, RESET_AFTER_MS);
        timers.add(t);
        return;
      }
      if (mode.kind === 'stall-after-head' && cut.afterHead !== undefined) {
        send(serverBuf.subarray(0, cut.afterHead));
        holding = true;
        return;
      }
      if (mode.kind === 'close-after-response' && cut.afterTrailers !== undefined) {
        send(serverBuf.subarray(0, cut.afterTrailers));
        state.broken++;
        dead = true;
        client.end();
        backend.destroy();
        return;
      }
      // Nothing to do in what arrived so far: pass whole frames on, keep a partial one.
      if (cut.headSeen) headDone = true;
      send(serverBuf.subarray(0, cut.forwardable));
      serverBuf = serverBuf.subarray(cut.forwardable);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    address,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
    },
    get accepted() {
      return state.accepted;
    },
    get broken() {
      return state.broken;
    },
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.resetAndDestroy();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

interface Cut {
  /** Where a reset halfway through the response head goes, if the head has begun. */
  readonly midHead?: number | undefined;
  /** Where a reset halfway through the first body bytes goes, if any body has come. */
  readonly midBody?: number | undefined;
  /** Just past the response head, once it is complete. */
  readonly afterHead?: number | undefined;
  /** Just past a response's trailers (h2). */
  readonly afterTrailers?: number | undefined;
  /** How many bytes from the start can go on as they are (nothing of interest in them). */
  readonly forwardable: number;
  readonly headSeen?: boolean;
}

/** HTTP/1.1: the head ends at the first blank line; the body is whatever follows it. */
function http1Cut(buf: Buffer, headDone: boolean): Cut {
  if (headDone)
    return buf.length > 0
      ? { midBody: Math.ceil(buf.length / 2), forwardable: buf.length, headSeen: true }
      : { forwardable: 0 };
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0)
    return { midHead: buf.length > 1 ? Math.floor(buf.length / 2) : undefined, forwardable: 0 };
  const afterHead = end + 4;
  const body = buf.length - afterHead;
  return {
    midHead: Math.floor(afterHead / 2),
    afterHead,
    midBody: body > 0 ? afterHead + Math.ceil(body / 2) : undefined,
    forwardable: afterHead,
    headSeen: true,
  };
}

/**
 * HTTP/2 from the server: SETTINGS and other connection frames, then per stream a HEADERS
 * frame (the response head), DATA frames (the gRPC message) and a HEADERS frame with END_STREAM
 * (the trailers). Only frames on a stream (id > 0) are the response.
 */
function h2Cut(buf: Buffer): Cut {
  let head: number | undefined;
  let midHead: number | undefined;
  let midBody: number | undefined;
  let afterTrailers: number | undefined;
  let complete = 0;
  for (const f of frames(buf)) {
    if (f.stream > 0 && f.type === HEADERS && (f.flags & END_STREAM) === 0 && head === undefined) {
      midHead = f.start + Math.floor((FRAME_HEADER + f.length) / 2);
      head = f.end;
    }
    if (f.stream > 0 && f.type === DATA && f.length > 0 && midBody === undefined) {
      midBody = f.start + FRAME_HEADER + Math.ceil(f.length / 2);
    }
    if (
      f.stream > 0 &&
      f.type === HEADERS &&
      (f.flags & END_STREAM) !== 0 &&
      afterTrailers === undefined
    ) {
      afterTrailers = f.end;
    }
    complete = f.end;
  }
  // A HEADERS frame seen only in part still has its first bytes: cut inside it.
  if (midHead === undefined && buf.length - complete >= FRAME_HEADER) {
    const f = frameAt(buf, complete);
    if (f.stream > 0 && f.type === HEADERS && (f.flags & END_STREAM) === 0) {
      midHead = complete + FRAME_HEADER;
    }
  }
  return {
    midHead,
    midBody,
    afterHead: head,
    afterTrailers,
    forwardable: midHead === undefined && midBody === undefined ? complete : 0,
  };
}

interface Frame {
  readonly start: number;
  readonly end: number;
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
}

function frameAt(buf: Buffer, at: number): Frame {
  const length = buf.readUIntBE(at, 3);
  return {
    start: at,
    end: at + FRAME_HEADER + length,
    length,
    type: buf[at + 3]!,
    flags: buf[at + 4]!,
    stream: buf.readUInt32BE(at + 5) & 0x7fffffff,
  };
}

/** The complete frames at the start of `buf`. */
function* frames(buf: Buffer): Generator<Frame> {
  let at = 0;
  while (buf.length - at >= FRAME_HEADER) {
    const f = frameAt(buf, at);
    if (f.end > buf.length) return;
    yield f;
    at = f.end;
  }
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
