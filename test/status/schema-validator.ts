import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The repository's JSON Schemas for `status --json` and `show --json`, compiled with ajv 8. */
function load(name: string): object {
  return JSON.parse(
    readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8'),
  ) as object;
}

// strictRequired is off: "required" inside if/then names properties declared at the level above.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);

export const validateStatus = ajv.compile(load('status.schema.json'));
export const validateShow = ajv.compile(load('show.schema.json'));

/** Validates and returns the errors as readable text ('' when valid), for `expect(...).toBe('')`. */
export function schemaErrors(validate: typeof validateStatus, doc: unknown): string {
  return validate(doc) ? '' : ajv.errorsText(validate.errors, { separator: '\n' });
}
