import { UsageError } from '../errors/errors.js';

// systemd expands `%` specifiers in almost every setting, so a literal `%` is always written `%%`.
const doublePercent = (s: string): string => s.replace(/%/g, '%%');

// Inside quotes systemd applies C-style unescaping, so backslashes and quotes need a backslash.
const cQuote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * One word of an `ExecStart=` line. Besides `%`, systemd substitutes `$NAME` in command lines, so a
 * literal `$` is written `$$`. Words with whitespace, quotes, backslashes or `;` are quoted.
 */
export function systemdExecArg(arg: string): string {
  return quoteWord(doublePercent(arg).replace(/\$/g, '$$$$'), arg);
}

/**
 * The executable, first word of `ExecStart=`. Unlike the arguments it is not subject to `$`
 * substitution (systemd looks up the literal path), so only `%` is doubled.
 */
export function systemdExecPath(path: string): string {
  return quoteWord(doublePercent(path), path);
}

const quoteWord = (escaped: string, raw: string): string =>
  raw === '' || /[\s"'\\;]/.test(raw) ? cQuote(escaped) : escaped;

/** One `NAME=value` item of an `Environment=` line: quoted, `%` doubled; `$` is literal there. */
export function systemdEnvAssignment(name: string, value: string): string {
  return cQuote(doublePercent(`${name}=${value}`));
}

/**
 * A path setting such as `WorkingDirectory=`: taken verbatim after specifier expansion, so spaces
 * need no quoting. A trailing backslash would continue the line, so it is refused.
 */
export function systemdPath(path: string): string {
  if (path.endsWith('\\')) {
    throw new UsageError(`service: path ${JSON.stringify(path)} ends with a backslash`);
  }
  return doublePercent(path);
}

/** A `file:` URI for `Documentation=`, each segment percent-encoded, then `%` doubled. */
export function systemdFileUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return doublePercent(`file://${encoded}`);
}
