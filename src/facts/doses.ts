import type { Catalog } from '../rules/catalog';
import type { MassUnit } from '../rules/catalog-types';
import type { AgentInput, Dose, EvaluationRequest } from './request-types';
import { convertMass, doseUnitToMass, toSignificant } from './units';

/** What the daily doses given for one agent (requested or taken now) are against the catalog. */
export interface DoseFact {
  /** A dose is above the top of the catalog's studied dose range. */
  readonly aboveStudied: boolean;
  /** A dose is above the catalog's tolerable upper intake level. */
  readonly overUpperLimit: boolean;
}

/**
 * Every agent given with a daily dose, requested (`requested[]`) or taken now (`supplements[]`):
 * the worst of its doses counts, so one dose above a limit is never hidden by another within it.
 * Doses and catalog limits are both mass units by schema (request `dose.unit`, catalog `massUnit`),
 * so every dose is comparable: a new dose unit must be added to `doseUnitToMass`, whose switch is
 * exhaustive, before a request can carry it.
 */
export function doseFacts(catalog: Catalog, request: EvaluationRequest): Map<string, DoseFact> {
  const facts = new Map<string, DoseFact>();
  const agents: AgentInput[] = [
    ...(request.requested ?? []).filter((r): r is AgentInput => typeof r !== 'string'),
    ...(request.supplements ?? []),
  ];
  for (const agent of agents) {
    const intervention = catalog.interventions.get(agent.id);
    const dose = agent.dose;
    if (dose === undefined || intervention === undefined) continue;
    const { studiedDose, upperLimit } = intervention;
    const prev = facts.get(agent.id);
    facts.set(agent.id, {
      aboveStudied:
        (prev?.aboveStudied ?? false) ||
        (studiedDose !== undefined && exceeds(dose, studiedDose.max, studiedDose.unit)),
      overUpperLimit:
        (prev?.overUpperLimit ?? false) ||
        (upperLimit !== undefined && exceeds(dose, upperLimit.value, upperLimit.unit)),
    });
  }
  return facts;
}

/** A daily dose strictly above a limit (a dose on the limit is within it), in the limit's unit. */
function exceeds(dose: Dose, limit: number, unit: MassUnit): boolean {
  return toSignificant(convertMass(dose.value, doseUnitToMass(dose.unit), unit)) > limit;
}
