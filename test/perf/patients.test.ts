import { generatePatients } from '../../src/synth/patients';
import { createRequestValidator } from '../../src/engine/request-validator';
import { buildFacts, requestProblems } from '../../src/facts/build';
import { shippedRuleset } from '../support/app';

describe('the seeded patient generator', () => {
  const { catalog } = shippedRuleset();
  const patients = generatePatients(catalog, { seed: 42, count: 1000 });

  it('when given a seed, then it produces the same requests every time', () => {
    expect(generatePatients(catalog, { seed: 42, count: 50 })).toEqual(patients.slice(0, 50));
    expect(generatePatients(catalog, { seed: 43, count: 50 })).not.toEqual(patients.slice(0, 50));
  });

  it('when its requests are validated, then every one passes the request schema and requestProblems', () => {
    const validator = createRequestValidator(catalog);
    const failures: string[] = [];
    patients.forEach((request, i) => {
      const body: unknown = JSON.parse(JSON.stringify(request));
      const v = validator.validate(body);
      if (!v.ok) failures.push(`#${i} schema: ${JSON.stringify(v.errors)}`);
      const problems = requestProblems(catalog, request);
      if (problems.length > 0) failures.push(`#${i} problems: ${JSON.stringify(problems)}`);
    });
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('when many requests are drawn, then they cover minors, pregnancy, data problems, medications and dose limits', () => {
    const models = patients.map((p) => buildFacts(catalog, p));
    const count = (pred: (i: number) => boolean): number =>
      patients.filter((_p, i) => pred(i)).length;
    const codes = new Set(models.flatMap((m) => m.problems.map((p) => p.code)));
    expect(count((i) => (patients[i]?.patient.age ?? 99) < 18)).toBeGreaterThan(50);
    expect(count((i) => patients[i]?.patient.pregnancy === 'pregnant')).toBeGreaterThan(20);
    expect(
      count(
        (i) =>
          (patients[i]?.questionnaires?.find((q) => q.instrument === 'phq-9')?.items?.[8] ?? 0) > 0,
      ),
    ).toBeGreaterThan(20);
    for (const code of [
      'DATA-UNIT-MISSING',
      'DATA-UNIT-UNKNOWN',
      'DATA-CREAT-MISSING',
      'DATA-RI-MISSING',
      'DATA-UNIT-CONVERTED',
      'DATA-MED-UNKNOWN',
      'DATA-MEDS-UNATTESTED',
      'DATA-ITEM9-MISSING',
    ])
      expect(codes).toContain(code);
    const statuses = new Set(
      models.flatMap((m) => [...m.biomarkers.values()].map((b) => b.status)),
    );
    expect([...statuses].sort()).toEqual(['high', 'low', 'normal', 'uninterpretable']);
    expect(
      count((i) => [...(models[i]?.medicationClasses.values() ?? [])].includes('washout')),
    ).toBeGreaterThan(20);
    expect(
      count((i) =>
        [...(models[i]?.requested.values() ?? [])].some((r) => r.overUpperLimit === true),
      ),
    ).toBeGreaterThan(20);
    expect(count((i) => (models[i]?.conditions.size ?? 0) > 0)).toBeGreaterThan(200);
  });
});
