/**
 * Validates a report object against docs/report.schema.json (JSON Schema draft 2020-12). Used by tests and by
 * the CLI's self-check; compiled once on first use.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const SCHEMA_URL = new URL('../../docs/report.schema.json', import.meta.url);

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

let validator: ValidateFunction | null = null;

export function reportSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function compiled(): ValidateFunction {
  if (validator === null) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats(ajv);
    validator = ajv.compile(reportSchema());
  }
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(report)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail = '';
  if (Array.isArray(params.allowedValues)) detail = `: ${(params.allowedValues as unknown[]).join(', ')}`;
  else if (typeof params.additionalProperty === 'string') detail = `: "${params.additionalProperty}"`;
  else if (typeof params.propertyName === 'string') detail = ` (property "${params.propertyName}")`;
  return `${where} ${error.message ?? 'is invalid'}${detail}`;
}

/** Problems with `report`, one readable line each ("/assets/0/roles/0 must be equal to one of the allowed values: plc, ..."); empty when valid. */
export function validateReport(report: unknown): string[] {
  const validate = compiled();
  if (validate(report)) return [];
  return (validate.errors ?? []).map(describe);
}
