export {
  type Disposer,
  EventBus,
  type EventName,
  type Listener,
  type OutriggerEvents,
} from './events.js';
