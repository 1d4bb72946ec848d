import './events.js';

export {
  MAX_TLS_FILE_BYTES,
  readTlsFiles,
  TlsFileSource,
  type TlsFileSourceOptions,
  type TlsFiles,
  type TlsMaterial,
} from './tls-files.js';
