// Generated from schemas/problem.schema.json by `npm run types:generate`. Do not edit: change the
// schema and generate again (CI checks that this file matches the schema).
/**
 * RFC 9457 problem details, with a stable code and, for invalid input, JSON pointers.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: {
    pointer: string;
    code: string;
    message: string;
  }[];
}
