import { readFileSync } from 'node:fs';
import { ConfigInvalidError } from '@outrigger/core';

/** The in-cluster namespace file (the pod's own namespace), as the kubelet mounts it. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A Service port: its name in the Service spec (`http`), or the endpoints' port number. */
export type PortSelector = string | number;

/** A Kubernetes Service as code may name it. */
export interface ServiceSpec {
  /** The Service's name (`payments`), or one of the string forms `parseServiceName` reads. */
  service: string;
  namespace?: string | undefined;
  port?: PortSelector | undefined;
}

/** A Service resolved to what the API needs. */
export interface ServiceRef {
  readonly name: string;
  readonly namespace: string;
  /** Undefined: the slices' only port. */
  readonly port: PortSelector | undefined;
}

// A Service name is an RFC 1035 label; a namespace an RFC 1123 label; a port name an
// IANA_SVC_NAME (at most 15 characters, at least one letter): the API server's own rules.
const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
const DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function bad(setting: string, value: unknown, expected: string): never {
  throw new ConfigInvalidError({ setting: `k8sDiscovery ${setting}`, value, expected });
}

/**
 * Reads `name`, `name.namespace`, `name.namespace.svc`, `name.namespace.svc.cluster.local` (any
 * cluster domain), each optionally followed by `:port` (a port name or number): the forms a
 * pod uses to reach a Service by DNS. The namespace falls back to `defaultNamespace`.
 */
export function parseServiceName(
  text: string,
  defaultNamespace: string,
  defaultPort?: PortSelector,
  setting = 'service',
): ServiceRef {
  if (typeof text !== 'string' || text.length === 0) {
    bad(setting, text, 'a Kubernetes Service name such as "payments" or "payments.shop"');
  }
  const colon = text.lastIndexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  const port = colon === -1 ? defaultPort : checkPort(text.slice(colon + 1), setting, text);
  const [name, namespace, svc, ...domain] = host.split('.');
  const expected =
    '"name", "name.namespace" or "name.namespace.svc.cluster.local", optionally with ":port" ' +
    '(a Service name is a lower-case RFC 1035 label: letters, digits and "-", at most 63)';
  if (name === undefined || !DNS_1035.test(name)) bad(setting, text, expected);
  if (namespace !== undefined && !DNS_1123.test(namespace)) bad(setting, text, expected);
  if (svc !== undefined && svc !== 'svc') bad(setting, text, expected);
  if (domain.length > 0 && !DOMAIN.test(domain.join('.'))) bad(setting, text, expected);
  return { name, namespace: namespace ?? defaultNamespace, port };
}

/** The object form: `{ service, namespace, port }`, checked the same way. */
export function serviceRefOf(spec: ServiceSpec, defaultNamespace: string): ServiceRef {
  if (typeof spec !== 'object' || spec === null) {
    bad('service', spec, 'a Service name or { service, namespace?, port? }');
  }
  const namespace = spec.namespace ?? defaultNamespace;
  checkNamespace(namespace, 'service.namespace');
  const port = spec.port === undefined ? undefined : checkPort(spec.port, 'service.port');
  return parseServiceName(spec.service, namespace, port, 'service.service');
}

export function checkNamespace(namespace: unknown, setting = 'namespace'): string {
  if (typeof namespace !== 'string' || !DNS_1123.test(namespace)) {
    bad(setting, namespace, 'a namespace name: a lower-case RFC 1123 label such as "shop"');
  }
  return namespace;
}

export function checkPort(port: unknown, setting = 'port', whole?: string): PortSelector {
  const shown = whole ?? port;
  if (typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port))) {
    const n = Number(port);
    if (Number.isInteger(n) && n >= 1 && n <= 65_535) return n;
    bad(setting, shown, 'a port number from 1 to 65535, or a port name such as "http"');
  }
  if (typeof port === 'string' && PORT_NAME.test(port)) return port;
  return bad(
    setting,
    shown,
    'a port name (lower-case letters, digits and "-", at most 15, as in the Service spec) or a number from 1 to 65535',
  );
}

/**
 * The pod's own namespace from the service-account mount, or undefined outside a cluster (or
 * when the file is unreadable: the caller falls back, it does not fail).
 */
export function namespaceFromFile(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return DNS_1123.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
