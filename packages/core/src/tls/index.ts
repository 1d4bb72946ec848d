import './events.js';

export {
  checkTlsFileOptions,
  DEFAULT_TLS_RELOAD_MS,
  type TlsFileOptions,
} from './file-options.js';
export {
  MAX_TLS_FILE_BYTES,
  readTlsFiles,
  reloadedEvent,
  TlsFileSource,
  type TlsFileSourceOptions,
  type TlsFiles,
  type TlsMaterial,
} from './tls-files.js';
