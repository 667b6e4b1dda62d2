/**
 * Whether two folders overlap: the same, or one inside the other. A spool folder that overlaps the
 * state folder makes the daemon take its own state files as spool items (and a second daemon,
 * watching the state through its spool, starts on the same state). Pure: the path flavour and
 * whether names compare case-insensitively are given, so Windows rules are tested anywhere.
 */
import path, { type PlatformPath } from 'node:path';

/** How `a` relates to `b`, or undefined when they are apart. */
export type Overlap = 'same' | 'inside' | 'contains';

export interface OverlapRules {
  /** `path.win32` or `path.posix`; defaults to this platform's. */
  pathApi?: PlatformPath;
  /** Windows and macOS (by default) compare names without regard to case. */
  caseInsensitive?: boolean;
}

/** The rules of the platform this runs on. */
export function platformRules(
  platform: NodeJS.Platform = process.platform,
): Required<OverlapRules> {
  return {
    pathApi: platform === 'win32' ? path.win32 : path.posix,
    caseInsensitive: platform === 'win32' || platform === 'darwin',
  };
}

/** How folder `a` relates to folder `b`, after resolving both (`..`, `.`, trailing separators). */
export function overlapOf(a: string, b: string, rules: OverlapRules = {}): Overlap | undefined {
  const { pathApi, caseInsensitive } = { ...platformRules(), ...rules };
  const fold = (p: string): string => {
    const resolved = pathApi.resolve(p);
    return caseInsensitive ? resolved.toLowerCase() : resolved;
  };
  const ra = fold(a);
  const rb = fold(b);
  if (ra === rb) return 'same';
  if (isInside(ra, rb, pathApi)) return 'inside';
  if (isInside(rb, ra, pathApi)) return 'contains';
  return undefined;
}

function isInside(child: string, parent: string, pathApi: PlatformPath): boolean {
  const rel = pathApi.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${pathApi.sep}`) && !pathApi.isAbsolute(rel); // prettier-ignore
}
