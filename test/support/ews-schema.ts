import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Microsoft's EWS schema, kept beside the project in ../shared/ews-schema; `IMSPOOLER_EWS_SCHEMA_DIR`
 * names another folder (a git worktree elsewhere has no ../shared beside it).
 */
export const EWS_MESSAGES_XSD = process.env.IMSPOOLER_EWS_SCHEMA_DIR
  ? path.resolve(process.env.IMSPOOLER_EWS_SCHEMA_DIR, 'messages.xsd')
  : path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../shared/ews-schema/messages.xsd',
    );
export const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
export const hasEwsSchema = existsSync(EWS_MESSAGES_XSD);
/** Why schema checks cannot run here, or undefined when they can. */
export const schemaSkipReason: string | undefined = !hasXmllint
  ? 'xmllint not found (Debian: apt-get install libxml2-utils)'
  : !hasEwsSchema
    ? `EWS schema not found at ${EWS_MESSAGES_XSD}`
    : undefined;

/**
 * The element inside soap:Body as its own document, with the envelope's namespace declarations
 * copied onto it (ews-javascript-api declares m: and t: on the envelope only).
 */
export function soapBodyElement(envelope: string): string {
  const inner = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(envelope)?.[1];
  if (!inner) throw new Error('no soap:Body in request');
  const rootAttrs = /^<soap:Envelope([^>]*)>/.exec(envelope)?.[1] ?? '';
  const decls = [...rootAttrs.matchAll(/\sxmlns:(\w+)="[^"]*"/g)]
    .filter((m) => m[1] !== 'soap' && !new RegExp(`^<\\w+:\\w+[^>]*\\sxmlns:${m[1]}=`).test(inner))
    .map((m) => m[0])
    .join('');
  return inner.replace(/^<([\w:]+)/, `<$1${decls}`);
}

/** Validates a SOAP request's body against messages.xsd; throws with xmllint's words if invalid. */
export async function validateEwsRequest(envelope: string, label = 'request'): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imspooler-xsd-'));
  const file = path.join(dir, `${label.replace(/[^\w-]/g, '_')}.xml`);
  try {
    await fs.writeFile(file, soapBodyElement(envelope), 'utf8');
    execFileSync('xmllint', ['--noout', '--schema', EWS_MESSAGES_XSD, file], { stdio: 'pipe' });
  } catch (e) {
    const out = e as { stderr?: Buffer };
    throw new Error(`xmllint rejected ${label}:\n${out.stderr?.toString() ?? String(e)}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
