import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { Authorizer } from './authorizer.js';

describe('Authorizer', () => {
  const rules = [
    { name: 'exact', allow: ['spiffe://td/ns/a/sa/b', 'dns:svc.internal'] },
    { allow: ['spiffe://td/ns/shop/*'] },
    { allow: ['*'] },
    { allow: [] },
  ];

  it('decides by the matched rule: exact, prefix, any verified caller, nobody', () => {
    const a = new Authorizer('t', 'http', { rules });
    expect(a.decide(0, ['spiffe://td/ns/a/sa/b'], () => '')).toBe(true);
    expect(a.decide(0, ['dns:svc.internal'], () => '')).toBe(true);
    expect(a.decide(0, ['spiffe://td/ns/a/sa/bb'], () => '')).toBe(false);
    expect(a.decide(1, ['spiffe://td/ns/shop/sa/x'], () => '')).toBe(true);
    expect(a.decide(1, ['spiffe://td/ns/shopping/sa/x'], () => '')).toBe(false);
    expect(a.decide(2, ['ip:10.0.0.1'], () => '')).toBe(true);
    expect(a.decide(2, [], () => '')).toBe(false);
    expect(a.decide(3, ['spiffe://td/ns/a/sa/b'], () => '')).toBe(false);
  });

  it('applies the default to requests no rule matches, and reports each decision once', () => {
    const events = new EventBus();
    const seen: string[] = [];
    events.on('authz.allowed', (e) => seen.push(`allowed ${e.rule} ${e.reason} ${e.target}`));
    events.on('authz.denied', (e) => seen.push(`denied ${e.rule} ${e.reason} ${e.target}`));
    const deny = new Authorizer('t', 'grpc', { rules, events });
    const allow = new Authorizer('t', 'grpc', { rules, events, default: 'allow' });
    expect(deny.decide(-1, [], () => '/a.B/C')).toBe(false);
    expect(allow.decide(-1, [], () => '/a.B/C')).toBe(true);
    expect(deny.decide(1, [], () => '/a.B/D')).toBe(false);
    expect(seen).toEqual([
      'denied default default /a.B/C',
      'allowed default default /a.B/C',
      'denied rules[1] no-identity /a.B/D',
    ]);
  });

  it('refuses a bare name (a forgotten dns: prefix) and names the entry', () => {
    expect(() => new Authorizer('t', 'http', { rules: [{ allow: ['svc.internal'] }] })).toThrow(
      /t rules\[0\]\.allow\[0\].*did you mean dns:svc\.internal/,
    );
  });
});
