import { readSchema } from '../lib/schemas';

/**
 * The served OpenAPI 3.1 document: schemas/openapi.json with its external schema references
 * replaced by the schemas themselves (the request schema carrying the loaded catalog's ids).
 */
export function buildOpenApi(requestSchema: Record<string, unknown>): Record<string, unknown> {
  const doc = readSchema('openapi.json');
  const components = doc.components as { schemas: Record<string, unknown> };
  const inline: Record<string, Record<string, unknown>> = {
    './evaluation-request.schema.json': requestSchema,
    './evaluation-response.schema.json': readSchema('evaluation-response.schema.json'),
    './problem.schema.json': readSchema('problem.schema.json'),
  };
  for (const [name, value] of Object.entries(components.schemas)) {
    const ref = (value as { $ref?: string }).$ref;
    if (ref !== undefined && ref in inline) {
      const { $schema: _ignored, ...schema } = inline[ref] ?? {};
      components.schemas[name] = schema;
    }
  }
  return doc;
}
