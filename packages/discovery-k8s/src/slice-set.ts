import { type Endpoint, endpoint } from '@outrigger/core';
import {
  type EndpointSliceLike,
  readSlice,
  type SliceEntry,
  SliceError,
  sliceName,
} from './endpoint-slice.js';
import type { PortSelector } from './service-name.js';

/**
 * Every slice of one Service merged into one endpoint set, for one port. Keyed by slice name, so a
 * slice's update replaces exactly its own part; an address is one endpoint whichever slices list
 * it, so a pod listed by two slices mid-move is never doubled.
 *
 * The controller's two writes of a move reach us as two events, in an order we do not rely on
 * (and a re-list may fall between them), so a ready endpoint that vanishes from every slice,
 * rather than turning not-ready as a stopping pod does first, is held for `graceMs` in case it
 * reappears in another slice: it is never missing either.
 *
 * A slice that cannot be read keeps its last good entries: one bad object never empties the set.
 */
export class SliceSet {
  readonly #service: string;
  readonly #port: PortSelector | undefined;
  readonly #graceMs: number;
  readonly #slices = new Map<string, readonly SliceEntry[]>();
  /** The merged view after the last change, by id. */
  #merged = new Map<string, SliceEntry>();
  /** Ready endpoints that vanished from every slice, held until `until`. */
  readonly #vanished = new Map<string, { entry: SliceEntry; until: number }>();

  constructor(service: string, port: PortSelector | undefined, graceMs = 0) {
    this.#service = service;
    this.#port = port;
    this.#graceMs = graceMs;
  }

  /** A (re-)list: the set becomes exactly these slices, atomically. Returns what was unreadable. */
  replace(slices: readonly EndpointSliceLike[], now = 0): SliceError[] {
    const next = new Map<string, readonly SliceEntry[]>();
    const errors: SliceError[] = [];
    for (const slice of slices) {
      const key = sliceName(slice);
      const read = this.#read(slice);
      if (read instanceof SliceError) {
        errors.push(read);
        const kept = this.#slices.get(key);
        if (kept) next.set(key, kept);
      } else next.set(key, read);
    }
    this.#slices.clear();
    for (const [key, entries] of next) this.#slices.set(key, entries);
    this.#remerge(now);
    return errors;
  }

  /** ADDED or MODIFIED. Returns the error when the slice is unreadable (its last good part stays). */
  upsert(slice: EndpointSliceLike, now = 0): SliceError | undefined {
    const read = this.#read(slice);
    if (read instanceof SliceError) return read;
    this.#slices.set(sliceName(slice), read);
    this.#remerge(now);
    return undefined;
  }

  delete(slice: EndpointSliceLike, now = 0): void {
    this.#slices.delete(sliceName(slice));
    this.#remerge(now);
  }

  /** When the earliest held endpoint is let go (the owner re-reads `endpoints` then), if any. */
  get nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const { until } of this.#vanished.values())
      if (next === undefined || until < next) next = until;
    return next;
  }

  get size(): number {
    return this.#slices.size;
  }

  /**
   * Ready endpoints; when none is ready, the serving ones that are terminating (kube-proxy's
   * rule: a Service whose every pod is shutting down still answers until the last one stops
   * serving). Sorted by id, so equal sets compare equal.
   */
  endpoints(now = 0): Endpoint[] {
    for (const [id, held] of this.#vanished) if (held.until <= now) this.#vanished.delete(id);
    const all = [...this.#merged.values()];
    for (const held of this.#vanished.values()) all.push(held.entry);
    let chosen = all.filter((e) => e.ready);
    const fallback = chosen.length === 0;
    if (fallback) chosen = all.filter((e) => e.serving && e.terminating);
    return chosen
      .sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0))
      .map((e) => toEndpoint(e, fallback));
  }

  #remerge(now: number): void {
    const best = new Map<string, SliceEntry>();
    for (const key of [...this.#slices.keys()].sort()) {
      for (const entry of this.#slices.get(key)!) {
        const id = idOf(entry);
        const seen = best.get(id);
        if (seen === undefined || rank(entry) > rank(seen)) best.set(id, entry);
      }
    }
    if (this.#graceMs > 0) {
      for (const [id, entry] of this.#merged) {
        if (entry.ready && !best.has(id) && !this.#vanished.has(id)) {
          this.#vanished.set(id, { entry, until: now + this.#graceMs });
        }
      }
    }
    for (const id of best.keys()) this.#vanished.delete(id);
    this.#merged = best;
  }

  #read(slice: EndpointSliceLike): SliceEntry[] | SliceError {
    try {
      return readSlice(slice, this.#service, this.#port);
    } catch (error) {
      if (error instanceof SliceError) return error;
      return new SliceError(sliceName(slice), `unreadable (${String(error)})`);
    }
  }
}

function idOf(e: SliceEntry): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** When two slices disagree about one address (mid-move), the more usable report wins. */
function rank(e: SliceEntry): number {
  return e.ready ? 2 : e.serving && e.terminating ? 1 : 0;
}

function toEndpoint(e: SliceEntry, terminating: boolean): Endpoint {
  const metadata: Record<string, string> = {};
  if (e.pod) metadata.pod = e.pod;
  if (e.node) metadata.node = e.node;
  // Topology-aware routing hints: the zones the EndpointSlice controller assigned this endpoint.
  if (e.forZones.length > 0) metadata.forZones = e.forZones.join(',');
  if (terminating) metadata.terminating = 'true';
  return endpoint({ id: idOf(e), host: e.host, port: e.port, zone: e.zone, metadata });
}
