import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './paths';

export function schemaDir(): string {
  return path.join(projectRoot(), 'schemas');
}

export function readSchema(name: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(schemaDir(), name), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/** ajv as the house uses it: strict, first error only (untrusted input), no $data. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: false, $data: false, allowUnionTypes: true });
  addFormats(ajv, ['date-time', 'date']);
  return ajv;
}

export type { ErrorObject, ValidateFunction };
