import { createLocator, redFlagCountedResults } from '../../src/rules/lint';
import type { RuleDef } from '../../src/rules/rule-types';
import { RULES_DIR, shippedRuleset } from '../support/app';

const ruleset = shippedRuleset();
const at = createLocator(RULES_DIR);
const pheo = ruleset.rules.find((r) => r.id === 'red-flag.pheochromocytoma');

describe('lint: red flags read every result (RULE-REDFLAG-COUNTED-RESULT)', () => {
  it('when every shipped red flag is linted, then none reads a counted-result fact', () => {
    expect(ruleset.rules.flatMap((r) => redFlagCountedResults(r, at))).toEqual([]);
  });

  it('when a red flag reads biomarker-uln-multiple, then a warning names the fact to read instead', () => {
    if (!pheo) throw new Error('no pheochromocytoma rule');
    const counted: RuleDef = {
      ...pheo,
      when: {
        any: [
          {
            fact: 'biomarker-uln-multiple',
            params: { analyte: 'norepinephrine' },
            operator: 'greaterThanInclusive',
            value: 3,
          },
        ],
      },
    };
    const issues = redFlagCountedResults(counted, at);
    expect(issues.map((i) => [i.code, i.severity])).toEqual([
      ['RULE-REDFLAG-COUNTED-RESULT', 'warning'],
    ]);
    expect(issues[0]?.message).toContain('biomarker-uln-multiple-max');
  });

  it('when a safety or finding rule reads biomarker-status, then nothing is reported', () => {
    const finding = ruleset.rules.find((r) => r.id === 'finding.deficiency-patterns.ferritin');
    if (!finding) throw new Error('no ferritin finding');
    expect(redFlagCountedResults(finding, at)).toEqual([]);
  });
});
