export { type Endpoint, type EndpointInit, endpoint, parseHostPort } from './endpoint.js';
