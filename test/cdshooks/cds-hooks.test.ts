import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CdsHooksConfig } from '../../src/config';
import { SYSTEM } from '../../src/fhir/codes';
import { createApp } from '../../src/http/app';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import Transport from 'winston-transport';
import { shippedRuleset } from '../support/app';
import { responseViolations, startStubFhir } from './support';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'cds-hooks');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const NOW = new Date('2026-01-15T09:00:00Z');

class Lines extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

function cdsApp(cds: Partial<CdsHooksConfig> = {}) {
  const store = new RulesetStore();
  store.set(shippedRuleset());
  const transport = new Lines();
  const app = createApp({
    store,
    logger: createLogger('debug', [transport]),
    now: () => NOW,
    cdsHooks: {
      issuers: [],
      jkuAllowList: [],
      algorithms: ['ES384', 'RS384'],
      clockToleranceSec: 5,
      maxTokenAgeSec: 300,
      fhirTimeoutMs: 2000,
      allowHttpFhirServer: true,
      fhirServers: [],
      ...cds,
    },
  });
  return { app, logs: transport.lines };
}

const { app, logs } = cdsApp();
const PV = '/cds-services/neurotransmitter-balance-review';
const OS = '/cds-services/supplement-drug-interaction-check';

const patient = { resourceType: 'Patient', id: 'p1', birthDate: '1986-01-15', gender: 'female' };
const medList = {
  resourceType: 'List',
  id: 'L',
  status: 'current',
  mode: 'snapshot',
  code: { coding: [{ system: SYSTEM.loinc, code: '10160-0' }] },
};
const statement = (id: string, coding: Record<string, unknown>) => ({
  resourceType: 'MedicationStatement',
  id,
  status: 'active',
  medicationCodeableConcept: { coding: [coding] },
});
const searchset = (...resources: Record<string, unknown>[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
});
const fullPrefetch = (
  extra: { statements?: Record<string, unknown>[]; observations?: Record<string, unknown>[] } = {},
) => ({
  patient,
  observations: searchset(...(extra.observations ?? [])),
  questionnaireResponses: searchset(),
  medicationStatements: searchset(...(extra.statements ?? [])),
  medicationRequests: searchset(),
  conditions: searchset(),
  medicationList: searchset(medList),
});
const hookRequest = (hook: string, context: Record<string, unknown>, prefetch?: unknown) => ({
  hook,
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/example', patientId: 'p1', ...context },
  ...(prefetch === undefined ? {} : { prefetch }),
});
const draftOrder = (id: string, concept: Record<string, unknown>) => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'draft',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  medicationCodeableConcept: concept,
});
const orderSelect = (drafts: Record<string, unknown>[], prefetch: unknown) =>
  hookRequest(
    'order-select',
    {
      selections: drafts.map((d) => `MedicationRequest/${String(d.id)}`),
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: drafts.map((resource) => ({ resource })),
      },
    },
    prefetch,
  );
const item9 = (value: number) =>
  (shippedRuleset().catalog.questionnaires.get('phq-9')?.itemLoinc ?? []).map((code, i) => ({
    resourceType: 'Observation',
    id: `phq${String(i + 1)}`,
    status: 'final',
    code: { coding: [{ system: SYSTEM.loinc, code }] },
    valueInteger: i === 8 ? value : 1,
  }));

type Card = {
  summary: string;
  indicator: string;
  source: { label: string; url?: string };
  suggestions?: { actions: { type: string; resourceId: string }[] }[];
  overrideReasons?: unknown[];
};
type CdsBody = { cards: Card[]; extension: Record<string, Record<string, unknown>> };

async function call(url: string, body: unknown, on = app) {
  const res = await request(on)
    .post(url)
    .send(body as object);
  if (res.status === 200) expect(responseViolations(res.body)).toEqual([]);
  return res;
}

describe('GET /cds-services (discovery)', () => {
  it('when discovery is called, then both services are listed with token prefetch templates and LOINC searches', async () => {
    const res = await request(app).get('/cds-services');
    expect(res.status).toBe(200);
    const services = (
      res.body as { services: { id: string; hook: string; prefetch: Record<string, string> }[] }
    ).services;
    expect(services.map((s) => [s.id, s.hook])).toEqual([
      ['neurotransmitter-balance-review', 'patient-view'],
      ['supplement-drug-interaction-check', 'order-select'],
    ]);
    for (const s of services) {
      expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
      expect(s.prefetch.observations).toContain(`${SYSTEM.loinc}|44260-8`);
      expect(s.prefetch.observations).toContain(`${SYSTEM.loinc}|82810-3`);
      expect(s.prefetch.observations).toContain(`${SYSTEM.symptom}|low-mood`);
      // Only the spec's tokens: the patient id and relative dates (CDS Hooks 2.0, STU).
      for (const t of Object.values(s.prefetch))
        expect(t).not.toMatch(/\{\{(?!context\.patientId\}\}|today\(\) - \d+ days\}\})/);
      // Limited to the staleness windows of policy.staleness (90 days labs, 30 questionnaires).
      expect(s.prefetch.observations).toContain('&date=ge{{today() - 90 days}}&');
      expect(s.prefetch.questionnaireResponses).toContain('&authored=ge{{today() - 30 days}}&');
    }
  });
});

describe('POST /cds-services/{id}', () => {
  it('when patient-view has full prefetch with PHQ-9 item 9 = 3, then a critical red-flag card links to its rule', async () => {
    const res = await call(
      PV,
      hookRequest('patient-view', {}, fullPrefetch({ observations: item9(3) })),
    );
    expect(res.status).toBe(200);
    const body = res.body as CdsBody;
    const critical = body.cards.filter((c) => c.indicator === 'critical');
    expect(critical.length).toBeGreaterThan(0);
    expect(critical[0]?.source.url).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/rules\/red-flag\./);
    expect(body.cards.at(-1)?.indicator).toBe('info');
    const ext = body.extension['org.neurotransmitter-cds.evaluation']!;
    expect((ext.redFlags as { code: string }[]).map((f) => f.code)).toContain('RF-SI-HIGH');
    expect((ext.ruleset as { hash: string }).hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('when order-select drafts phenelzine while the patient takes 5-HTP, then 5-HTP is blocked with a delete suggestion for the draft', async () => {
    const res = await call(
      OS,
      orderSelect(
        [
          draftOrder('phen', {
            coding: [{ system: SYSTEM.rxnorm, code: '8123', display: 'phenelzine' }],
          }),
        ],
        fullPrefetch({ statements: [statement('htp', { system: SYSTEM.atc, code: 'N06AX01' })] }),
      ),
    );
    expect(res.status).toBe(200);
    const card = (res.body as CdsBody).cards.find(
      (c) => c.summary.includes('5-HTP') || c.summary.includes('5-Hydroxytryptophan'),
    );
    expect(card?.indicator).toBe('critical');
    expect(card?.suggestions?.[0]?.actions[0]).toMatchObject({
      type: 'delete',
      resourceId: 'MedicationRequest/phen',
    });
    expect(card?.overrideReasons?.length).toBeGreaterThan(0);
  });

  it("when order-select drafts St John's wort while on sertraline, then the draft is blocked with a delete suggestion", async () => {
    const res = await call(
      OS,
      orderSelect(
        [draftOrder('sjw', { text: "St John's wort" })],
        fullPrefetch({ statements: [statement('sert', { system: SYSTEM.rxnorm, code: '36437' })] }),
      ),
    );
    expect(res.status).toBe(200);
    const body = res.body as CdsBody;
    const card = body.cards.find((c) => c.summary.startsWith("Draft order St John's wort"));
    expect(card?.indicator).toBe('critical');
    expect(card?.summary).toContain('BLK-SERO-DRUG');
    expect(card?.suggestions?.[0]?.actions[0]).toEqual(
      expect.objectContaining({ type: 'delete', resourceId: 'MedicationRequest/sjw' }),
    );
  });

  it('when order-select drafts ibuprofen-like unrelated drugs for a 5-HTP taker, then no delete suggestion blames the draft', async () => {
    const res = await call(
      OS,
      orderSelect(
        [draftOrder('met', { coding: [{ system: SYSTEM.rxnorm, code: '6809' }] })],
        fullPrefetch({ statements: [statement('htp', { system: SYSTEM.atc, code: 'N06AX01' })] }),
      ),
    );
    expect(res.status).toBe(200);
    const body = res.body as CdsBody;
    expect(body.cards.filter((c) => c.suggestions !== undefined)).toEqual([]);
  });

  it("when the spec's order-select example (amoxicillin draft) comes with prefetch, then it is answered and the unmapped draft holds interaction agents", async () => {
    const ctx = fixture('spec-order-select-context.json').context as Record<string, unknown>;
    const res = await call(OS, {
      hook: 'order-select',
      hookInstance: randomUUID(),
      context: { ...ctx, patientId: 'p1' },
      prefetch: fullPrefetch(),
    });
    expect(res.status).toBe(200);
    const ext = (res.body as CdsBody).extension['org.neurotransmitter-cds.evaluation']!;
    const issues = ext.dataIssues as { code: string; pointer: string }[];
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: 'DATA-MED-UNKNOWN',
        pointer: 'MedicationRequest/smart-MedicationRequest-103/medicationCodeableConcept',
      }),
    );
  });

  it.each([
    ['hook missing', (b: Record<string, unknown>) => ({ ...b, hook: undefined }), '/hook'],
    [
      'hookInstance missing',
      (b: Record<string, unknown>) => ({ ...b, hookInstance: undefined }),
      '/hookInstance',
    ],
    ['context missing', (b: Record<string, unknown>) => ({ ...b, context: undefined }), '/context'],
    ['the wrong hook', (b: Record<string, unknown>) => ({ ...b, hook: 'order-select' }), '/hook'],
    [
      'fhirAuthorization without fhirServer (cds-r-1)',
      (b: Record<string, unknown>) => ({
        ...b,
        fhirAuthorization: {
          access_token: 'x',
          token_type: 'Bearer',
          expires_in: 1,
          scope: 's',
          subject: 'c',
        },
      }),
      '/fhirServer',
    ],
  ])('when %s, then 400 problem+json points at it', async (_name, change, pointer) => {
    const res = await request(app)
      .post(PV)
      .send(JSON.stringify(change(hookRequest('patient-view', {}, fullPrefetch()))))
      .set('content-type', 'application/json');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toContain(
      pointer,
    );
  });

  it('when the service id is unknown, then 404', async () => {
    const res = await request(app)
      .post('/cds-services/nope')
      .send(hookRequest('patient-view', {}, fullPrefetch()));
    expect(res.status).toBe(404);
  });

  it.each([
    'spec-patient-view-request.json',
    'ahrq-r4-active_person_invocation.json',
    'ahrq-r4-lazy_person_invocation.json',
    'ahrq-r4-missing_prefetch_keys_invocation.json',
    'ahrq-r4-null_prefetch_values_invocation.json',
  ])(
    'when %s lacks our prefetch and its fhirServer is not usable, then 412 with an OperationOutcome',
    async (name) => {
      const body = fixture(name);
      const res = await request(app)
        .post(PV)
        .send({ ...body, fhirServer: 'ftp://nowhere.invalid' });
      expect(res.status).toBe(412);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
      expect(res.body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error' }],
      });
    },
  );

  it('when a prefetch key is null (the client has no such data), then it counts as answered: 200, not 412', async () => {
    const res = await call(
      PV,
      hookRequest('patient-view', {}, { ...fullPrefetch(), medicationList: null }),
    );
    expect(res.status).toBe(200);
    const ext = (res.body as CdsBody).extension['org.neurotransmitter-cds.evaluation']!;
    // No medication List: the list is not attested, so interaction agents are held.
    expect((ext.dataIssues as { code: string }[]).map((d) => d.code)).toContain(
      'DATA-MEDS-UNATTESTED',
    );
  });

  const failedFetch = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'timeout', diagnostics: 'search timed out' }],
  };

  it.each([
    ['an OperationOutcome', failedFetch],
    ['a search Bundle with an error OperationOutcome', searchset(failedFetch)],
  ])(
    'when a prefetch key holds %s (the client failed to fetch it) and there is no fhirServer, then 412, never an answer without that data',
    async (_name, observations) => {
      const res = await request(app)
        .post(PV)
        .send(hookRequest('patient-view', {}, { ...fullPrefetch(), observations }));
      expect(res.status).toBe(412);
      expect((res.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics).toMatch(
        /observations/,
      );
    },
  );

  it('when a prefetch key holds an OperationOutcome and a listed fhirServer is given, then that key is read from the server', async () => {
    const token = 'refetch-token';
    const stub = await startStubFhir([patient, ...item9(3)], token);
    try {
      const res = await call(
        PV,
        {
          ...hookRequest('patient-view', {}, { ...fullPrefetch(), observations: failedFetch }),
          fhirServer: stub.url,
          fhirAuthorization: {
            access_token: token,
            token_type: 'Bearer',
            expires_in: 300,
            scope: 'patient/*.read',
            subject: 'cds',
          },
        },
        cdsApp({ fhirServers: [stub.url] }).app,
      );
      expect(res.status).toBe(200);
      expect(stub.calls.length).toBeGreaterThan(0);
      expect(stub.calls.every((c) => c.path.startsWith('/Observation'))).toBe(true);
      const ext = (res.body as CdsBody).extension['org.neurotransmitter-cds.evaluation']!;
      expect((ext.redFlags as { code: string }[]).map((f) => f.code)).toContain('RF-SI-HIGH');
    } finally {
      await stub.close();
    }
  });

  it('when there is neither prefetch nor fhirServer, then 412', async () => {
    const res = await request(app).post(PV).send(hookRequest('patient-view', {}));
    expect(res.status).toBe(412);
  });

  it('when prefetch is missing and fhirServer is given, then every read carries the bearer token, pages are followed, and the answer matches prefetch', async () => {
    const token = 'some-opaque-fhir-access-token';
    const observations = item9(2);
    const stub = await startStubFhir([patient, medList, ...observations], token);
    try {
      const listed = cdsApp({ fhirServers: [stub.url] }).app;
      const ahrq = fixture('ahrq-r4-active_person_invocation.json');
      const res = await call(
        PV,
        {
          ...ahrq,
          fhirServer: stub.url,
          context: { userId: 'Practitioner/example', patientId: 'p1' },
        },
        listed,
      );
      expect(res.status).toBe(200);
      expect(stub.calls.length).toBeGreaterThanOrEqual(7 + 4);
      expect(stub.calls.every((c) => c.authorization === `Bearer ${token}`)).toBe(true);
      expect(stub.calls.some((c) => c.path.includes('_page=4'))).toBe(true);
      // The relative date is filled with the call's date (NOW 2026-01-15 − 90 / 30 days).
      expect(
        stub.calls.some(
          (c) => c.path.startsWith('/Observation?') && c.path.includes('date=ge2025-10-17&'),
        ),
      ).toBe(true);
      expect(stub.calls.some((c) => c.path.includes('authored=ge2025-12-16&'))).toBe(true);
      expect(stub.calls.every((c) => !c.path.includes('%7B') && !c.path.includes('{'))).toBe(true);
      const viaServer = (res.body as CdsBody).extension['org.neurotransmitter-cds.evaluation']!;
      const viaPrefetch = (
        (await call(PV, hookRequest('patient-view', {}, fullPrefetch({ observations }))))
          .body as CdsBody
      ).extension['org.neurotransmitter-cds.evaluation']!;
      expect(viaServer.redFlags).toEqual(viaPrefetch.redFlags);
      expect(viaServer.interventions).toEqual(viaPrefetch.interventions);
    } finally {
      await stub.close();
    }
  });

  it('when the FHIR server refuses the token, then 412', async () => {
    const stub = await startStubFhir([patient], 'another-token');
    try {
      const res = await request(cdsApp({ fhirServers: [stub.url] }).app)
        .post(PV)
        .send({
          ...hookRequest('patient-view', {}),
          fhirServer: stub.url,
          fhirAuthorization: {
            access_token: 'wrong',
            token_type: 'Bearer',
            expires_in: 300,
            scope: 'patient/*.read',
            subject: 'cds',
          },
        });
      expect(res.status).toBe(412);
    } finally {
      await stub.close();
    }
  });

  describe('the fhirServer allow-list (CDS_FHIR_SERVERS)', () => {
    const token = 'a-token-that-must-not-leave';
    const withServer = (fhirServer: string) => ({
      ...hookRequest('patient-view', {}),
      fhirServer,
      fhirAuthorization: {
        access_token: token,
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'patient/*.read',
        subject: 'cds',
      },
    });

    it.each([
      ['no server is listed', () => []],
      ['another base on the same host is listed', (url: string) => [`${url}/fhir`]],
      ['another host is listed', () => ['https://ehr.example/fhir']],
    ])(
      'when %s, then a fhirServer that would answer gets 412 with an OperationOutcome and no request',
      async (_name, listFor) => {
        const stub = await startStubFhir([patient, medList], token);
        try {
          const res = await request(cdsApp({ fhirServers: listFor(stub.url) }).app)
            .post(PV)
            .send(withServer(stub.url));
          expect(res.status).toBe(412);
          expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
          expect(res.body).toMatchObject({
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'forbidden' }],
          });
          expect(stub.calls).toEqual([]);
        } finally {
          await stub.close();
        }
      },
    );

    it.each([
      ['a sibling path sharing the prefix', (url: string) => `${url}/fhir-other`],
      ['credentials that name the listed host', (url: string) => url.replace('//', '//ehr:x@')],
      ['a query', (url: string) => `${url}/fhir?x=1`],
    ])(
      'when the fhirServer is %s of a listed base, then 412 and no request',
      async (_n, server) => {
        const stub = await startStubFhir([patient, medList], token);
        try {
          const res = await request(cdsApp({ fhirServers: [`${stub.url}/fhir`] }).app)
            .post(PV)
            .send(withServer(server(stub.url)));
          expect(res.status).toBe(412);
          expect(stub.calls).toEqual([]);
        } finally {
          await stub.close();
        }
      },
    );

    it('when the fhirServer is under a listed base, then it is read', async () => {
      const stub = await startStubFhir([patient, medList], token);
      try {
        const res = await call(
          PV,
          withServer(`${stub.url}/`),
          cdsApp({ fhirServers: [stub.url] }).app,
        );
        expect(res.status).toBe(200);
        expect(stub.calls.length).toBeGreaterThan(0);
      } finally {
        await stub.close();
      }
    });

    it('when a listed server sends a page larger than 8 MiB, then 412 (the page is not buffered whole)', async () => {
      const huge = { ...patient, text: { status: 'generated', div: 'x'.repeat(9 * 1024 * 1024) } };
      const stub = await startStubFhir([huge, medList], token);
      try {
        const res = await request(cdsApp({ fhirServers: [stub.url] }).app)
          .post(PV)
          .send(withServer(stub.url));
        expect(res.status).toBe(412);
        expect((res.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics).toMatch(
          /too large/,
        );
      } finally {
        await stub.close();
      }
    });

    it('when plain http is not allowed, then a listed http server is not usable', async () => {
      const stub = await startStubFhir([patient, medList], token);
      try {
        const res = await request(
          cdsApp({ fhirServers: [stub.url], allowHttpFhirServer: false }).app,
        )
          .post(PV)
          .send(withServer(stub.url));
        expect(res.status).toBe(412);
        expect(stub.calls).toEqual([]);
      } finally {
        await stub.close();
      }
    });
  });
});

describe('POST /cds-services/{id}/feedback', () => {
  it.each(['spec-feedback-1.json', 'spec-feedback-2.json', 'ahrq-feedbackFor2.json'])(
    'when %s is sent, then 200, counted in metrics and audit-logged without card ids',
    async (name) => {
      const body = fixture(name);
      const res = await request(app).post(`${PV}/feedback`).send(body);
      expect(res.status).toBe(200);
      const metrics = await request(app).get('/metrics');
      expect(metrics.text).toMatch(
        /ntcds_cds_feedback_total\{service="neurotransmitter-balance-review",outcome="(accepted|overridden)"\} \d+/,
      );
      const card = (body.feedback as { card: string }[])[0]!.card;
      expect(logs.some((l) => l.includes('cds feedback'))).toBe(true);
      expect(logs.some((l) => l.includes(card))).toBe(false);
    },
  );

  it.each([
    [
      'an outcome that is neither accepted nor overridden (cds-fb-1)',
      { card: randomUUID(), outcome: 'maybe', outcomeTimestamp: '2026-01-01T00:00:00Z' },
    ],
    [
      'accepted without acceptedSuggestions (cds-fb-2)',
      { card: randomUUID(), outcome: 'accepted', outcomeTimestamp: '2026-01-01T00:00:00Z' },
    ],
    [
      'an overrideReason with neither reason nor comment (cds-fb-3)',
      {
        card: randomUUID(),
        outcome: 'overridden',
        overrideReason: {},
        outcomeTimestamp: '2026-01-01T00:00:00Z',
      },
    ],
    [
      'a card that is not a uuid',
      { card: 'x', outcome: 'overridden', outcomeTimestamp: '2026-01-01T00:00:00Z' },
    ],
  ])('when feedback has %s, then 400', async (_name, entry) => {
    const res = await request(app)
      .post(`${PV}/feedback`)
      .send({ feedback: [entry] });
    expect(res.status).toBe(400);
  });
});

describe('CORS for browser CDS clients', () => {
  it('when a preflight comes, then 2xx without credentials, naming authorization and content-type', async () => {
    const res = await request(app)
      .options(PV)
      .set('Origin', 'https://ehr.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type');
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/content-type/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('CDS client JWTs', () => {
  const ISS = 'https://ehr.example/';
  const BASE = 'https://cds.example.org';
  let secured: ReturnType<typeof cdsApp>['app'];
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const sign = async (
    aud: string,
    claims: Record<string, unknown> = {},
    options: { alg?: string; jti?: string | null; iss?: string } = {},
  ) => {
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'ES384', typ: 'JWT', kid: 'k1' })
      .setIssuer(options.iss ?? ISS)
      .setAudience(aud)
      .setIssuedAt(Math.floor(Date.now() / 1000))
      .setExpirationTime(Math.floor(Date.now() / 1000) + 60);
    if (options.jti !== null) jwt.setJti(options.jti ?? randomUUID());
    return jwt.sign(key);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES384');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
    secured = cdsApp({ issuers: [{ iss: ISS, jwks: { keys: [jwk] } }], publicBaseUrl: BASE }).app;
  });

  it('when no JWT is sent, then discovery, service and feedback answer 401', async () => {
    expect((await request(secured).get('/cds-services')).status).toBe(401);
    expect(
      (
        await request(secured)
          .post(PV)
          .send(hookRequest('patient-view', {}, fullPrefetch()))
      ).status,
    ).toBe(401);
    expect(
      (await request(secured).post(`${PV}/feedback`).send(fixture('spec-feedback-1.json'))).status,
    ).toBe(401);
  });

  it('when a valid ES384 JWT has aud equal to the URL called, then 200', async () => {
    const token = await sign(`${BASE}/cds-services`);
    expect(
      (await request(secured).get('/cds-services').set('authorization', `Bearer ${token}`)).status,
    ).toBe(200);
    const t2 = await sign(`${BASE}${PV}`);
    const res = await request(secured)
      .post(PV)
      .set('authorization', `Bearer ${t2}`)
      .send(hookRequest('patient-view', {}, fullPrefetch()));
    expect(res.status).toBe(200);
  });

  it('when the same jti is replayed, then 401', async () => {
    const token = await sign(`${BASE}/cds-services`, {}, { jti: 'once' });
    expect(
      (await request(secured).get('/cds-services').set('authorization', `Bearer ${token}`)).status,
    ).toBe(200);
    expect(
      (await request(secured).get('/cds-services').set('authorization', `Bearer ${token}`)).status,
    ).toBe(401);
  });

  it.each([
    ['aud of another endpoint', async () => sign(`${BASE}${PV}`)],
    ['no jti', async () => sign(`${BASE}/cds-services`, {}, { jti: null })],
    [
      'an issuer not on the allow-list',
      async () => sign(`${BASE}/cds-services`, {}, { iss: 'https://evil.example/' }),
    ],
    [
      'alg none',
      () => {
        const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return Promise.resolve(
          `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: ISS, aud: `${BASE}/cds-services`, iat: now, exp: now + 60, jti: randomUUID() })}.`,
        );
      },
    ],
    [
      'HS256 signed with a shared secret',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer(ISS)
          .setAudience(`${BASE}/cds-services`)
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .setJti(randomUUID())
          .sign(new TextEncoder().encode('shared-secret-shared-secret-shared'));
      },
    ],
    [
      'a jku not on the allow-list',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({})
          .setProtectedHeader({
            alg: 'ES384',
            typ: 'JWT',
            kid: 'k1',
            jku: 'https://evil.example/jwks',
          })
          .setIssuer(ISS)
          .setAudience(`${BASE}/cds-services`)
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .setJti(randomUUID())
          .sign(key);
      },
    ],
  ])('when the JWT has %s, then 401', async (_name, make) => {
    const token = await make();
    const res = await request(secured).get('/cds-services').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
  });
});

describe('README examples (examples/cds-hooks/)', () => {
  const example = (name: string): Record<string, unknown> =>
    JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'cds-hooks', name), 'utf8'),
    ) as Record<string, unknown>;

  it('when the patient-view example is posted, then 200 with a summary card and no red flag', async () => {
    const res = await call(PV, example('patient-view.json'));
    expect(res.status).toBe(200);
    const body = res.body as CdsBody;
    expect(body.cards.map((c) => c.indicator)).toEqual(['info']);
  });

  it("when the order-select example is posted, then the St John's wort draft is blocked with a delete suggestion", async () => {
    const res = await call(OS, example('order-select.json'));
    expect(res.status).toBe(200);
    const card = (res.body as CdsBody).cards.find((c) => c.indicator === 'critical');
    expect(card?.suggestions?.[0]?.actions[0]?.resourceId).toBe('MedicationRequest/draft-sjw');
  });

  it('when the feedback example is posted, then 200', async () => {
    expect((await request(app).post(`${OS}/feedback`).send(example('feedback.json'))).status).toBe(
      200,
    );
  });
});
