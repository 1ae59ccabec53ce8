import { mapFhir, UNMAPPED_MEDICATION, ageAt } from '../../../src/fhir/map';
import type { NativeBody } from '../../../src/fhir/map';
import { SYSTEM } from '../../../src/fhir/codes';
import { shippedRuleset } from '../../support/app';

const catalog = shippedRuleset().catalog;
const asOf = new Date('2026-01-15T09:00:00Z');
const patient = { resourceType: 'Patient', id: 'p1', birthDate: '1986-01-15', gender: 'female' };
const bundle = (...resources: Record<string, unknown>[]): Record<string, unknown> => ({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [patient, ...resources].map((resource) => ({ resource })),
});
const loinc = (code: string) => ({ coding: [{ system: SYSTEM.loinc, code }] });
const obs = (id: string, code: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: loinc(code),
  ...extra,
});
const med = (
  id: string,
  coding: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) => ({
  resourceType: 'MedicationStatement',
  id,
  status: 'active',
  medicationCodeableConcept: { coding },
  ...extra,
});

function mapped(...resources: Record<string, unknown>[]) {
  const m = mapFhir(catalog, bundle(...resources), { asOf });
  if (!m.ok) throw new Error(JSON.stringify(m.errors));
  return m;
}

describe('FHIR R4 → native request (src/fhir/map.ts)', () => {
  const cases: [string, Record<string, unknown>[], Partial<NativeBody>, Record<string, string>][] =
    [
      [
        'a Patient gives age at asOf and sex',
        [],
        { patient: { age: 40, sex: 'female' } },
        { '/patient/age': 'Patient/p1/birthDate', '/patient/sex': 'Patient/p1/gender' },
      ],
      [
        'a LOINC-coded Observation gives a biomarker with UCUM unit, range, date',
        [
          obs('ferr', '2276-4', {
            valueQuantity: { value: 12, unit: 'ng/mL', system: SYSTEM.ucum, code: 'ng/mL' },
            referenceRange: [
              { low: { value: 15, unit: 'ng/mL' }, high: { value: 150, unit: 'ng/mL' } },
            ],
            effectiveDateTime: '2026-01-10',
          }),
        ],
        {
          biomarkers: [
            {
              analyte: 'ferritin',
              value: 12,
              unit: 'ng/mL',
              referenceRange: { low: 15, high: 150, unit: 'ng/mL' },
              collectedAt: '2026-01-10T00:00:00.000Z',
            },
          ],
        },
        {
          '/biomarkers/0/unit': 'Observation/ferr/valueQuantity/code',
          '/biomarkers/0/referenceRange/unit': 'Observation/ferr/referenceRange/0/high/unit',
          '/biomarkers/0/collectedAt': 'Observation/ferr/effectiveDateTime',
        },
      ],
      [
        'a PHQ-9 total Observation gives a total and points items at hasMember',
        [obs('phq', '44261-6', { valueInteger: 12 })],
        { questionnaires: [{ instrument: 'phq-9', total: 12 }] },
        { '/questionnaires/0/items': 'Observation/phq/hasMember' },
      ],
      [
        'nine PHQ-9 item Observations give the items in order',
        [
          '44250-9',
          '44255-8',
          '44259-0',
          '44254-1',
          '44251-7',
          '44258-2',
          '44252-5',
          '44253-3',
          '44260-8',
        ].map((code, i) => obs(`i${String(i + 1)}`, code, { valueInteger: i === 8 ? 2 : 1 })),
        { questionnaires: [{ instrument: 'phq-9', items: [1, 1, 1, 1, 1, 1, 1, 1, 2] }] },
        { '/questionnaires/0/items/8': 'Observation/i9/valueInteger' },
      ],
      [
        'PHQ-2 items 1-2 without a PHQ-9 total are read as the PHQ-2',
        [obs('a', '44250-9', { valueInteger: 2 }), obs('b', '44255-8', { valueInteger: 1 })],
        { questionnaires: [{ instrument: 'phq-2', items: [2, 1] }] },
        {},
      ],
      [
        'pregnancy status 82810-3 gives pregnancy',
        [
          obs('preg', '82810-3', {
            valueCodeableConcept: { coding: [{ system: SYSTEM.snomed, code: '77386006' }] },
          }),
        ],
        { patient: { age: 40, sex: 'female', pregnancy: 'pregnant' } },
        { '/patient/pregnancy': 'Observation/preg/valueCodeableConcept' },
      ],
      [
        'a pregnancy Condition gives pregnancy',
        [
          {
            resourceType: 'Condition',
            id: 'c',
            code: { coding: [{ system: SYSTEM.snomed, code: '77386006' }] },
          },
        ],
        { patient: { age: 40, sex: 'female', pregnancy: 'pregnant' } },
        {},
      ],
      [
        'breastfeeding status gives lactating',
        [
          obs('bf', '63895-7', {
            valueCodeableConcept: { coding: [{ system: SYSTEM.snomed, code: '169750002' }] },
          }),
        ],
        { patient: { age: 40, sex: 'female', lactating: true } },
        {},
      ],
      [
        'an RxNorm ingredient maps to ATC through the catalog',
        [med('m1', [{ system: SYSTEM.rxnorm, code: '36437' }])],
        { medications: { attested: false, items: [{ atc: 'N06AB06', status: 'active' }] } },
        { '/medications/items/0/name': 'MedicationStatement/m1/medicationCodeableConcept' },
      ],
      [
        'an RxNorm code not in the table becomes an unmapped medication (DATA-MED-UNKNOWN)',
        [med('m1', [{ system: SYSTEM.rxnorm, code: '617993', display: 'Amoxicillin 120 MG/ML' }])],
        {
          medications: {
            attested: false,
            items: [{ name: UNMAPPED_MEDICATION, status: 'active' }],
          },
        },
        { '/medications/items/0/name': 'MedicationStatement/m1/medicationCodeableConcept' },
      ],
      [
        'a stopped MedicationStatement gives stoppedDaysAgo from effectivePeriod.end',
        [
          med('m1', [{ system: SYSTEM.atc, code: 'N06AF03' }], {
            status: 'stopped',
            effectivePeriod: { end: '2026-01-05T09:00:00Z' },
          }),
        ],
        {
          medications: {
            attested: false,
            items: [{ atc: 'N06AF03', status: 'stopped', stoppedDaysAgo: 10 }],
          },
        },
        { '/medications/items/0/stoppedDaysAgo': 'MedicationStatement/m1/effectivePeriod/end' },
      ],
      [
        'a supplement with an ATC code taken now is a supplement',
        [med('m1', [{ system: SYSTEM.atc, code: 'N06AX01' }])],
        { supplements: [{ id: '5-htp' }] },
        {},
      ],
      [
        "St John's wort by text is a supplement",
        [
          {
            resourceType: 'MedicationStatement',
            id: 'm1',
            status: 'active',
            medicationCodeableConcept: { text: "St John's wort" },
          },
        ],
        { supplements: [{ id: 'st-johns-wort' }] },
        {},
      ],
      [
        'a current snapshot medication List attests the list',
        [
          {
            resourceType: 'List',
            id: 'L',
            status: 'current',
            mode: 'snapshot',
            code: loinc('10160-0'),
          },
        ],
        { medications: { attested: true } },
        { '/medications/attested': 'List/L/mode' },
      ],
      [
        'ICD-10-CM and SNOMED CT Conditions map; refuted ones do not',
        [
          {
            resourceType: 'Condition',
            id: 'c1',
            code: { coding: [{ system: SYSTEM.icd10cm, code: 'F31.2' }] },
          },
          {
            resourceType: 'Condition',
            id: 'c2',
            code: { coding: [{ system: SYSTEM.snomed, code: '49049000' }] },
          },
          {
            resourceType: 'Condition',
            id: 'c3',
            verificationStatus: { coding: [{ code: 'refuted' }] },
            code: { coding: [{ system: SYSTEM.snomed, code: '69322001' }] },
          },
        ],
        { conditions: [{ icd10: 'F31.2' }, { id: 'parkinsons-disease' }] },
        { '/conditions/1': 'Condition/c2/code' },
      ],
      [
        'a SNOMED CT Condition the catalog cannot map goes on as itself (DATA-CONDITION-UNKNOWN), unless another coding of it mapped',
        [
          {
            resourceType: 'Condition',
            id: 'u1',
            code: { coding: [{ system: SYSTEM.snomed, code: '44054006' }] },
          },
          {
            resourceType: 'Condition',
            id: 'u2',
            code: {
              coding: [
                { system: SYSTEM.snomed, code: '44054006' },
                { system: SYSTEM.snomed, code: '49049000' },
              ],
            },
          },
        ],
        { conditions: [{ snomed: '44054006' }, { id: 'parkinsons-disease' }] },
        { '/conditions/0': 'Condition/u1/code', '/conditions/1': 'Condition/u2/code' },
      ],
      [
        'a blood pressure panel gives systolic and diastolic',
        [
          obs('bp', '85354-9', {
            component: [
              { code: loinc('8480-6'), valueQuantity: { value: 182 } },
              { code: loinc('8462-4'), valueQuantity: { value: 121 } },
            ],
          }),
        ],
        { vitals: { systolic: 182, diastolic: 121 } },
        { '/vitals/systolic': 'Observation/bp/component/0/valueQuantity/value' },
      ],
    ];

  it.each(cases)(
    'when %s, then the body and pointers say so',
    (_name, resources, want, pointers) => {
      const m = mapped(...resources);
      expect(m.body).toMatchObject(want);
      for (const [native, fhir] of Object.entries(pointers))
        expect(m.pointers.toFhir(native)).toBe(fhir);
    },
  );

  it('when PHQ-9 item 9 comes without the other items, then it maps to answers (no item made up) with its location', () => {
    const m = mapped(
      obs('i9', '44260-8', { valueInteger: 2 }),
      obs('t', '44261-6', { valueInteger: 5 }),
    );
    expect(m.body.questionnaires).toEqual([
      { instrument: 'phq-9', answers: [{ item: 9, value: 2 }], total: 5 },
    ]);
    expect(m.pointers.toFhir('/questionnaires/0/answers/0/value')).toBe(
      'Observation/i9/valueInteger',
    );
    expect(m.pointers.toFhir('/questionnaires/0/answers/0')).toBe('Observation/i9');
    expect(m.pointers.toFhir('/questionnaires/0/total')).toBe('Observation/t/valueInteger');
  });

  it('when a QuestionnaireResponse answers PHQ-9 item 9 alone (linkId 44260-8), then it maps to answers with the answer location', () => {
    const m = mapped({
      resourceType: 'QuestionnaireResponse',
      id: 'qr',
      status: 'completed',
      authored: '2026-01-10',
      item: [{ linkId: '44260-8', answer: [{ valueInteger: 0 }] }],
    });
    expect(m.body.questionnaires).toEqual([
      // Dated like any questionnaire: an item answered alone can go stale too.
      {
        instrument: 'phq-9',
        answers: [{ item: 9, value: 0 }],
        completedAt: '2026-01-10T00:00:00.000Z',
      },
    ]);
    expect(m.pointers.toFhir('/questionnaires/0/answers/0/value')).toBe(
      'QuestionnaireResponse/qr/item/0/answer/0/valueInteger',
    );
    expect(m.pointers.toFhir('/questionnaires/0/completedAt')).toBe(
      'QuestionnaireResponse/qr/authored',
    );
  });

  const symptom = (id: string, code: string, extra: Record<string, unknown>) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: SYSTEM.symptom, code }] },
    ...extra,
  });

  it('when symptom Observations come (the service code system), then the latest severity per symptom is read with its location', () => {
    const m = mapped(
      symptom('s1', 'insomnia-onset', { valueInteger: 1, effectiveDateTime: '2026-01-01' }),
      symptom('s2', 'insomnia-onset', { valueInteger: 3, effectiveDateTime: '2026-01-10' }),
      symptom('s3', 'tremor', { valueInteger: 2 }),
      symptom('s4', 'not-a-symptom', { valueInteger: 2 }),
      symptom('s5', 'worry', { valueInteger: 3, status: 'entered-in-error' }),
    );
    expect(m.body.symptoms).toEqual([
      { id: 'insomnia-onset', severity: 3 },
      { id: 'tremor', severity: 2 },
    ]);
    expect(m.pointers.toFhir('/symptoms/0/severity')).toBe('Observation/s2/valueInteger');
    expect(m.pointers.toFhir('/symptoms/1')).toBe('Observation/s3');
  });

  it('when the input is not FHIR, then the mapping is refused', () => {
    expect(mapFhir(catalog, { patient: { age: 3 } }, { asOf }).ok).toBe(false);
  });

  it('when a pointer has no mapping of its own, then the longest mapped prefix is used', () => {
    const m = mapped(obs('f', '2276-4', { valueQuantity: { value: 3 } }));
    expect(m.pointers.toFhir('/biomarkers/0/referenceRange/high')).toBe(
      'Observation/f/referenceRange/high',
    );
  });

  it.each([
    ['1986-01-15', 40],
    ['1986-01-16', 39],
    ['1986', 39],
    ['2027-01-01', undefined],
  ])('when born %s, then the age on 2026-01-15 is %s', (birth, age) => {
    expect(ageAt(birth, asOf)).toBe(age);
  });

  it('when draft orders are given, then supplements become requested and drugs active medications', () => {
    const m = mapFhir(catalog, bundle(), {
      asOf,
      draftOrders: [
        {
          resourceType: 'Bundle',
          entry: [
            {
              resource: {
                resourceType: 'MedicationRequest',
                id: 'd1',
                status: 'draft',
                medicationCodeableConcept: { text: "St John's wort" },
              },
            },
            {
              resource: {
                resourceType: 'MedicationRequest',
                id: 'd2',
                status: 'draft',
                medicationCodeableConcept: { coding: [{ system: SYSTEM.rxnorm, code: '190376' }] },
              },
            },
          ],
        },
      ],
    });
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.body.requested).toEqual(['st-johns-wort']);
    expect(m.body.medications.items).toEqual([{ atc: 'J01XX08', status: 'active' }]);
    expect(m.drafts.map((d) => d.resourceId)).toEqual([
      'MedicationRequest/d1',
      'MedicationRequest/d2',
    ]);
  });
});

describe('catalog codes for FHIR', () => {
  const verhoeff = (digits: string): boolean => {
    const d = [
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
      [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
      [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
      [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
      [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
      [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
      [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const p = [
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
      [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
      [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
      [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
      [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
      [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let c = 0;
    digits
      .split('')
      .reverse()
      .forEach((ch, i) => {
        c = d[c]![p[i % 8]![Number(ch)]!]!;
      });
    return c === 0;
  };
  const loincOk = (code: string): boolean => {
    const [body, check] = code.split('-');
    const digits = body!.split('').reverse().map(Number);
    let sum = 0;
    digits.forEach((n, i) => {
      const v = i % 2 === 0 ? n * 2 : n;
      sum += v > 9 ? v - 9 : v;
    });
    return (10 - (sum % 10)) % 10 === Number(check);
  };

  it('every SNOMED CT code in the catalog passes its Verhoeff check digit', () => {
    const codes = [...catalog.conditions.values()].flatMap((c) => c.snomed ?? []);
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((c) => !verhoeff(c))).toEqual([]);
  });

  it('every item LOINC code passes its mod-10 check digit', () => {
    const codes = [...catalog.questionnaires.values()].flatMap((q) => q.itemLoinc ?? []);
    expect(codes.filter((c) => !loincOk(c))).toEqual([]);
    for (const q of catalog.questionnaires.values())
      if (q.itemLoinc) expect(q.itemLoinc).toHaveLength(q.itemCount);
  });

  it('every RxNorm code maps to one drug', () => {
    const seen = new Map<string, string>();
    for (const d of catalog.files.medications.drugs)
      for (const rx of d.rxnorm ?? []) {
        expect(seen.get(rx)).toBeUndefined();
        seen.set(rx, d.name);
      }
    expect(seen.size).toBeGreaterThan(100);
  });
});
