/**
 * The subset of Consul's filter expression language (go-bexpr) the double evaluates: `==`,
 * `!=`, `in`, `not in`, `contains`, `not contains`, `is empty`, `is not empty`, `and`, `or`,
 * `not` and parentheses, over selectors such as `Service.Meta.version` or `Service.Tags`.
 * Anything else is refused, as Consul refuses an expression it cannot compile (HTTP 400).
 */
export class FilterError extends Error {}

type Token =
  | { t: 'str'; v: string }
  | { t: 'word'; v: string }
  | { t: 'op'; v: '==' | '!=' | '(' | ')' };

type Node =
  | { k: 'and' | 'or'; l: Node; r: Node }
  | { k: 'not'; e: Node }
  | { k: 'eq' | 'ne' | 'contains' | 'ncontains'; sel: string; value: string }
  | { k: 'empty' | 'nempty'; sel: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'is', 'empty', 'matches', 'like']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === '`') {
      let v = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (c === '"' && text[i] === '\\' && i + 1 < text.length) i++;
        v += text[i++];
      }
      if (text[i] !== c) throw new FilterError('unterminated string');
      i++;
      out.push({ t: 'str', v });
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      out.push({ t: 'op', v: text.slice(i, i + 2) as '==' | '!=' });
      i += 2;
    } else if (c === '(' || c === ')') {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_.\-:/]+/.exec(text.slice(i));
      if (!m) throw new FilterError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export function compileFilter(text: string): (subject: unknown) => boolean {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (v: string) => peek()?.t === 'word' && peek()?.v === v;
  const take = () => {
    const t = tokens[pos++];
    if (!t) throw new FilterError('unexpected end of expression');
    return t;
  };
  const expectWord = (v: string) => {
    const t = take();
    if (t.t !== 'word' || t.v !== v) throw new FilterError(`expected "${v}"`);
  };
  const selector = () => {
    const t = take();
    if (t.t !== 'word' || KEYWORDS.has(t.v) || !/^[A-Za-z]/.test(t.v)) {
      throw new FilterError(`expected a selector, got ${JSON.stringify(t.v)}`);
    }
    return t.v;
  };
  const value = () => {
    const t = take();
    if (t.t === 'op' || (t.t === 'word' && KEYWORDS.has(t.v)))
      throw new FilterError('expected a value');
    return t.v;
  };
  const orExpr = (): Node => {
    let l = andExpr();
    while (isWord('or')) {
      pos++;
      l = { k: 'or', l, r: andExpr() };
    }
    return l;
  };
  const andExpr = (): Node => {
    let l = unary();
    while (isWord('and')) {
      pos++;
      l = { k: 'and', l, r: unary() };
    }
    return l;
  };
  const unary = (): Node => {
    if (isWord('not')) {
      pos++;
      return { k: 'not', e: unary() };
    }
    const t = peek();
    if (t?.t === 'op' && t.v === '(') {
      pos++;
      const e = orExpr();
      const close = take();
      if (close.t !== 'op' || close.v !== ')') throw new FilterError('expected ")"');
      return e;
    }
    return match();
  };
  const match = (): Node => {
    const first = peek();
    // `"v2" in Service.Tags` starts with a value; `Service.Tags contains "v2"` with a selector.
    const startsWithValue =
      first?.t === 'str' ||
      (first?.t === 'word' &&
        tokens[pos + 1]?.t === 'word' &&
        (tokens[pos + 1]?.v === 'in' ||
          (tokens[pos + 1]?.v === 'not' && tokens[pos + 2]?.v === 'in')));
    if (startsWithValue) {
      const v = value();
      let negate = false;
      if (isWord('not')) {
        pos++;
        negate = true;
      }
      expectWord('in');
      return { k: negate ? 'ncontains' : 'contains', sel: selector(), value: v };
    }
    const sel = selector();
    const op = take();
    if (op.t === 'op' && (op.v === '==' || op.v === '!='))
      return { k: op.v === '==' ? 'eq' : 'ne', sel, value: value() };
    if (op.t === 'word' && op.v === 'contains') return { k: 'contains', sel, value: value() };
    if (op.t === 'word' && op.v === 'not') {
      expectWord('contains');
      return { k: 'ncontains', sel, value: value() };
    }
    if (op.t === 'word' && op.v === 'is') {
      let negate = false;
      if (isWord('not')) {
        pos++;
        negate = true;
      }
      expectWord('empty');
      return { k: negate ? 'nempty' : 'empty', sel };
    }
    throw new FilterError(`unsupported operator ${JSON.stringify(op.v)}`);
  };
  const tree = orExpr();
  if (pos !== tokens.length) throw new FilterError(`unexpected ${JSON.stringify(tokens[pos]?.v)}`);
  return (subject) => evaluate(tree, subject);
}

function lookup(subject: unknown, selector: string): unknown {
  let at: unknown = subject;
  for (const part of selector.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function evaluate(node: Node, subject: unknown): boolean {
  switch (node.k) {
    case 'and':
      return evaluate(node.l, subject) && evaluate(node.r, subject);
    case 'or':
      return evaluate(node.l, subject) || evaluate(node.r, subject);
    case 'not':
      return !evaluate(node.e, subject);
    case 'eq':
    case 'ne': {
      const v = lookup(subject, node.sel);
      const equal = v !== undefined && v !== null && String(v) === node.value;
      return node.k === 'eq' ? equal : !equal;
    }
    case 'contains':
    case 'ncontains': {
      const v = lookup(subject, node.sel);
      const has = Array.isArray(v)
        ? v.map(String).includes(node.value)
        : typeof v === 'string'
          ? v.includes(node.value)
          : typeof v === 'object' && v !== null && node.value in v;
      return node.k === 'contains' ? has : !has;
    }
    case 'empty':
    case 'nempty': {
      const v = lookup(subject, node.sel);
      const empty =
        v === undefined ||
        v === null ||
        v === '' ||
        (Array.isArray(v) && v.length === 0) ||
        (typeof v === 'object' && Object.keys(v as object).length === 0);
      return node.k === 'empty' ? empty : !empty;
    }
  }
}
