export {
  type EndpointLike,
  type EndpointSliceLike,
  readSlice,
  SERVICE_NAME_LABEL,
  type SliceEntry,
  SliceError,
} from './endpoint-slice.js';
export { type K8sDiscoveryOptions, k8sDiscovery } from './k8s-discovery.js';
export {
  type PortSelector,
  parseServiceName,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  type ServiceRef,
  type ServiceSpec,
} from './service-name.js';
export { SliceSet } from './slice-set.js';
