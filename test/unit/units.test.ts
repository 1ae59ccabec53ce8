import type { Analyte } from '../../src/rules/catalog-types';
import { convertMass, doseUnitToMass, toCanonical } from '../../src/facts/units';
import { normaliseUnit } from '../../src/lib/unit-text';
import { shippedRuleset } from '../support/app';

/**
 * Expected numbers come from clinical-reference.md §1.6, not from the code: molar masses (g/mol),
 * creatinine 113.12 g/mol, and the printed "µmol/mol Cr → µg/g Cr" factor (MW / 113.12, rounded
 * to 3–4 significant figures in the reference).
 */
const CREATININE_MW = 113.12;
const REFERENCE_1_6: Readonly<Record<string, { mw: number; molarToMass: number }>> = {
  serotonin: { mw: 176.22, molarToMass: 1.558 },
  dopamine: { mw: 153.18, molarToMass: 1.354 },
  norepinephrine: { mw: 169.18, molarToMass: 1.496 },
  epinephrine: { mw: 183.21, molarToMass: 1.62 },
  gaba: { mw: 103.12, molarToMass: 0.912 },
  glutamate: { mw: 147.13, molarToMass: 1.301 },
  glycine: { mw: 75.07, molarToMass: 0.664 },
  histamine: { mw: 111.15, molarToMass: 0.983 },
  pea: { mw: 121.18, molarToMass: 1.071 },
  '5-hiaa': { mw: 191.19, molarToMass: 1.69 },
  hva: { mw: 182.17, molarToMass: 1.61 },
  vma: { mw: 198.17, molarToMass: 1.752 },
  dopac: { mw: 168.15, molarToMass: 1.486 },
  '3-mt': { mw: 167.21, molarToMass: 1.478 },
  normetanephrine: { mw: 183.21, molarToMass: 1.62 },
  metanephrine: { mw: 197.23, molarToMass: 1.744 },
  'quinolinic-acid': { mw: 167.12, molarToMass: 1.477 },
  'kynurenic-acid': { mw: 189.17, molarToMass: 1.672 },
};

const catalog = shippedRuleset().catalog;

function analyte(id: string): Analyte {
  const a = catalog.analytes.get(id);
  if (!a) throw new Error(`analyte ${id} is not in the catalog`);
  return a;
}

/** Relative closeness: the reference rounds its factors to 3–4 significant figures. */
function expectWithin(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(relative);
}

function convert(id: string, value: number, unit: string | undefined) {
  return toCanonical(catalog, analyte(id), value, unit);
}

function valueOf(id: string, value: number, unit: string | undefined): number {
  const c = convert(id, value, unit);
  if (!c.ok) throw new Error(`${id} ${String(value)} ${String(unit)}: ${c.problem}`);
  return c.value;
}

const urineRatioAnalytes = [...catalog.analytes.values()]
  .filter((a) => a.unitFamily === 'urine-creatinine-ratio')
  .map((a) => a.id);

describe('urine creatinine-ratio conversions (clinical-reference §1.6)', () => {
  it('when the catalog is loaded, then it has creatinine-normalised urine analytes to check', () => {
    expect(urineRatioAnalytes.length).toBeGreaterThanOrEqual(15);
  });

  describe.each(urineRatioAnalytes)('%s', (id) => {
    const ref = REFERENCE_1_6[id];

    it('when the catalog gives a molar mass, then it is the one in clinical-reference §1.6', () => {
      expect(ref).toBeDefined();
      expect(analyte(id).molarMass).toBe(ref!.mw);
    });

    it.each(['nmol/mmol', 'µmol/mol'])(
      'when a result is in %s, then 1 unit is MW / 113.12 µg/g (the §1.6 factor)',
      (unit) => {
        const v = valueOf(id, 1, unit);
        expect(v).toBeCloseTo(ref!.mw / CREATININE_MW, 9);
        expectWithin(v, ref!.molarToMass, 0.001);
      },
    );

    it('when a result is in mmol/mol, then it is ×1000×MW/113.12 µg/g', () => {
      expect(valueOf(id, 0.25, 'mmol/mol creatinine')).toBeCloseTo(
        (0.25 * 1000 * ref!.mw) / CREATININE_MW,
        6,
      );
    });

    it('when a result is in mg/g, then it is ×1000 µg/g (the commonest 1000× error)', () => {
      expect(valueOf(id, 0.123, 'mg/g Cr')).toBeCloseTo(123, 9);
    });

    it('when a result is in µg/g, then it is unchanged and not marked converted', () => {
      expect(convert(id, 42.5, 'µg/g Cr')).toEqual({ ok: true, value: 42.5, converted: false });
    });

    it('when a result is in µmol/g or nmol/mg creatinine, then 1 unit is MW µg/g', () => {
      expect(valueOf(id, 1, 'umol/g creatinine')).toBeCloseTo(ref!.mw, 6);
      expect(valueOf(id, 1, 'nmol/mg Cr')).toBeCloseTo(ref!.mw, 6);
    });
  });

  it('when serotonin is 31 nmol/mmol (the README example), then it is about 48.3 µg/g', () => {
    expectWithin(valueOf('serotonin', 31, 'nmol/mmol Cr'), 31 * 1.558, 0.001);
  });
});

describe('accepted spellings of the urine ratio units', () => {
  // [spelling, factor for serotonin per unit, converted?]
  const serotoninPerMolar = 176.22 / CREATININE_MW;
  const spellings: [string, number, boolean][] = [
    ['µg/g Cr', 1, false], // U+00B5 micro sign
    ['μg/g', 1, false], // U+03BC Greek mu
    ['\u00b5g/g creatinine', 1, false],
    ['\u03bcg/g Crea', 1, false],
    ['mcg/g creat', 1, false],
    ['mcg/g', 1, false],
    ['ug/g', 1, false],
    ['ug/g{creat}', 1, false],
    ['ug/g Creatinine', 1, false],
    ['mcg/g Crea', 1, false],
    ['  ug / g  crt ', 1, false],
    ['mg/g{creat}', 1000, true],
    ['mg/g', 1000, true],
    ['mg/g creatinine', 1000, true],
    ['mg/g CRT', 1000, true],
    ['nmol/mmol{creat}', serotoninPerMolar, true],
    ['nmol/mmol', serotoninPerMolar, true],
    ['nmol/mmol Cr', serotoninPerMolar, true],
    ['umol/mol{creat}', serotoninPerMolar, true],
    ['µmol/mol', serotoninPerMolar, true],
    ['μmol/mol creatinine', serotoninPerMolar, true],
    ['umol/mol Cr', serotoninPerMolar, true],
    ['mmol/mol', 1000 * serotoninPerMolar, true],
  ];

  it.each(spellings)(
    'when serotonin is sent in "%s", then it converts with factor %d (converted: %s)',
    (unit, factor, converted) => {
      const c = convert('serotonin', 10, unit);
      expect(c.ok).toBe(true);
      if (!c.ok) return;
      expectWithin(c.value, 10 * factor, 1e-10);
      expect(c.converted).toBe(converted);
    },
  );

  it('when the two micro signs are normalised, then they meet at one key, and case is kept', () => {
    expect(normaliseUnit('\u00b5g/g Cr')).toBe('ug/gCr');
    expect(normaliseUnit('\u03bcg/g Cr')).toBe('ug/gCr');
    expect(normaliseUnit(' Mmol / L ')).toBe('Mmol/L');
  });
});

describe('unusable urine units', () => {
  it.each([['furlongs'], ['mg/dL'], ['ng/g'], ['g/g'], ['µg/mg'], ['mol/mol'], ['ug/gram']])(
    'when the unit is "%s", then DATA-UNIT-UNKNOWN',
    (unit) => {
      expect(convert('dopamine', 100, unit)).toEqual({ ok: false, problem: 'DATA-UNIT-UNKNOWN' });
    },
  );

  it.each([[undefined], [''], ['   ']])(
    'when the unit is %p, then DATA-UNIT-MISSING',
    (unit: string | undefined) => {
      expect(convert('dopamine', 100, unit)).toEqual({ ok: false, problem: 'DATA-UNIT-MISSING' });
    },
  );

  it.each([
    ['ug/L'],
    ['µg/L'],
    ['mcg/L'],
    ['nmol/L'],
    ['umol/L'],
    ['mg/L'],
    ['ug/24h'],
    ['µg/24 h'],
    ['mg/24h'],
    ['ug/d'],
    ['mg/d'],
    ['nmol/24h'],
    ['umol/24h'],
  ])(
    'when the unit is "%s" (per litre or per 24 h, not creatinine-normalised), then DATA-CREAT-MISSING',
    (unit) => {
      expect(convert('norepinephrine', 30, unit)).toEqual({
        ok: false,
        problem: 'DATA-CREAT-MISSING',
      });
    },
  );
});

describe('serum, saliva and urine-creatinine conversions', () => {
  // Factors derived from molar masses: mg/dL → µmol/L is 10 000 / MW; µg/dL → nmol/L is 10 000 / MW.
  const cases: [string, number, string, number][] = [
    // cortisol: 1 µg/dL = 27.59 nmol/L, 1 ng/mL = 2.759 nmol/L (clinical-reference §1.6)
    ['cortisol', 1, 'µg/dL', 27.59],
    ['cortisol', 1, 'mcg/dL', 27.59],
    ['cortisol', 0.32, 'ug/dL', 0.32 * 27.59],
    ['cortisol', 1, 'ng/mL', 2.759],
    ['cortisol', 8.8, 'nmol/L', 8.8],
    // creatinine 113.12 g/mol: 1 mmol/L = 11.312 mg/dL
    ['creatinine', 1, 'mmol/L', 11.312],
    ['creatinine', 10000, 'µmol/L', 113.12],
    ['creatinine', 1, 'g/L', 100],
    // magnesium 24.305 g/mol: 1 mg/dL = 10 / 24.305 mmol/L
    ['magnesium', 1, 'mg/dL', 10 / 24.305],
    ['magnesium', 2, 'mEq/L', 1],
    // bilirubin 584.7 g/mol: 1 mg/dL = 10 000 / 584.7 µmol/L
    ['bilirubin', 1, 'mg/dL', 10000 / 584.7],
    // cobalamin 1355.4 g/mol: 1 pg/mL = 1000 / 1355.4 pmol/L
    ['vitamin-b12', 300, 'pg/mL', (300 * 1000) / 1355.4],
    // folic acid 441.4 g/mol: 1 ng/mL = 1000 / 441.4 nmol/L
    ['folate', 4, 'ng/mL', (4 * 1000) / 441.4],
    ['ferritin', 11, 'ng/mL', 11],
    ['ferritin', 11, 'µg/L', 11],
    ['hemoglobin', 135, 'g/L', 13.5],
    ['tsh', 2.5, 'µIU/mL', 2.5],
    ['alt', 1, 'µkat/L', 60],
  ];

  it.each(cases)('when %s is %d %s, then it is %d in the canonical unit', (id, v, unit, want) => {
    expectWithin(valueOf(id, v, unit), want, 0.001);
  });

  it('when cortisol is sent per creatinine, then DATA-UNIT-UNKNOWN (wrong family)', () => {
    expect(convert('cortisol', 1, 'µg/g Cr')).toEqual({ ok: false, problem: 'DATA-UNIT-UNKNOWN' });
  });
});

describe('dose units', () => {
  it.each([
    ['g', 'g'],
    ['mg', 'mg'],
    ['ug', 'ug'],
    ['mcg', 'ug'],
    ['µg', 'ug'],
    ['μg', 'ug'],
  ] as const)('when a dose is in %s, then it is a %s mass', (unit, mass) => {
    expect(doseUnitToMass(unit)).toBe(mass);
  });

  it.each([
    [1, 'g', 'mg', 1000],
    [300, 'mg', 'g', 0.3],
    [400, 'ug', 'mg', 0.4],
    [2.5, 'mg', 'ug', 2500],
  ] as const)('when %d %s is converted to %s, then it is %d', (value, from, to, want) => {
    expect(convertMass(value, from, to)).toBeCloseTo(want, 12);
  });
});
