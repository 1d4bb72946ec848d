/** The object at `node[key]`, created empty if missing: for building nested option trees. */
export function childObject(node: Record<string, unknown>, key: string): Record<string, unknown> {
  if (node[key] === undefined) node[key] = {};
  return node[key] as Record<string, unknown>;
}

/** Freezes plain objects all the way down; class instances (a Discovery, a Balancer) are left as they are. */
export function deepFreeze<T>(value: T): T {
  if (
    typeof value === 'object' &&
    value !== null &&
    !Object.isFrozen(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
