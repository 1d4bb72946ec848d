import { ConfigInvalidError } from '../errors/index.js';
import type { TlsFiles } from './tls-files.js';

/** How often certificate files are looked at by default; why a poll: decision 0055. */
export const DEFAULT_TLS_RELOAD_MS = 60_000;
const MIN_RELOAD_MS = 10;
const MAX_RELOAD_MS = 3_600_000;

/** The file half of a `tls` option, as the clients and the server helpers take it. */
export interface TlsFileOptions {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** How often to look at the files: default `{ intervalMs: 60_000 }`; `false` reads them once. */
  reload?: { intervalMs?: number | undefined } | false | undefined;
}

/**
 * Checks the file options of `tls` (paths are strings, `certFile` and `keyFile` together,
 * `reload` in range) and returns the files and the poll interval (undefined: read once). Other
 * keys are the caller's to check. `needCert`: a server cannot do without its own pair.
 */
export function checkTlsFileOptions(
  where: string,
  tls: Readonly<Record<string, unknown>>,
  needCert: boolean,
): { files: TlsFiles; intervalMs: number | undefined } {
  const bad = (name: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `${where} tls.${name}`, value, expected });
  };
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const v = tls[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) bad(key, v, 'a path to a PEM file');
  }
  if (
    (tls.certFile === undefined) !== (tls.keyFile === undefined) ||
    (needCert && tls.certFile === undefined)
  ) {
    bad(
      tls.certFile === undefined ? 'certFile' : 'keyFile',
      'unset',
      needCert
        ? 'both tls.certFile and tls.keyFile'
        : 'both tls.certFile and tls.keyFile, or neither',
    );
  }
  const reload = tls.reload;
  let intervalMs: number | undefined = DEFAULT_TLS_RELOAD_MS;
  if (reload === false) intervalMs = undefined;
  else if (reload !== undefined) {
    const ms = (reload as { intervalMs?: unknown } | null)?.intervalMs;
    if (
      typeof reload !== 'object' ||
      reload === null ||
      Object.keys(reload).some((k) => k !== 'intervalMs') ||
      (ms !== undefined &&
        (typeof ms !== 'number' ||
          !Number.isInteger(ms) ||
          ms < MIN_RELOAD_MS ||
          ms > MAX_RELOAD_MS))
    ) {
      bad(
        'reload',
        reload,
        `false or { intervalMs } with intervalMs an integer from ${MIN_RELOAD_MS} to ${MAX_RELOAD_MS}`,
      );
    }
    if (ms !== undefined) intervalMs = ms as number;
  }
  return {
    files: {
      caFile: tls.caFile as string | undefined,
      certFile: tls.certFile as string | undefined,
      keyFile: tls.keyFile as string | undefined,
    },
    intervalMs,
  };
}
