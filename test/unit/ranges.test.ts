import { buildFacts } from '../../src/facts/build';
import type { BiomarkerFact } from '../../src/facts/model';
import { classify, resolveRange } from '../../src/facts/ranges';
import type { BiomarkerInput, EvaluationRequest } from '../../src/facts/request-types';
import { shippedRuleset } from '../support/app';

const catalog = shippedRuleset().catalog;

function range(input: BiomarkerInput) {
  const analyte = catalog.analytes.get(input.analyte);
  if (!analyte) throw new Error(`no analyte ${input.analyte}`);
  return resolveRange(catalog, analyte, input);
}

/** The biomarker fact the rules see, built from a one-result request. */
function fact(input: BiomarkerInput): BiomarkerFact {
  const request: EvaluationRequest = {
    patient: { age: 40 },
    medications: { attested: true, items: [] },
    biomarkers: [input],
  };
  const f = buildFacts(catalog, request).biomarkers.get(input.analyte);
  if (!f) throw new Error('no fact');
  return f;
}

function problemsOf(input: BiomarkerInput): string[] {
  const request: EvaluationRequest = {
    patient: { age: 40 },
    medications: { attested: true, items: [] },
    biomarkers: [input],
  };
  return buildFacts(catalog, request).problems.map((p) => `${p.code} ${p.pointer}`);
}

describe('inclusive reference limits', () => {
  const rr = { low: 50, high: 250, unit: 'ug/g' };
  it.each([
    [49.99, 'low'],
    [50, 'normal'],
    [50.01, 'normal'],
    [249.99, 'normal'],
    [250, 'normal'],
    [250.01, 'high'],
  ])('when serotonin is %d µg/g against 50–250 µg/g, then it is %s', (value, status) => {
    expect(fact({ analyte: 'serotonin', value, unit: 'µg/g Cr', referenceRange: rr }).status).toBe(
      status,
    );
  });

  it.each([
    [{ low: 10 }, 9, 'low'],
    [{ low: 10 }, 10, 'normal'],
    [{ low: 10 }, 1e6, 'normal'],
    [{ high: 10 }, 10, 'normal'],
    [{ high: 10 }, 0, 'normal'],
    [{ high: 10 }, 10.001, 'high'],
  ])('when the only limit is %p and the value is %d, then it is %s', (limits, value, status) => {
    expect(classify(value, { ...limits, source: 'lab-printed' })).toBe(status);
  });

  it.each([
    // result and range in the same molar unit: both convert with the same factor
    ['norepinephrine', 70, 'nmol/mmol', { high: 70, unit: 'nmol/mmol' }, 'normal'],
    ['norepinephrine', 70.1, 'nmol/mmol', { high: 70, unit: 'nmol/mmol' }, 'high'],
    // a value on the limit written in another unit is still on the limit
    ['hva', 4.03, 'mg/g', { low: 0, high: 4030, unit: 'µg/g' }, 'normal'],
    ['hva', 8.05, 'mg/g', { low: 0, high: 8050, unit: 'µg/g' }, 'normal'],
    ['hva', 8050, 'µg/g', { low: 0, high: 8.05, unit: 'mg/g' }, 'normal'],
    ['gaba', 1.1, 'mg/g', { low: 1100, high: 2000, unit: 'ug/g' }, 'normal'],
  ] as const)(
    'when %s is %d %s against %p, then it is %s (a limit is inclusive across units)',
    (analyte, value, unit, referenceRange, status) => {
      expect(fact({ analyte, value, unit, referenceRange }).status).toBe(status);
    },
  );
});

describe('which range applies', () => {
  it('when the lab prints a range and names a lab profile, then the printed range wins', () => {
    // ARUP profile: dopamine 0–250 µg/g. Printed: 0–100 µg/g.
    const input: BiomarkerInput = {
      analyte: 'dopamine',
      value: 200,
      unit: 'ug/g',
      lab: 'arup-random-urine-catecholamines',
      referenceRange: { low: 0, high: 100, unit: 'ug/g' },
    };
    expect(range(input)).toEqual({
      ok: true,
      range: { low: 0, high: 100, source: 'lab-printed' },
    });
    expect(fact(input).status).toBe('high');
  });

  it('when the printed range is in another unit than the result, then both are compared in µg/g', () => {
    // 31 nmol/mmol serotonin = 31 × 176.22 / 113.12 ≈ 48.3 µg/g, below 50 µg/g.
    const input: BiomarkerInput = {
      analyte: 'serotonin',
      value: 31,
      unit: 'nmol/mmol Cr',
      referenceRange: { low: 50, high: 250, unit: 'µg/g Cr' },
    };
    expect(fact(input).status).toBe('low');
    // 33 nmol/mmol ≈ 51.4 µg/g: normal.
    expect(fact({ ...input, value: 33 }).status).toBe('normal');
  });

  it('when a molar printed range applies to a mass result, then the range is converted with the molar mass', () => {
    // 100 nmol/mmol dopamine = 100 × 153.18 / 113.12 ≈ 135.4 µg/g
    const r = range({
      analyte: 'dopamine',
      value: 135,
      unit: 'ug/g',
      referenceRange: { high: 100, unit: 'nmol/mmol' },
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.range.high).toBeCloseTo((100 * 153.18) / 113.12, 9);
  });

  it("when the printed range has no unit, then it is in the result's unit", () => {
    // 0.2 mg/g against 0.05–0.25 (mg/g): normal. Read as µg/g it would be high.
    const input: BiomarkerInput = {
      analyte: 'dopamine',
      value: 0.2,
      unit: 'mg/g',
      referenceRange: { low: 0.05, high: 0.25 },
    };
    expect(range(input)).toEqual({
      ok: true,
      range: { low: 50, high: 250, source: 'lab-printed' },
    });
    expect(fact(input).status).toBe('normal');
    expect(fact({ ...input, value: 0.04 }).status).toBe('low');
  });

  it.each([
    [250, 'normal'],
    [250.5, 'high'],
  ])(
    'when no range is printed but the ARUP profile is named, then the profile applies (dopamine %d µg/g is %s)',
    (value, status) => {
      const input: BiomarkerInput = {
        analyte: 'dopamine',
        value,
        unit: 'ug/g',
        lab: 'arup-random-urine-catecholamines',
      };
      expect(range(input)).toEqual({
        ok: true,
        range: { low: 0, high: 250, source: 'lab-profile' },
      });
      expect(fact(input).status).toBe(status);
    },
  );

  it('when a profile is in mg/g, then its limits are converted (ARUP HVA 8 mg/g = 8000 µg/g)', () => {
    const input: BiomarkerInput = {
      analyte: 'hva',
      value: 8000,
      unit: 'ug/g',
      lab: 'arup-random-urine-catecholamines',
    };
    expect(fact(input).status).toBe('normal');
    expect(fact({ ...input, value: 8001 }).status).toBe('high');
  });

  it('when the printed range is empty, then the named profile still applies', () => {
    expect(
      range({
        analyte: 'dopamine',
        value: 1,
        unit: 'ug/g',
        lab: 'arup-random-urine-catecholamines',
        referenceRange: {},
      }),
    ).toEqual({ ok: true, range: { low: 0, high: 250, source: 'lab-profile' } });
  });

  it('when neither a printed range nor a lab profile is given, then DATA-RI-MISSING', () => {
    const input: BiomarkerInput = { analyte: 'dopamine', value: 100, unit: 'ug/g' };
    expect(range(input)).toEqual({ ok: false, problem: 'DATA-RI-MISSING' });
    expect(fact(input)).toMatchObject({ status: 'uninterpretable', value: 100, ulnMultiple: null });
    expect(problemsOf(input)).toContain('DATA-RI-MISSING /biomarkers/0/referenceRange');
  });

  it('when the named lab has no profile for the analyte, then DATA-RI-MISSING', () => {
    expect(
      range({
        analyte: 'serotonin',
        value: 100,
        unit: 'ug/g',
        lab: 'arup-random-urine-catecholamines',
      }),
    ).toEqual({ ok: false, problem: 'DATA-RI-MISSING' });
  });

  it('when the printed range has a unit the analyte cannot use, then that unit problem is reported at the range', () => {
    const input: BiomarkerInput = {
      analyte: 'dopamine',
      value: 100,
      unit: 'ug/g',
      referenceRange: { low: 0, high: 250, unit: 'ug/L' },
    };
    expect(range(input)).toEqual({ ok: false, problem: 'DATA-CREAT-MISSING' });
    expect(fact(input).status).toBe('uninterpretable');
    expect(problemsOf(input)).toContain('DATA-CREAT-MISSING /biomarkers/0/referenceRange/unit');
  });
});

describe('multiple of the upper reference limit', () => {
  it.each([
    ['normetanephrine', 300, 'ug/g', { low: 0, high: 100 }, 3],
    ['normetanephrine', 299, 'ug/g', { low: 0, high: 100 }, 2.99],
    ['normetanephrine', 0.3, 'mg/g', { high: 100, unit: 'ug/g' }, 3],
    // exactly 3× in decimal, in units whose float arithmetic is inexact
    ['normetanephrine', 2.01, 'mg/g', { high: 0.67, unit: 'mg/g' }, 3],
    ['metanephrine', 5.1, 'nmol/mmol', { high: 1.7, unit: 'nmol/mmol' }, 3],
    ['norepinephrine', 2.1, 'nmol/mmol', { high: 0.7 }, 3],
    ['dopamine', 0, 'ug/g', { low: 0, high: 250 }, 0],
  ] as const)(
    'when %s is %d %s against %p, then it is %d × ULN',
    (analyte, value, unit, referenceRange, multiple) => {
      const f = fact({ analyte, value, unit, referenceRange });
      expect(f.ulnMultiple).not.toBeNull();
      expect(f.ulnMultiple).toBeCloseTo(multiple, 9);
      if (Number.isInteger(multiple)) expect(f.ulnMultiple).toBeGreaterThanOrEqual(multiple);
    },
  );

  it('when the range has no upper limit, then the ULN multiple is null', () => {
    expect(
      fact({ analyte: 'serotonin', value: 100, unit: 'ug/g', referenceRange: { low: 50 } })
        .ulnMultiple,
    ).toBeNull();
  });

  it('when the unit is not understood, then the ULN multiple is null', () => {
    expect(
      fact({ analyte: 'serotonin', value: 100, unit: 'bogus', referenceRange: { high: 10 } })
        .ulnMultiple,
    ).toBeNull();
  });
});
