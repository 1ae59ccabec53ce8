import { unitKeys } from '../lib/unit-text';
import type {
  Analyte,
  CatalogFiles,
  Condition,
  Disclaimer,
  Drug,
  FactDef,
  Intervention,
  LabRange,
  MedicationClass,
  Policy,
  Questionnaire,
  ReasonCode,
  UnitDef,
  UnitFamily,
} from './catalog-types';

export interface IndexedUnitFamily {
  readonly family: UnitFamily;
  readonly units: ReadonlyMap<string, UnitDef>;
  readonly notNormalised: ReadonlySet<string>;
}

/** The catalog, indexed for look-ups on the hot path. Built once per ruleset load. */
export interface Catalog {
  readonly files: CatalogFiles;
  readonly analytes: ReadonlyMap<string, Analyte>;
  readonly unitFamilies: ReadonlyMap<string, IndexedUnitFamily>;
  readonly labs: ReadonlyMap<string, ReadonlyMap<string, LabRange>>;
  readonly questionnaires: ReadonlyMap<string, Questionnaire>;
  readonly interventions: ReadonlyMap<string, Intervention>;
  readonly interventionsByTag: ReadonlyMap<string, readonly string[]>;
  readonly interventionByAtc: ReadonlyMap<string, Intervention>;
  readonly medicationClasses: ReadonlyMap<string, MedicationClass>;
  readonly drugsByName: ReadonlyMap<string, Drug>;
  readonly drugsByAtc: ReadonlyMap<string, Drug>;
  readonly conditions: ReadonlyMap<string, Condition>;
  readonly symptoms: ReadonlySet<string>;
  readonly reasonCodes: ReadonlyMap<string, ReasonCode>;
  readonly findingIds: ReadonlySet<string>;
  readonly disclaimers: readonly Disclaimer[];
  readonly facts: ReadonlyMap<string, FactDef>;
  readonly policies: CatalogPolicies;
}

/** The catalog's policies (policies.yaml), by what they act on. */
export interface CatalogPolicies {
  readonly all: readonly Policy[];
  readonly redFlagHolds: readonly Extract<Policy, { holdOnRedFlag: unknown }>[];
  /** Holds by the data-issue code that triggers them. */
  readonly dataHolds: ReadonlyMap<string, Extract<Policy, { holdOnDataIssue: unknown }>>;
  /** The policy that makes each data-issue code mark its analyte confounded. */
  readonly confounding: ReadonlyMap<string, Extract<Policy, { confoundOnDataIssue: unknown }>>;
  readonly noIndication: Extract<Policy, { noIndication: unknown }> | undefined;
  readonly withoutData: readonly Extract<Policy, { holdWithoutData: unknown }>[];
  readonly staleness: Staleness | undefined;
}

/** The staleness policy, indexed: the window in days for each analyte and each questionnaire. */
export interface Staleness {
  readonly policy: Extract<Policy, { staleAfter: unknown }>;
  readonly analyteDays: ReadonlyMap<string, number>;
  readonly questionnaireDays: ReadonlyMap<string, number>;
}

export function indexPolicies(
  policies: readonly Policy[],
  analytes: readonly Analyte[],
  instruments: readonly string[],
): CatalogPolicies {
  const redFlagHolds: Extract<Policy, { holdOnRedFlag: unknown }>[] = [];
  const dataHolds = new Map<string, Extract<Policy, { holdOnDataIssue: unknown }>>();
  const confounding = new Map<string, Extract<Policy, { confoundOnDataIssue: unknown }>>();
  let noIndication: Extract<Policy, { noIndication: unknown }> | undefined;
  const withoutData: Extract<Policy, { holdWithoutData: unknown }>[] = [];
  let staleness: Staleness | undefined;
  for (const p of policies) {
    if ('holdOnRedFlag' in p) redFlagHolds.push(p);
    else if ('holdWithoutData' in p) withoutData.push(p);
    else if ('holdOnDataIssue' in p) dataHolds.set(p.holdOnDataIssue.code, p);
    else if ('confoundOnDataIssue' in p)
      for (const code of p.confoundOnDataIssue.codes) confounding.set(code, p);
    else if ('staleAfter' in p) staleness ??= indexStaleness(p, analytes, instruments);
    else noIndication ??= p;
  }
  return {
    all: policies,
    redFlagHolds,
    dataHolds,
    confounding,
    noIndication,
    withoutData,
    staleness,
  };
}

function indexStaleness(
  policy: Extract<Policy, { staleAfter: unknown }>,
  analytes: readonly Analyte[],
  instruments: readonly string[],
): Staleness {
  const { analyteGroups, questionnaires = [], questionnaireDefaultDays } = policy.staleAfter;
  const analyteDays = new Map<string, number>();
  for (const a of analytes) {
    const group = analyteGroups.find((g) => g.specimens.includes(a.specimen));
    if (group) analyteDays.set(a.id, group.days);
  }
  const listed = new Map(questionnaires.map((q) => [q.instrument, q.days]));
  const questionnaireDays = new Map(
    instruments.map((id) => [id, listed.get(id) ?? questionnaireDefaultDays]),
  );
  return { policy, analyteDays, questionnaireDays };
}

function byKey<T, K extends keyof T>(items: readonly T[], key: K): Map<T[K], T> {
  return new Map(items.map((item) => [item[key], item]));
}

export function indexCatalog(files: CatalogFiles): Catalog {
  const unitFamilies = new Map<string, IndexedUnitFamily>();
  for (const family of files.units.families) {
    const units = new Map<string, UnitDef>();
    const suffixes = family.creatinineSuffixes ?? [];
    for (const unit of family.units) {
      for (const spelling of [unit.code, ...(unit.aliases ?? [])])
        for (const key of unitKeys(spelling, suffixes)) if (!units.has(key)) units.set(key, unit);
    }
    unitFamilies.set(family.id, {
      family,
      units,
      notNormalised: new Set((family.notNormalised ?? []).flatMap((u) => unitKeys(u, []))),
    });
  }

  const interventionsByTag = new Map<string, string[]>();
  for (const intervention of files.interventions.interventions) {
    for (const tag of intervention.tags ?? []) {
      const list = interventionsByTag.get(tag) ?? [];
      list.push(intervention.id);
      interventionsByTag.set(tag, list);
    }
  }

  const drugsByName = new Map<string, Drug>();
  for (const drug of files.medications.drugs) {
    for (const name of [drug.name, ...(drug.synonyms ?? [])])
      drugsByName.set(name.toLowerCase(), drug);
  }

  const findingIds = new Set<string>(files.findings.patterns.map((p) => p.id));
  for (const q of files.questionnaires.questionnaires) findingIds.add(`${q.id}-severity`);
  for (const a of files.analytes.analytes) {
    findingIds.add(`${a.id}-low`);
    findingIds.add(`${a.id}-high`);
  }

  const interventionByAtc = new Map<string, Intervention>();
  for (const i of files.interventions.interventions)
    if (i.atc !== undefined) interventionByAtc.set(i.atc, i);

  return {
    files,
    analytes: byKey(files.analytes.analytes, 'id'),
    unitFamilies,
    labs: new Map(files.labs.labs.map((lab) => [lab.id, byKey(lab.ranges, 'analyte')])),
    questionnaires: byKey(files.questionnaires.questionnaires, 'id'),
    interventions: byKey(files.interventions.interventions, 'id'),
    interventionsByTag,
    interventionByAtc,
    medicationClasses: byKey(files.medications.classes, 'id'),
    drugsByName,
    drugsByAtc: byKey(files.medications.drugs, 'atc'),
    conditions: byKey(files.conditions.conditions, 'id'),
    symptoms: new Set(files.symptoms.symptoms.map((s) => s.id)),
    reasonCodes: byKey(files['reason-codes'].codes, 'code'),
    findingIds,
    disclaimers: files.disclaimers.disclaimers,
    facts: byKey(files.facts.facts, 'id'),
    policies: indexPolicies(
      files.policies.policies,
      files.analytes.analytes,
      files.questionnaires.questionnaires.map((q) => q.id),
    ),
  };
}
