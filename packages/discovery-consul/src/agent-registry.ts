import type { ResolvedAgent } from './agent-options.js';
import { ConsulHttp } from './consul-http.js';

interface Held {
  readonly http: ConsulHttp;
  refs: number;
}

const agents = new Map<string, Held>();

/**
 * One HTTP client per agent (address, token, TLS) in the process, shared by every watch and
 * registration that talks to it and closed when the last lets go.
 */
export function acquireAgent(agent: ResolvedAgent): { http: ConsulHttp; release(): Promise<void> } {
  let held = agents.get(agent.key);
  if (!held) {
    held = { http: new ConsulHttp(agent), refs: 0 };
    agents.set(agent.key, held);
  }
  held.refs++;
  const current = held;
  let released = false;
  return {
    http: current.http,
    release: async () => {
      if (released) return;
      released = true;
      current.refs--;
      if (current.refs > 0) return;
      if (agents.get(agent.key) === current) agents.delete(agent.key);
      await current.http.close();
    },
  };
}

/** For tests: how many agent clients are open. */
export function openAgents(): number {
  return agents.size;
}
