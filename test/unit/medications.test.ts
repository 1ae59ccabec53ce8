import { buildFacts } from '../../src/facts/build';
import { classesOf, classStates, resolveAtc } from '../../src/facts/medications';
import type { ResolvedMedication } from '../../src/facts/medications';
import type { EvaluationRequest } from '../../src/facts/request-types';
import { FACTS, newEvalState } from '../../src/engine/state';
import { shippedRuleset } from '../support/app';

const catalog = shippedRuleset().catalog;

const classIds = (atc: string): string[] =>
  classesOf(catalog, atc)
    .map((c) => c.id)
    .sort();

function states(meds: ResolvedMedication[]): Record<string, string> {
  return Object.fromEntries(classStates(catalog, meds));
}

const stopped = (atc: string, stoppedDaysAgo?: number): ResolvedMedication => ({
  atc,
  status: 'stopped',
  ...(stoppedDaysAgo === undefined ? {} : { stoppedDaysAgo }),
});

describe('medication classes by ATC prefix (clinical-reference §4.6)', () => {
  it.each([
    ['N06AB06', ['serotonergic-antidepressant', 'ssri']], // sertraline
    ['N06AB03', ['serotonergic-antidepressant', 'ssri']], // fluoxetine
    ['N06AF03', ['maoi']], // phenelzine
    ['N06AG02', ['maoi']], // moclobemide
    ['N04BD01', ['maoi']], // selegiline (MAO-B)
    ['J01XX08', ['maoi']], // linezolid
    ['V03AB17', ['maoi']], // methylene blue
    ['N06AA04', ['serotonergic-antidepressant', 'tca']], // clomipramine
    ['N06AX16', ['serotonergic-antidepressant', 'snri']], // venlafaxine
    ['N02CC01', ['triptan']], // sumatriptan
    ['N06AX01', ['serotonergic-supplement']], // oxitriptan (5-HTP)
    ['N06AX25', ['serotonergic-supplement']], // Hyperici herba (SJW)
    ['N04BA01', ['dopaminergic', 'levodopa-plain']],
    ['N04BA02', ['dopaminergic', 'levodopa-ddci']],
    ['H03AA01', ['thyroid-hormone']], // levothyroxine
    ['B01AA03', ['anticoagulant']], // warfarin
  ])('when the ATC code is %s, then the classes include %p', (atc, expected) => {
    const got = classIds(atc);
    for (const id of expected) expect(got).toContain(id);
  });

  it.each([
    ['N06AX11', 'ssri'], // mirtazapine is not an SSRI
    ['N06A', 'ssri'], // a shorter code than the prefix is not in the class
    ['N06AX12', 'serotonergic-antidepressant'], // bupropion
    ['N02CC01', 'maoi'],
  ])('when the ATC code is %s, then it is not in %s', (atc, cls) => {
    expect(classIds(atc)).not.toContain(cls);
  });

  it('when the ATC code belongs to no class, then there are no classes', () => {
    expect(classIds('Z99ZZ99')).toEqual([]);
  });
});

describe('medication name or brand → ATC', () => {
  it.each([
    ['sertraline', undefined, 'N06AB06'],
    ['Zoloft', undefined, 'N06AB06'],
    ['  LUSTRAL ', undefined, 'N06AB06'],
    ['prozac', undefined, 'N06AB03'],
    ['fluoxetine', undefined, 'N06AB03'],
    ['nardil', undefined, 'N06AF03'],
    ['phenelzine', undefined, 'N06AF03'],
    ['escitalopram', undefined, 'N06AB10'],
    [undefined, ' n06ab06 ', 'N06AB06'],
    ['not-a-drug', 'N06AF03', 'N06AF03'], // an ATC code wins over the name
  ])('when the name is %p and the ATC is %p, then the ATC is %s', (name, atc, want) => {
    expect(resolveAtc(catalog, name, atc)).toBe(want);
  });

  it.each([['wonderpill'], ['sertralin'], ['']])(
    'when the name "%s" is not in the catalog, then the ATC is unknown',
    (name) => {
      expect(resolveAtc(catalog, name, undefined)).toBeUndefined();
    },
  );

  it('when an unknown name is sent, then DATA-MED-UNKNOWN points at it', () => {
    const model = buildFacts(catalog, {
      patient: { age: 40 },
      medications: { attested: true, items: [{ name: 'wonderpill', status: 'active' }] },
    });
    expect(model.problems).toContainEqual(
      expect.objectContaining({ code: 'DATA-MED-UNKNOWN', pointer: '/medications/items/0/name' }),
    );
  });
});

describe('washout windows (clinical-reference §4.1)', () => {
  it.each([
    // MAOIs: 14 days
    ['phenelzine', 'N06AF03', 'maoi', 0, 'washout'],
    ['phenelzine', 'N06AF03', 'maoi', 13, 'washout'],
    ['phenelzine', 'N06AF03', 'maoi', 14, undefined],
    ['moclobemide', 'N06AG02', 'maoi', 13, 'washout'],
    ['moclobemide', 'N06AG02', 'maoi', 14, undefined],
    ['selegiline', 'N04BD01', 'maoi', 13, 'washout'],
    ['selegiline', 'N04BD01', 'maoi', 14, undefined],
    // fluoxetine: 5 weeks
    ['fluoxetine', 'N06AB03', 'ssri', 28, 'washout'],
    ['fluoxetine', 'N06AB03', 'ssri', 34, 'washout'],
    ['fluoxetine', 'N06AB03', 'ssri', 35, undefined],
    ['fluoxetine', 'N06AB03', 'serotonergic-antidepressant', 28, 'washout'],
    ['fluoxetine', 'N06AB03', 'serotonergic-antidepressant', 35, undefined],
    // other SSRIs: 2 weeks
    ['sertraline', 'N06AB06', 'ssri', 13, 'washout'],
    ['sertraline', 'N06AB06', 'ssri', 14, undefined],
    ['citalopram', 'N06AB04', 'ssri', 13, 'washout'],
    ['citalopram', 'N06AB04', 'ssri', 14, undefined],
    ['paroxetine', 'N06AB05', 'serotonergic-antidepressant', 13, 'washout'],
    ['paroxetine', 'N06AB05', 'serotonergic-antidepressant', 14, undefined],
  ])('when %s (%s) was stopped %d days ago, then %s is %s', (_name, atc, cls, days, state) => {
    expect(states([stopped(atc, days)])[cls]).toBe(state);
  });

  it.each([['N06AF03'], ['N06AB03'], ['N06AB06']])(
    'when %s was stopped but stoppedDaysAgo is not known, then its classes stay in washout (fail closed)',
    (atc) => {
      const got = states([stopped(atc)]);
      expect(Object.keys(got).length).toBeGreaterThan(0);
      for (const state of Object.values(got)) expect(state).toBe('washout');
    },
  );

  it('when one SSRI is active and another stopped, then the class is active', () => {
    expect(states([stopped('N06AB03', 3), { atc: 'N06AB06', status: 'active' }]).ssri).toBe(
      'active',
    );
    expect(states([{ atc: 'N06AB06', status: 'active' }, stopped('N06AB03', 3)]).ssri).toBe(
      'active',
    );
  });

  it.each([
    [13, 'washout'],
    [14, 'none'],
  ])(
    'when phenelzine was stopped %d days ago, then the medication-class fact reads %s',
    (days, value) => {
      const model = buildFacts(catalog, {
        patient: { age: 40 },
        medications: {
          attested: true,
          items: [{ name: 'phenelzine', status: 'stopped', stoppedDaysAgo: days }],
        },
      });
      expect(FACTS['medication-class']!(model, newEvalState(), { class: 'maoi' })).toBe(value);
    },
  );
});

describe('supplements that have an ATC code count as active drugs', () => {
  const taking = (id: string): EvaluationRequest => ({
    patient: { age: 40 },
    medications: { attested: true, items: [] },
    supplements: [{ id }],
  });

  it.each([
    ['5-htp', 'N06AX01'],
    ['l-tryptophan', 'N06AX02'],
    ['st-johns-wort', 'N06AX25'],
  ])('when the patient takes %s, then its catalog ATC is %s', (id, atc) => {
    expect(catalog.interventions.get(id)?.atc).toBe(atc);
  });

  it.each([['5-htp'], ['l-tryptophan'], ['st-johns-wort']])(
    'when the patient takes %s, then serotonergic-supplement is active',
    (id) => {
      const model = buildFacts(catalog, taking(id));
      expect(model.medicationClasses.get('serotonergic-supplement')).toBe('active');
      expect(model.supplementsTaken.has(id)).toBe(true);
    },
  );

  it('when the patient takes magnesium (no ATC), then no medication class is active', () => {
    expect(buildFacts(catalog, taking('magnesium')).medicationClasses.size).toBe(0);
  });
});
