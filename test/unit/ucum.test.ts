import { UcumLhcUtils } from '@lhncbc/ucum-lhc';
import { toCanonical } from '../../src/facts/units';
import type { Analyte } from '../../src/rules/catalog-types';
import { shippedRuleset } from '../support/app';

/**
 * The catalog's unit codes and factors checked against the NLM's UCUM library (ucum-lhc), and
 * UCUM's case-sensitivity kept: a spelling that means another unit in UCUM never passes as one
 * of ours.
 */
const ucum = UcumLhcUtils.getInstance();
const catalog = shippedRuleset().catalog;

/** g/mol the catalog's comments give for its molar ↔ mass factors (rules/catalog/units.yaml). */
const MOLAR_MASS: Readonly<Record<string, number>> = {
  'urine-creatinine': 113.12,
  magnesium: 24.305,
  'vitamin-b12': 1355.4,
  folate: 441.4,
  bilirubin: 584.7,
  'cortisol-saliva': 362.47,
  hemoglobin: 16114.5,
};

/**
 * Factors ucum-lhc does not derive: equivalents need a valence, and it converts no arbitrary
 * unit ([IU]), not even between prefixes of the same one.
 */
const NOT_DERIVABLE: ReadonlySet<string> = new Set([
  'magnesium meq/L',
  'tsh m[IU]/L',
  'tsh u[IU]/mL',
]);

const families = [...catalog.unitFamilies.values()].map((f) => f.family);
const units = families.flatMap((family) =>
  family.units.map((unit) => ({ family: family.id, canonical: family.canonical, unit })),
);

describe('catalog units against UCUM (@lhncbc/ucum-lhc)', () => {
  it.each(units.map((u) => [u.family, u.unit.code]))(
    'when the %s code %s is read by ucum-lhc, then it is valid UCUM as written',
    (_family, code) => {
      expect(ucum.validateUnitString(code).status).toBe('valid');
    },
  );

  it.each(
    units
      .filter((u) => u.unit.molar !== true && !NOT_DERIVABLE.has(`${u.family} ${u.unit.code}`))
      .map((u) => [u.family, u.unit.code, u.canonical, u.unit.factor]),
  )(
    'when %s %s is converted to %s by ucum-lhc, then the factor is the catalog factor (%s) to 4 significant figures',
    (family, code, canonical, factor) => {
      let answer = ucum.convertUnitTo(code, 1, canonical);
      if (answer.status !== 'succeeded' && MOLAR_MASS[family] !== undefined)
        answer = ucum.convertUnitTo(code, 1, canonical, { molecularWeight: MOLAR_MASS[family] });
      expect(answer.status).toBe('succeeded');
      expect(Math.abs((answer.toVal ?? NaN) / factor - 1)).toBeLessThan(5e-4);
    },
  );
});

describe('units are compared case-sensitively (UCUM)', () => {
  const analyteIn = (family: string): Analyte => {
    const a = [...catalog.analytes.values()].find((x) => x.unitFamily === family);
    if (!a) throw new Error(`no analyte in ${family}`);
    return a;
  };

  it.each([
    ['magnesium', 'Mmol/L', 'megamole per litre'],
    ['tsh', 'mU/L', 'milli enzyme units, not milli international units'],
    ['urine-creatinine-ratio', 'MG/G', 'not UCUM'],
    ['urine-creatinine-ratio', 'UG/G CR', 'not UCUM'],
    ['urine-creatinine', 'Mmol/L', 'megamole per litre'],
    ['ferritin', 'UG/L', 'not UCUM'],
    ['enzyme-activity', 'u/L', 'not UCUM'],
  ])(
    'when a %s result is sent in %s (%s), then it is an unknown unit, not a silent match',
    (family, unit) => {
      expect(toCanonical(catalog, analyteIn(family), 1, unit)).toEqual({
        ok: false,
        problem: 'DATA-UNIT-UNKNOWN',
      });
    },
  );

  it.each([
    ['magnesium', 'mmol/L', 1],
    ['magnesium', 'mmol/l', 1],
    ['tsh', 'm[IU]/L', 1],
    ['tsh', 'mIU/L', 1],
    ['tsh', 'mIU/l', 1],
    ['enzyme-activity', 'IU/L', 1],
    ['magnesium', 'mEq/L', 0.5],
  ])('when a %s result is sent in %s, then it converts with factor %s', (family, unit, factor) => {
    expect(toCanonical(catalog, analyteIn(family), 2, unit)).toMatchObject({
      ok: true,
      value: 2 * factor,
    });
  });
});
