import type { Discovery, DiscoveryListener } from '../../discovery/discovery.js';
import { endpoint } from '../../discovery/endpoint.js';

/** A discovery the test drives by hand. */
export class ManualDiscovery implements Discovery {
  listener: DiscoveryListener | undefined;
  unsubscribed = 0;
  subscribe(_service: string, listener: DiscoveryListener) {
    this.listener = listener;
    return () => {
      this.unsubscribed++;
      this.listener = undefined;
    };
  }
  push(...ids: string[]) {
    this.listener?.onEndpoints(ids.map((id) => endpoint({ host: id, port: 80 })));
  }
  async close() {}
}
