/**
 * Inbound authorization by mTLS peer identity for a grpc-js server (the HTTP form is
 * `@outrigger/http`'s `authorizeInbound`): the first rule that matches the method decides, by the
 * identities in the verified client certificate. grpc-js exposes a peer certificate only when
 * the TLS server verified it, so an unverified one counts as none.
 */
import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status,
} from '@grpc/grpc-js';
import {
  type AuthorizationOptionsBase,
  type AuthorizationRuleBase,
  Authorizer,
  ConfigInvalidError,
  peerIdentities,
} from '@outrigger/core';

export interface GrpcAuthorizationRule extends AuthorizationRuleBase {
  /** One method, `/package.Service/Method`. */
  readonly method?: string | undefined;
  /** Every method of one service, `package.Service`. Neither: every method. */
  readonly service?: string | undefined;
}

export type GrpcAuthorizationOptions = AuthorizationOptionsBase<GrpcAuthorizationRule>;

const METHOD_PATH = /^\/[^/]+\/[^/]+$/;

function compile(rules: readonly GrpcAuthorizationRule[]): ((path: string) => boolean)[] {
  return rules.map((rule, i) => {
    const { method, service } = rule ?? {};
    const at = `authorizationInterceptor() rules[${i}]`;
    if (method !== undefined && service !== undefined) {
      throw new ConfigInvalidError({
        setting: at,
        value: `{ method: ${method}, service: ${service} }`,
        expected: 'method or service, not both',
      });
    }
    if (method !== undefined) {
      if (typeof method !== 'string' || !METHOD_PATH.test(method)) {
        throw new ConfigInvalidError({
          setting: `${at}.method`,
          value: method,
          expected: 'a method path, /package.Service/Method',
        });
      }
      return (path) => path === method;
    }
    if (service !== undefined) {
      if (typeof service !== 'string' || service === '' || service.includes('/')) {
        throw new ConfigInvalidError({
          setting: `${at}.service`,
          value: service,
          expected: 'a fully qualified service name, package.Service',
        });
      }
      const prefix = `/${service}/`;
      return (path) => path.startsWith(prefix);
    }
    return () => true;
  });
}

function identitiesOf(
  auth: ReturnType<ServerInterceptingCallInterface['getAuthContext']>,
): readonly string[] {
  return peerIdentities(auth?.sslPeerCertificate?.subjectaltname);
}

/**
 * A server interceptor that refuses callers the rules do not admit with PERMISSION_DENIED, before
 * the handler sees the call: `new Server({ interceptors: [authorizationInterceptor({ rules })] })`.
 * Give the server `ServerCredentials.createSsl(ca, pairs, true)` (client certificates required)
 * or no caller will have an identity.
 */
export function authorizationInterceptor(options: GrpcAuthorizationOptions): ServerInterceptor {
  const authorizer = new Authorizer('authorizationInterceptor()', 'grpc', options);
  const rules = compile(options.rules);
  return (descriptor, call) => {
    const path = descriptor.path;
    const index = rules.findIndex((matches) => matches(path));
    if (authorizer.decide(index, identitiesOf(call.getAuthContext()), () => path)) {
      return new ServerInterceptingCall(call);
    }
    return new ServerInterceptingCall(call, {
      start(next) {
        // The handler is never started: metadata, messages and half-close stop here.
        next({
          onReceiveMetadata() {
            call.sendStatus({
              code: status.PERMISSION_DENIED,
              details: 'permission denied',
              metadata: new Metadata(),
            });
          },
          onReceiveMessage() {},
          onReceiveHalfClose() {},
        });
      },
    });
  };
}
