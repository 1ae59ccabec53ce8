import { answer } from '../engine/answer';
import type { ServedRuleset } from '../engine/answer';
import type { EvaluationResponse } from '../engine/response-types';
import type { FieldError } from '../lib/field-error';
import { mapFhir } from '../fhir/map';
import type { FhirMapping, NativeBody } from '../fhir/map';
import { relocate } from '../fhir/pointers';
import { cardsFor } from './cards';
import type { CdsResponse } from './cards';
import { FhirUnavailable, fetchQuery, fillTemplate, usableServer } from './fhir-client';
import { cdsServices } from './services';
import type { CdsService } from './services';

/**
 * The CDS Hooks channel: a hook request → FHIR data (prefetch, else the client's FHIR server) →
 * the FHIR mapper → the one use case `answer` → cards. It decides nothing clinical itself.
 */

export interface CdsCallDeps {
  readonly served: ServedRuleset;
  readonly now: () => Date;
  readonly fhirTimeoutMs: number;
  readonly allowHttpFhirServer: boolean;
  /** FHIR base URLs the service may read from (CDS_FHIR_SERVERS). */
  readonly fhirServers: readonly string[];
  /** The service's own base URL (for rule links on cards). */
  readonly baseUrl: string;
}

export interface OperationOutcome {
  readonly resourceType: 'OperationOutcome';
  readonly issue: readonly {
    readonly severity: 'error';
    readonly code: string;
    readonly diagnostics: string;
  }[];
}

export type CdsOutcome =
  | {
      readonly kind: 'ok';
      readonly body: CdsResponse;
      readonly response: EvaluationResponse;
      readonly seconds: number;
    }
  | { readonly kind: 'unknown-service' }
  | { readonly kind: 'invalid'; readonly detail: string; readonly errors: readonly FieldError[] }
  | {
      readonly kind: 'rejected';
      readonly code: 'INVALID-REQUEST' | 'INCONSISTENT-REQUEST';
      readonly detail: string;
      readonly errors: readonly FieldError[];
    }
  | { readonly kind: 'precondition-failed'; readonly outcome: OperationOutcome };

const UUID = /^(urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function findService(served: ServedRuleset, id: string): CdsService | undefined {
  return cdsServices(served.ruleset.catalog).find((s) => s.id === id);
}

/** What the CDS Hooks 2.0 request model and the hook's context require. */
export function requestErrors(service: CdsService, body: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const need = (pointer: string, message: string): void => {
    errors.push({ pointer, code: 'invalid', message });
  };
  if (!isObject(body)) {
    need('', 'must be a CDS Hooks request object');
    return errors;
  }
  if (!isText(body.hook)) need('/hook', 'is required');
  else if (body.hook !== service.hook) need('/hook', `must be "${service.hook}" for this service`);
  if (!isText(body.hookInstance)) need('/hookInstance', 'is required');
  else if (!UUID.test(body.hookInstance)) need('/hookInstance', 'must be a UUID');
  if (!isObject(body.context)) need('/context', 'is required');
  else {
    const c = body.context;
    if (!isText(c.userId)) need('/context/userId', 'is required');
    if (!isText(c.patientId)) need('/context/patientId', 'is required');
    if (service.hook === 'order-select') {
      if (!Array.isArray(c.selections) || !c.selections.every(isText))
        need('/context/selections', 'is required (an array of resource references)');
      if (!isObject(c.draftOrders) || c.draftOrders.resourceType !== 'Bundle')
        need('/context/draftOrders', 'is required (a FHIR Bundle)');
    }
  }
  if (body.fhirServer !== undefined && !isText(body.fhirServer))
    need('/fhirServer', 'must be a URL');
  if (body.fhirAuthorization !== undefined) {
    const a = body.fhirAuthorization;
    // cds-r-1: fhirAuthorization implies fhirServer.
    if (!isText(body.fhirServer)) need('/fhirServer', 'is required with fhirAuthorization');
    if (!isObject(a)) need('/fhirAuthorization', 'must be an object');
    else {
      if (!isText(a.access_token)) need('/fhirAuthorization/access_token', 'is required');
      if (a.token_type !== 'Bearer') need('/fhirAuthorization/token_type', 'must be "Bearer"');
      if (typeof a.expires_in !== 'number') need('/fhirAuthorization/expires_in', 'is required');
      if (!isText(a.scope)) need('/fhirAuthorization/scope', 'is required');
      if (!isText(a.subject)) need('/fhirAuthorization/subject', 'is required');
    }
  }
  if (body.prefetch !== undefined && !isObject(body.prefetch))
    need('/prefetch', 'must be an object');
  return errors;
}

function outcome(code: string, diagnostics: string): CdsOutcome {
  return {
    kind: 'precondition-failed',
    outcome: {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code, diagnostics }],
    },
  };
}

/** `Practitioner/123` → `{ userPractitionerId: '123' }`: the spec's user tokens. */
function userTokens(userId: unknown): Record<string, string> {
  const m =
    typeof userId === 'string'
      ? /^(Practitioner|PractitionerRole|Patient|RelatedPerson)\/(.+)$/.exec(userId)
      : null;
  return m?.[1] !== undefined && m[2] !== undefined ? { [`user${m[1]}Id`]: m[2] } : {};
}

/**
 * A prefetch value that reports the client's failure to fetch it: an OperationOutcome, or a
 * search Bundle carrying one with an error (CDS Hooks 2.0: errors are sent as OperationOutcomes).
 */
function fetchFailed(value: Json): boolean {
  const isError = (r: unknown): boolean =>
    isObject(r) &&
    r.resourceType === 'OperationOutcome' &&
    Array.isArray(r.issue) &&
    r.issue.some((i) => isObject(i) && (i.severity === 'error' || i.severity === 'fatal'));
  if (value.resourceType === 'OperationOutcome') return true;
  return (
    value.resourceType === 'Bundle' &&
    Array.isArray(value.entry) &&
    value.entry.some((e) => isObject(e) && isError(e.resource))
  );
}

/** The prefetch values, with what the client did not send read from its FHIR server. */
async function gather(
  deps: CdsCallDeps,
  service: CdsService,
  body: Json,
): Promise<unknown[] | CdsOutcome> {
  const templates = service.prefetch;
  const prefetch = isObject(body.prefetch) ? body.prefetch : {};
  const data: unknown[] = [];
  const missing: [string, string][] = [];
  for (const [key, template] of Object.entries(templates)) {
    const value = prefetch[key];
    // CDS Hooks 2.0: `null` is a key the client satisfied with no data (nothing to read); an
    // OperationOutcome is one it failed to fetch, so the data is still missing, not absent.
    if (value === null && key in prefetch) continue;
    if (isObject(value) && !fetchFailed(value)) data.push(value);
    else missing.push([key, template]);
  }
  if (missing.length === 0) return data;
  const server = isText(body.fhirServer) ? body.fhirServer : undefined;
  if (server === undefined)
    return outcome(
      'not-found',
      `Prefetch ${missing.map(([k]) => k).join(', ')} missing and no fhirServer to read it from.`,
    );
  if (!usableServer(server, deps.allowHttpFhirServer, deps.fhirServers))
    return outcome(
      'forbidden',
      `Prefetch ${missing.map(([k]) => k).join(', ')} missing and fhirServer is not usable: ` +
        'it must be an https URL under a FHIR base URL this service is configured to read from.',
    );
  const auth = isObject(body.fhirAuthorization) ? body.fhirAuthorization : {};
  const context = isObject(body.context) ? body.context : {};
  const user = userTokens(context.userId);
  try {
    const pages = await Promise.all(
      missing.map(async ([key, template]) => {
        const query = fillTemplate(template, context, user, deps.now());
        if (query === undefined)
          throw new FhirUnavailable(`prefetch ${key} has a token with no value`);
        return fetchQuery(query, {
          fhirServer: server,
          ...(isText(auth.access_token) ? { accessToken: auth.access_token } : {}),
          timeoutMs: deps.fhirTimeoutMs,
          allowHttp: deps.allowHttpFhirServer,
          allowList: deps.fhirServers,
        });
      }),
    );
    return [...data, ...pages.flat()];
  } catch (error) {
    return outcome(
      'transient',
      error instanceof FhirUnavailable
        ? `FHIR server not usable: ${error.message}.`
        : 'FHIR server not usable.',
    );
  }
}

function rejected(mapping: Extract<FhirMapping, { ok: false }>): CdsOutcome {
  const notFhir = mapping.errors.some((e) => e.code === 'not-fhir');
  return {
    kind: 'rejected',
    code: notFhir ? 'INVALID-REQUEST' : 'INCONSISTENT-REQUEST',
    detail: notFhir
      ? 'Prefetch values must be FHIR resources.'
      : 'See errors[] for the FHIR element at fault.',
    errors: mapping.errors,
  };
}

export async function callService(
  deps: CdsCallDeps,
  service: CdsService,
  body: unknown,
): Promise<CdsOutcome> {
  const errors = requestErrors(service, body);
  if (errors.length > 0 || !isObject(body))
    return { kind: 'invalid', detail: 'The CDS Hooks request is not valid; see errors[].', errors };
  const gathered = await gather(deps, service, body);
  if (!Array.isArray(gathered)) return gathered;
  const { catalog } = deps.served.ruleset;
  const asOf = deps.now();
  const context = body.context as Json;
  const drafts = service.hook === 'order-select' ? [context.draftOrders] : [];
  const mapping = mapFhir(catalog, gathered, { asOf, draftOrders: drafts });
  if (!mapping.ok) return rejected(mapping);

  // Order-select: supplements the patient takes are checked against the drafted drugs too.
  const takenUnderReview = new Set<string>();
  const changedByDrafts = new Set<string>();
  const draftsDrugs = mapping.drafts.some((d) => d.intervention === undefined);
  const review = (b: NativeBody): NativeBody => {
    if (!draftsDrugs) return b;
    const requested = [...(b.requested ?? [])];
    for (const s of b.supplements ?? [])
      if (!requested.includes(s.id)) {
        requested.push(s.id);
        takenUnderReview.add(s.id);
      }
    return requested.length > 0 ? { ...b, requested } : b;
  };
  const options = { traceFull: false, now: () => asOf };
  const answered = answer(deps.served, review(mapping.body), options);
  if (!answered.ok)
    return {
      kind: 'rejected',
      code: answered.rejection.code,
      detail: answered.rejection.detail,
      errors: relocate(answered.rejection.errors, mapping.pointers),
    };
  if (takenUnderReview.size > 0) {
    const before = mapFhir(catalog, gathered, { asOf });
    const baseline = before.ok ? answer(deps.served, review(before.body), options) : undefined;
    const statusBefore = new Map(
      baseline?.ok === true ? baseline.response.interventions.map((i) => [i.id, i.status]) : [],
    );
    for (const i of answered.response.interventions)
      if (takenUnderReview.has(i.id) && statusBefore.get(i.id) !== i.status)
        changedByDrafts.add(i.id);
  }
  const response: EvaluationResponse = {
    ...answered.response,
    dataIssues: relocate(answered.response.dataIssues, mapping.pointers),
  };
  return {
    kind: 'ok',
    body: cardsFor({
      catalog,
      response,
      baseUrl: deps.baseUrl,
      drafts: mapping.drafts,
      takenUnderReview,
      changedByDrafts,
    }),
    response,
    seconds: answered.seconds,
  };
}

/** CDS Hooks feedback (cds-fb-1..3): the number of valid entries and their outcomes. */
export function feedbackErrors(body: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const need = (pointer: string, message: string): void => {
    errors.push({ pointer, code: 'invalid', message });
  };
  if (!isObject(body) || !Array.isArray(body.feedback) || body.feedback.length === 0) {
    need('/feedback', 'is required (a non-empty array)');
    return errors;
  }
  body.feedback.forEach((f: unknown, i) => {
    const at = `/feedback/${String(i)}`;
    if (!isObject(f)) {
      need(at, 'must be an object');
      return;
    }
    if (!isText(f.card) || !UUID.test(f.card)) need(`${at}/card`, 'must be the card uuid');
    if (f.outcome !== 'accepted' && f.outcome !== 'overridden')
      need(`${at}/outcome`, 'must be "accepted" or "overridden"');
    if (f.outcome === 'accepted') {
      const accepted = f.acceptedSuggestions;
      if (!Array.isArray(accepted) || accepted.length === 0)
        need(`${at}/acceptedSuggestions`, 'is required when the outcome is accepted');
      else
        accepted.forEach((s: unknown, j) => {
          if (!isObject(s) || !isText(s.id) || !UUID.test(s.id))
            need(`${at}/acceptedSuggestions/${String(j)}/id`, 'must be a suggestion uuid');
        });
    }
    if (f.overrideReason !== undefined) {
      const o = f.overrideReason;
      if (!isObject(o) || (o.reason === undefined && o.userComment === undefined))
        need(`${at}/overrideReason`, 'must hold a reason, a userComment, or both');
      else if (o.reason !== undefined && (!isObject(o.reason) || !isText(o.reason.code)))
        need(`${at}/overrideReason/reason`, 'must be a Coding');
    }
    if (!isText(f.outcomeTimestamp) || Number.isNaN(Date.parse(f.outcomeTimestamp)))
      need(`${at}/outcomeTimestamp`, 'must be an ISO 8601 instant');
  });
  return errors;
}
