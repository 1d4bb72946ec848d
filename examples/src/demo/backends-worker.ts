/** The demo's instances in their own thread (see `startInstancesInWorker`). */
import { parentPort } from 'node:worker_threads';
import {
  type Instances,
  startInstances,
  type WorkerReply,
  type WorkerRequest,
} from './backends.js';

const port = parentPort!;
let running: Instances | undefined;

port.on('message', async (request: WorkerRequest) => {
  const reply = (r: Omit<WorkerReply, 'id'>) => port.postMessage({ ...r, id: request.id });
  try {
    switch (request.op) {
      case 'start':
        running = await startInstances(request.count, request.settings);
        return reply({ addresses: running.instances.map((i) => i.address) });
      case 'mode':
        await running?.instances[request.index]?.setMode(request.mode);
        return reply({});
      case 'close':
        await running?.close();
        return reply({});
    }
  } catch (error) {
    reply({ error: String(error) });
  }
});
