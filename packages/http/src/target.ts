import { RequestInvalidError } from '@outrigger/core';

/**
 * What a caller may address: a path (`/charges/42?x=1`), or an absolute URL whose host is the
 * service name (`http://payments/charges/42`), resolved through discovery. Another host is
 * refused rather than silently sent around the mesh; so is a port (discovery owns ports) and
 * `https:` on a client without `tls` (it would otherwise go out in clear). A refusal is a
 * `REQUEST_INVALID` naming the URL and the form that would be sent, and nothing leaves.
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
  throw new RequestInvalidError({
    service,
    input,
    what: `cannot send to ${Object.prototype.toString.call(input)}`,
    problem: 'expected a path or a URL',
    fix: 'pass a path such as /charges/42, or a URL or Request whose host is the service',
  });
}

function check(
  scheme: string,
  rawAuthority: string,
  path: string,
  url: string,
  service: string,
  secure: boolean,
): string {
  const target = withSlash(stripHash(path));
  // Credentials in the userinfo or the query must not reach an error message (or a log of it).
  const at = rawAuthority.lastIndexOf('@');
  const authority = at < 0 ? rawAuthority : rawAuthority.slice(at + 1);
  const refuse = (problem: string, fix: string): never => {
    const shown = redacted(url);
    throw new RequestInvalidError({
      service,
      input: shown,
      what: `cannot send to ${shown}`,
      problem,
      fix: redactedQuery(fix),
    });
  };
  if (at >= 0) {
    refuse(
      'credentials in the URL would be sent to every endpoint and logged along the way',
      `pass them in a header (authorization) and use ${scheme}://${service}${target}`,
    );
  }
  if (scheme !== 'http' && scheme !== 'https') {
    refuse(`the ${scheme}: scheme is not supported`, `use ${target} or http://${service}${target}`);
  }
  if (authority.toLowerCase() !== service.toLowerCase()) {
    if (authority.toLowerCase().startsWith(`${service.toLowerCase()}:`)) {
      refuse(
        'discovery supplies each endpoint with its port',
        `leave the port out: ${scheme}://${service}${target}`,
      );
    }
    refuse(
      `this client sends to service "${service}" only, not to ${authority || 'an empty host'}`,
      `use a path (${target}) or http://${service}${target}; for another service, create a client for it`,
    );
  }
  if (scheme === 'https' && !secure) {
    refuse(
      'the client has no tls option, so https would go out in clear',
      `set tls, or use http://${service}${target}`,
    );
  }
  return target;
}

/** The URL with its userinfo and every query value masked. */
function redacted(url: string): string {
  return redactedQuery(url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@'));
}

function redactedQuery(text: string): string {
  return text.replace(/([?&][^=&#\s]*=)[^&#\s);]*/g, '$1***');
}

function withSlash(target: string): string {
  return target.charCodeAt(0) === 47 ? target : `/${target}`;
}

function stripHash(text: string): string {
  const hash = text.indexOf('#');
  return hash < 0 ? text : text.slice(0, hash);
}
