export { type EndpointSliceLike, endpointsFromSlices } from './endpoint-slice.js';
