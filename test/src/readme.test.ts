import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

describe('README', () => {
  it('shows examples/src/quickstart.ts exactly (the file CI typechecks)', () => {
    const readme = read('README.md');
    const begin = readme.indexOf('<!-- example:quickstart');
    const end = readme.indexOf('<!-- example:end -->');
    expect(begin).toBeGreaterThan(0);
    const block = readme.slice(
      readme.indexOf('```ts\n', begin) + 6,
      readme.lastIndexOf('\n```', end),
    );
    expect(block).toBe(read('examples/src/quickstart.ts').trimEnd());
  });

  it('opens with the two commands a newcomer runs', () => {
    const firstBlock = read('README.md').split('```sh\n')[1]!.split('```')[0]!;
    expect(firstBlock).toMatch(/^npm install && npm run demo/m);
    expect(firstBlock).toMatch(/^npm test/m);
    expect(read('.ci/run')).toMatch(/npm test/);
  });
});

describe('docs/writing-a-policy.md', () => {
  it('shows examples/src/policies/shed-when-late.ts exactly (the file CI typechecks and tests)', () => {
    const doc = read('docs/writing-a-policy.md');
    const begin = doc.indexOf('<!-- example:shed-when-late');
    const end = doc.indexOf('<!-- example:end -->', begin);
    expect(begin).toBeGreaterThan(0);
    const block = doc.slice(doc.indexOf('```ts\n', begin) + 6, doc.lastIndexOf('\n```', end));
    expect(block).toBe(read('examples/src/policies/shed-when-late.ts').trimEnd());
  });
});
