import { Router } from 'express';
import { locals } from '../context';
import { reloadErrorJson, validationJson } from '../ruleset-store';
import type { RulesetStore } from '../ruleset-store';

export function healthRoutes(store: RulesetStore, isDraining: () => boolean): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    locals(res).route = '/livez';
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    locals(res).route = '/readyz';
    const active = store.get();
    const ready = active !== undefined && !isDraining();
    // A rejected reload leaves the last good ruleset serving: still ready, but say why.
    const reloadError = store.lastReloadError();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : isDraining() ? 'draining' : 'loading',
      ...(active
        ? {
            ruleset: {
              id: active.ruleset.manifest.id,
              version: active.ruleset.manifest.version,
              hash: active.ruleset.hash,
              loadedAt: active.ruleset.loadedAt,
              validation: validationJson(active),
            },
          }
        : {}),
      ...(reloadError ? { lastReloadError: reloadErrorJson(reloadError) } : {}),
    });
  });
  return router;
}
