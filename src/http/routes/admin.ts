import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { requireAdmin } from '../auth';
import { locals } from '../context';
import { ProblemError } from '../problems';
import type { ReloadOutcome, Reloader } from '../reload';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.x.y.z). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * POST /v1/admin/reload: load rules/ again now, as the dev watcher does on a file change.
 * Accepted only over loopback (the socket's address, never a forwarded header) and with an admin
 * key; a rejected ruleset leaves the last good one serving.
 */
export function adminRoutes(reload: Reloader | undefined): Router {
  const router = Router();
  router.post(
    '/v1/admin/reload',
    (req: Request, res: Response, next) => {
      locals(res).route = '/v1/admin/reload';
      if (!isLoopback(req.socket.remoteAddress))
        throw new ProblemError('FORBIDDEN', 'Reload is accepted only from the loopback interface.');
      next();
    },
    requireAdmin,
    (_req: Request, res: Response, next: NextFunction) => {
      if (!reload) throw new ProblemError('NOT-FOUND', 'Reloading is not enabled in this process.');
      reload()
        .then((outcome) => {
          answerReload(res, outcome);
        })
        .catch(next);
    },
  );
  return router;
}

function answerReload(res: Response, outcome: ReloadOutcome): void {
  if (!outcome.ok) {
    const codes = [...new Set(outcome.issues.map((i) => i.code))].join(', ');
    throw new ProblemError(
      'RULESET-REJECTED',
      `${String(outcome.issues.length)} problem(s) (${codes}); the last good ruleset keeps serving. See lastReloadError in GET /v1/ruleset.`,
    );
  }
  const { ruleset, changed } = outcome;
  res.json({
    status: changed ? 'reloaded' : 'unchanged',
    ruleset: {
      id: ruleset.manifest.id,
      version: ruleset.manifest.version,
      hash: ruleset.hash,
      loadedAt: ruleset.loadedAt,
    },
  });
}
