import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { loadCases, requestOf } from '../../src/regression/case';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { createApp } from '../../src/http/app';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import { shippedRuleset } from '../support/app';
import { nativeToFhir } from '../support/fhir';
import { responseViolations } from './support';

/**
 * For every regression case FHIR can express, the CDS Hooks answer's embedded evaluation has
 * the same red flags, intervention statuses and reasons, and data issue codes as
 * POST /v1/evaluations on the native request.
 */
const { cases } = loadCases(path.join(__dirname, '..', 'regression', 'cases'));
const ruleset = shippedRuleset();
const apps = new Map<string, RequestListener>();
function appAt(asOf: string): RequestListener {
  let app = apps.get(asOf);
  if (!app) {
    const store = new RulesetStore();
    store.set(ruleset);
    app = createApp({ store, logger: createLogger('error', []), now: () => new Date(asOf) });
    apps.set(asOf, app);
  }
  return app;
}

interface Outcome {
  redFlags: string[];
  interventions: string[];
  dataIssues: string[];
}

function native(r: EvaluationResponse): Outcome {
  return {
    redFlags: r.redFlags.map((f) => f.code).sort(),
    interventions: r.interventions
      .map(
        (i) =>
          `${i.id}:${i.status}:${i.reasons
            .map((x) => x.code)
            .sort()
            .join(',')}`,
      )
      .sort(),
    dataIssues: [...new Set(r.dataIssues.map((d) => d.code))].sort(),
  };
}

function embedded(ext: Record<string, unknown>): Outcome {
  const list = <T>(k: string) => (ext[k] ?? []) as T[];
  return {
    redFlags: list<{ code: string }>('redFlags')
      .map((f) => f.code)
      .sort(),
    interventions: list<{ id: string; status: string; reasons?: { code: string }[] }>(
      'interventions',
    )
      .map(
        (i) =>
          `${i.id}:${i.status}:${(i.reasons ?? [])
            .map((x) => x.code)
            .sort()
            .join(',')}`,
      )
      .sort(),
    dataIssues: [...new Set(list<{ code: string }>('dataIssues').map((d) => d.code))].sort(),
  };
}

const expressible = cases
  .map((c) => ({
    c,
    fhir: nativeToFhir(ruleset.catalog, c.request, new Date(c.asOf)),
  }))
  .filter((x) => x.fhir !== undefined);

describe('CDS Hooks ≡ /v1/evaluations on the regression cases', () => {
  it('covers most regression cases', () => {
    expect(expressible.length).toBeGreaterThan(cases.length / 2);
  });

  it.each(expressible.map((x) => [x.c.name, x] as const))('%s', async (_name, { c, fhir }) => {
    const app = appAt(c.asOf);
    const nativeRes = await request(app).post('/v1/evaluations').send(requestOf(c));
    expect(nativeRes.status).toBe(200);
    const searchset = (entry: unknown[] = []) => ({
      resourceType: 'Bundle',
      type: 'searchset',
      entry,
    });
    const entries = fhir!.bundle.entry as { resource: Record<string, unknown> }[];
    const prefetch = {
      patient: entries[0]!.resource,
      observations: searchset(entries.slice(1)),
      questionnaireResponses: searchset(),
      medicationStatements: searchset(),
      medicationRequests: searchset(),
      conditions: searchset(),
      medicationList: searchset(),
    };
    const drafts = fhir!.drafts;
    const hook = drafts.length > 0 ? 'order-select' : 'patient-view';
    const id =
      drafts.length > 0 ? 'supplement-drug-interaction-check' : 'neurotransmitter-balance-review';
    const context = {
      userId: 'Practitioner/x',
      patientId: 'p1',
      ...(drafts.length > 0
        ? {
            selections: drafts.map((d) => `MedicationRequest/${String(d.id)}`),
            draftOrders: {
              resourceType: 'Bundle',
              type: 'collection',
              entry: drafts.map((resource) => ({ resource })),
            },
          }
        : {}),
    };
    const res = await request(app)
      .post(`/cds-services/${id}`)
      .send({ hook, hookInstance: randomUUID(), context, prefetch });
    expect(res.status).toBe(200);
    expect(responseViolations(res.body)).toEqual([]);
    const ext = (res.body as { extension: Record<string, Record<string, unknown>> }).extension[
      'org.neurotransmitter-cds.evaluation'
    ]!;
    expect(embedded(ext)).toEqual(native(nativeRes.body as EvaluationResponse));
  });
});
