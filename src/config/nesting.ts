/**
 * How deeply a raw config value is nested. The config's own shape is at most five levels deep, but
 * `JSON.parse` accepts any depth, and the recursive steps after it (`structuredClone` for the
 * environment overrides, `JSON.stringify` when a bad value is shown) overflow the stack on a
 * value nested a few thousand levels deep. So the depth is measured first, without recursion.
 */
import type { ConfigProblem } from '../errors/errors.js';

/** Deeper than any key the config has (`delivery.ews.auth.type` is four levels), with room to spare. */
export const MAX_CONFIG_DEPTH = 32;

/**
 * The first top-level key under which `value` is nested deeper than `maxDepth` (objects and
 * arrays both count a level), or undefined when it is not. Iterative: safe at any depth.
 */
export function findTooDeep(value: unknown, maxDepth = MAX_CONFIG_DEPTH): string | undefined {
  if (!isContainer(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (depthOf(child, maxDepth) > maxDepth - 1) return Array.isArray(value) ? `[${key}]` : key;
  }
  return undefined;
}

/** The config problem for a value nested too deeply, or none. */
export function nestingProblem(value: unknown, maxDepth = MAX_CONFIG_DEPTH): ConfigProblem[] {
  const key = findTooDeep(value, maxDepth);
  if (key === undefined) return [];
  return [
    {
      key,
      message: `is nested more than ${maxDepth} levels deep, far below any key the config has (the deepest, delivery.ews.auth.type, is 4 levels down); is this the right file?`,
    },
  ];
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Depth of a value, counting stops once it passes `limit` (so a huge value costs little). */
function depthOf(root: unknown, limit: number): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (!isContainer(value)) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(value)) stack.push({ value: child, depth: here });
  }
  return deepest;
}
