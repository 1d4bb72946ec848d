/**
 * What a caller may address: a path (`/charges/42?x=1`), or an absolute URL whose host is the
 * service name (`http://payments/charges/42`), resolved through discovery. Another host is
 * refused rather than silently sent around the mesh; so is a port (discovery owns ports) and
 * `https:` on a client without `tls` (it would otherwise go out in clear).
 *
 * Returns the request target: path and query, without the fragment.
 */
export function resolveTarget(input: string | URL, service: string, secure: boolean): string {
  if (typeof input === 'string') {
    if (input.charCodeAt(0) === 47 /* / */ && input.charCodeAt(1) !== 47) return stripHash(input);
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(input);
    if (!scheme) return `/${stripHash(input)}`;
    const rest = input.slice(scheme[0].length);
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    const path = end < 0 ? '/' : rest.slice(end);
    return check(scheme[1]!.toLowerCase(), authority, path, input, service, secure);
  }
  if (input instanceof URL) {
    const authority = input.port ? `${input.hostname}:${input.port}` : input.hostname;
    return check(
      input.protocol.slice(0, -1),
      authority,
      `${input.pathname}${input.search}`,
      input.href,
      service,
      secure,
    );
  }
  throw new TypeError(`expected a path or a URL, got ${Object.prototype.toString.call(input)}`);
}

function check(
  scheme: string,
  authority: string,
  path: string,
  shown: string,
  service: string,
  secure: boolean,
): string {
  if (scheme !== 'http' && scheme !== 'https') {
    throw new TypeError(
      `${service}: cannot fetch ${shown}: only http: and https: URLs are supported`,
    );
  }
  if (authority.toLowerCase() !== service.toLowerCase()) {
    const reason = authority.toLowerCase().startsWith(`${service.toLowerCase()}:`)
      ? 'leave the port out: discovery supplies each endpoint with its port'
      : `this client sends to service "${service}" only; use a path or http://${service}/...`;
    throw new TypeError(`${service}: cannot fetch ${shown}: ${reason}`);
  }
  if (scheme === 'https' && !secure) {
    throw new TypeError(
      `${service}: cannot fetch ${shown}: the client has no tls option, so https would go out in clear; set tls`,
    );
  }
  const target = stripHash(path);
  return target.charCodeAt(0) === 47 ? target : `/${target}`;
}

function stripHash(text: string): string {
  const hash = text.indexOf('#');
  return hash < 0 ? text : text.slice(0, hash);
}
