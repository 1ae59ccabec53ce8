import { Router } from 'express';
import { locals } from '../context';
import { buildOpenApi } from '../openapi';
import { ProblemError } from '../problems';
import type { RulesetStore } from '../ruleset-store';

export function openApiRoutes(store: RulesetStore): Router {
  const router = Router();
  let cache: { hash: string; doc: Record<string, unknown> } | undefined;
  router.get('/openapi.json', (_req, res) => {
    locals(res).route = '/openapi.json';
    const active = store.get();
    if (!active) throw new ProblemError('NOT-READY');
    if (cache?.hash !== active.ruleset.hash)
      cache = { hash: active.ruleset.hash, doc: buildOpenApi(active.requests.schema) };
    res.json(cache.doc);
  });
  return router;
}
