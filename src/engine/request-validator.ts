import type { ErrorObject, ValidateFunction } from '../lib/schemas';
import { createAjv, readSchema } from '../lib/schemas';
import type { Catalog } from '../rules/catalog';
import type { EvaluationRequest } from '../facts/request-types';
import type { FieldError } from '../lib/field-error';

export interface RequestValidator {
  /** The request schema with the loaded catalog's ids as enums (served in /openapi.json too). */
  readonly schema: Record<string, unknown>;
  validate(
    body: unknown,
  ): { ok: true; request: EvaluationRequest } | { ok: false; errors: FieldError[] };
}

/** Fills the identifier $defs of the request schema with this catalog's ids. */
export function requestSchemaFor(catalog: Catalog): Record<string, unknown> {
  const schema = readSchema('evaluation-request.schema.json');
  const defs = schema.$defs as Record<string, Record<string, unknown>>;
  const enumOf = (ids: Iterable<string>, description: string): Record<string, unknown> => ({
    description,
    enum: [...ids].sort(),
  });
  defs.analyteId = enumOf(catalog.analytes.keys(), 'An analyte id from GET /v1/catalog.');
  defs.symptomId = enumOf(catalog.symptoms, 'A symptom id from GET /v1/catalog.');
  defs.questionnaireId = enumOf(
    catalog.questionnaires.keys(),
    'A questionnaire id from GET /v1/catalog.',
  );
  defs.interventionId = enumOf(
    catalog.interventions.keys(),
    'An intervention id from GET /v1/catalog.',
  );
  defs.labId = enumOf(catalog.labs.keys(), 'A lab profile id from GET /v1/catalog.');
  return schema;
}

/** Own words for each keyword, so no library message leaves the service. */
function describe(e: ErrorObject): { pointer: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${e.instancePath}/${String(p.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return {
        pointer: `${e.instancePath}/${String(p.additionalProperty)}`,
        message: 'is not an allowed field',
      };
    case 'enum':
      return {
        pointer: e.instancePath,
        message: 'is not one of the allowed values (see GET /v1/catalog)',
      };
    case 'type':
      return { pointer: e.instancePath, message: `must be of type ${String(p.type)}` };
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return {
        pointer: e.instancePath,
        message: `must be ${String(p.comparison)} ${String(p.limit)}`,
      };
    case 'maxItems':
      return { pointer: e.instancePath, message: `must have at most ${String(p.limit)} items` };
    case 'maxLength':
      return { pointer: e.instancePath, message: `must be at most ${String(p.limit)} characters` };
    case 'minLength':
      return { pointer: e.instancePath, message: `must be at least ${String(p.limit)} characters` };
    case 'pattern':
      return { pointer: e.instancePath, message: 'does not have the expected form' };
    case 'format':
      return { pointer: e.instancePath, message: `must be a ${String(p.format)}` };
    case 'anyOf':
    case 'oneOf':
      return { pointer: e.instancePath, message: 'does not match any allowed shape' };
    default:
      return { pointer: e.instancePath, message: 'is not valid' };
  }
}

export function createRequestValidator(catalog: Catalog): RequestValidator {
  const schema = requestSchemaFor(catalog);
  const ajv = createAjv();
  const fn: ValidateFunction = ajv.compile(schema);
  return {
    schema,
    validate(body) {
      if (fn(body)) return { ok: true, request: body as EvaluationRequest };
      const errors = (fn.errors ?? [])
        .slice(0, 1)
        .map((e) => ({ ...describe(e), code: e.keyword }));
      return { ok: false, errors };
    },
  };
}
