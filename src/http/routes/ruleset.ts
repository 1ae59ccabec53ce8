import { Router } from 'express';
import type { Response } from 'express';
import { locals } from '../context';
import { ProblemError } from '../problems';
import { reloadErrorJson, validationJson } from '../ruleset-store';
import type { ActiveRuleset, RulesetStore } from '../ruleset-store';

function requireActive(store: RulesetStore, res: Response, route: string): ActiveRuleset {
  locals(res).route = route;
  const active = store.get();
  if (!active) throw new ProblemError('NOT-READY');
  return active;
}

/** Read-only views of the loaded ruleset: what content authors and callers can inspect. */
export function rulesetRoutes(store: RulesetStore): Router {
  const router = Router();

  router.get('/v1/ruleset', (_req, res) => {
    const active = requireActive(store, res, '/v1/ruleset');
    const { ruleset } = active;
    const counts: Record<string, number> = {};
    for (const [kind, rules] of ruleset.compiled.activeByKind) counts[kind] = rules.length;
    const reloadError = store.lastReloadError();
    res.json({
      id: ruleset.manifest.id,
      version: ruleset.manifest.version,
      title: ruleset.manifest.title,
      hash: ruleset.hash,
      loadedAt: ruleset.loadedAt,
      validation: validationJson(active),
      lastReloadError: reloadError ? reloadErrorJson(reloadError) : null,
      activeRules: counts,
      rules: ruleset.rules.map((r) => ({
        id: r.id,
        version: r.version,
        kind: r.kind,
        status: r.status,
        title: r.title,
      })),
    });
  });

  router.get('/v1/rules/:id', (req, res) => {
    const { ruleset } = requireActive(store, res, '/v1/rules/:id');
    const rule = ruleset.rulesById.get(req.params.id);
    if (!rule) throw new ProblemError('RULE-NOT-FOUND', 'See GET /v1/ruleset for the rule ids.');
    const { source, ...definition } = rule;
    res.json({ ...definition, source: `${source.file}:${source.line}:${source.column}` });
  });

  router.get('/v1/catalog', (_req, res) => {
    const { ruleset } = requireActive(store, res, '/v1/catalog');
    const f = ruleset.catalog.files;
    res.json({
      ruleset: { id: ruleset.manifest.id, version: ruleset.manifest.version, hash: ruleset.hash },
      analytes: f.analytes.analytes,
      units: f.units.families,
      labs: f.labs.labs,
      questionnaires: f.questionnaires.questionnaires,
      symptoms: f.symptoms.symptoms,
      interventions: f.interventions.interventions,
      medicationClasses: f.medications.classes,
      medications: f.medications.drugs,
      conditions: f.conditions.conditions,
      reasonCodes: f['reason-codes'].codes,
      policies: f.policies.policies,
      findings: [...ruleset.catalog.findingIds].sort(),
      facts: f.facts.facts,
      operators: [
        'equal',
        'notEqual',
        'in',
        'notIn',
        'lessThan',
        'lessThanInclusive',
        'greaterThan',
        'greaterThanInclusive',
        'between',
      ],
    });
  });
  return router;
}
