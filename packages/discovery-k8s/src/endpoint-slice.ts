import { type Endpoint, endpoint } from '@outrigger/core';

/** The fields of a discovery.k8s.io/v1 EndpointSlice that discovery reads. */
export interface EndpointSliceLike {
  metadata?: { name?: string; labels?: Record<string, string> };
  endpoints: {
    addresses: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    zone?: string | null;
    targetRef?: { name?: string } | null;
  }[];
  ports?: { name?: string | null; port?: number | null }[] | null;
}

/**
 * Ready endpoints of a service's slices for one port (by name, or the only/first port). A nil
 * `ready` means ready, as the EndpointSlice API documents. Addresses within a slice are one
 * Pod's fungible addresses: the first one is used.
 */
export function endpointsFromSlices(
  slices: readonly EndpointSliceLike[],
  portName?: string,
): Endpoint[] {
  const out: Endpoint[] = [];
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) =>
      portName === undefined ? true : p.name === portName,
    )?.port;
    if (port == null) continue;
    for (const e of slice.endpoints) {
      if (e.conditions?.ready === false) continue;
      const host = e.addresses[0];
      if (host === undefined) continue;
      out.push(
        endpoint({
          host,
          port,
          zone: e.zone ?? undefined,
          metadata: {
            ...slice.metadata?.labels,
            ...(e.targetRef?.name ? { pod: e.targetRef.name } : {}),
          },
        }),
      );
    }
  }
  return out;
}
