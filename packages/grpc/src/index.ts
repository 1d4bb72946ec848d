export { GrpcStatus, grpcStatusFor } from './status.js';
