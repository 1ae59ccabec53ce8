import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import express, { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { answer } from '../../engine/answer';
import type { Rejection } from '../../engine/answer';
import type { EvaluationResponse } from '../../engine/response-types';
import { escapeHtml } from '../../lib/html';
import { formatIssue } from '../../lib/issue';
import type { Issue } from '../../lib/issue';
import { compareOutcome, loadCases, requestOf } from '../../regression/case';
import type { RegressionCase } from '../../regression/case';
import { compareRulesets } from '../../regression/impact';
import type { Changed, ImpactInput, RuleChange } from '../../regression/impact';
import { createEvaluator } from '../../regression/run';
import type { Ruleset } from '../../engine/ruleset';
import { LOCK_BLOCKING_CODES } from '../../rules/lock';
import { whyNot } from '../../studio/why-not';
import type { WhyNot } from '../../studio/why-not';
import {
  applyBumps,
  loadCandidate,
  readRuleFile,
  RulePathError,
  ruleFiles,
  saveRuleFile,
} from '../../studio/workspace';
import type { NeededBump } from '../../studio/workspace';
import { generatePatients } from '../../synth/patients';
import { locals } from '../context';
import { ProblemError } from '../problems';
import type { Reloader } from '../reload';
import type { RulesetStore } from '../ruleset-store';
import { isLoopback } from './admin';

/** One problem of the edited ruleset, as the page shows it. */
export interface StudioIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly message: string;
  /** `file:line:column  CODE  message`, as the CLI prints it. */
  readonly text: string;
}

/** The JSON answers of the studio API; the front end (studio/src/) reads these same types. */
export interface StudioState {
  readonly ruleset: RulesetRef;
  readonly files: readonly string[];
  readonly cases: readonly { readonly name: string; readonly description: string }[];
}

export interface RulesetRef {
  readonly id: string;
  readonly version: string;
  readonly hash: string;
}

export interface StudioCase {
  readonly name: string;
  readonly description: string;
  readonly request: Record<string, unknown>;
}

export type StudioRun =
  | { readonly ok: true; readonly response: EvaluationResponse; readonly whyNot: readonly WhyNot[] }
  | { readonly ok: false; readonly rejection: Rejection };

export interface StudioCheck {
  readonly ok: boolean;
  readonly issues: readonly StudioIssue[];
  readonly lockIssues: readonly StudioIssue[];
  readonly bumps: readonly NeededBump[];
}

export interface StudioImpact {
  readonly regressionCases: number;
  readonly syntheticPatients: number;
  readonly changed: { readonly regression: number; readonly synthetic: number };
  readonly ruleChanges: readonly RuleChange[];
  readonly groups: readonly {
    readonly rule: string;
    readonly ruleChange: string;
    readonly regression: number;
    readonly synthetic: number;
    readonly items: readonly Changed[];
  }[];
  readonly failures: readonly { readonly case: string; readonly differences: readonly string[] }[];
  readonly lockIssues: readonly StudioIssue[];
  readonly seconds: number;
}

export interface StudioSave {
  readonly saved: string;
  readonly text: string;
  readonly bumped: readonly NeededBump[];
  readonly ruleset: RulesetRef;
}

/** What the rule studio needs; given to createApp only in development mode. */
export interface StudioDeps {
  /** The rules folder the server loads (and the studio writes). */
  readonly rulesDir: string;
  /** Regression cases to pick from and to check impact on (absent folder: none). */
  readonly casesDir: string;
  /** Loads rulesDir into the store after a save. */
  readonly reload: Reloader;
  /** Built front end (studio.js, studio.css); default dist/studio. */
  readonly assetsDir: string;
  /** Synthetic patients compared on "Check impact" (default 2000, seed 1). */
  readonly syntheticCount?: number;
  /** The page's write token; default random per process. */
  readonly token?: string;
}

/** Fixed clock for impact, as `ntcds diff` uses, so both rulesets see the same day. */
const IMPACT_NOW = new Date('2026-01-15T09:00:00Z');
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
const ASSETS: Readonly<Record<string, string>> = {
  'studio.js': 'text/javascript; charset=utf-8',
  'studio.css': 'text/css; charset=utf-8',
};
/** Synthetic examples kept per rule group in an impact answer. */
const EXAMPLES_PER_GROUP = 20;

function issueJson(i: Issue): StudioIssue {
  return {
    file: i.file ?? '',
    line: i.line ?? 1,
    column: i.column ?? 1,
    code: i.code,
    message: i.message,
    text: formatIssue(i),
  };
}

function rejected(issues: readonly Issue[]): ProblemError {
  return new ProblemError(
    'RULE-FILE-REJECTED',
    `${String(issues.length)} problem(s); see errors (file:line:column).`,
    issues.slice(0, 50).map((i) => ({ pointer: '', code: i.code, message: formatIssue(i) })),
  );
}

function bodyOf(req: Request): { path: unknown; text: unknown; bump: unknown } {
  const b = (req.body ?? {}) as Record<string, unknown>;
  return { path: b.path, text: b.text, bump: b.bump };
}

function textOf(value: unknown): string {
  if (typeof value !== 'string' || value.length > 1_000_000)
    throw new ProblemError('INVALID-REQUEST', '"text" must be the rule file as a string.');
  return value;
}

function page(token: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="studio-token" content="${escapeHtml(token)}">
<title>Rule studio</title>
<link rel="stylesheet" href="/studio/assets/studio.css">
<script src="/studio/assets/studio.js" defer></script>
</head><body>
<noscript>The rule studio needs JavaScript. The read-only rule book is at <a href="/rules">/rules</a>.</noscript>
<div id="studio"></div>
</body></html>
`;
}

/**
 * The rule studio (development mode only): a page, and a JSON API that runs requests, checks an
 * edited rule file with the real loader, compares the edited ruleset with the served one, and
 * saves under rules/. Every route answers only over loopback with a loopback Host (no DNS
 * rebinding); every POST needs the page's token in `X-Studio-Token` (a cross-site page cannot
 * read it, so it cannot save).
 */
export function studioRoutes(store: RulesetStore, deps: StudioDeps): Router {
  const router = Router();
  const token = deps.token ?? randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  let corpus: { cases: RegressionCase[] } | undefined;
  const cases = (): RegressionCase[] => {
    if (!corpus) {
      try {
        corpus = fs.existsSync(deps.casesDir)
          ? { cases: loadCases(deps.casesDir).cases }
          : { cases: [] };
      } catch {
        corpus = { cases: [] };
      }
    }
    return corpus.cases;
  };
  const served = (): Ruleset => {
    const active = store.get();
    if (!active) throw new ProblemError('NOT-READY');
    return active.ruleset;
  };
  const candidateOf = (req: Request) => {
    const b = bodyOf(req);
    const text = textOf(b.text);
    const rel = typeof b.path === 'string' ? b.path : '';
    const candidate = loadCandidate(deps.rulesDir, rel, text);
    return { rel, text, candidate, bump: b.bump === true };
  };

  router.use('/studio', (req: Request, res: Response, next: NextFunction) => {
    locals(res).route = '/studio';
    if (!isLoopback(req.socket.remoteAddress) || !LOOPBACK_HOST.test(req.headers.host ?? ''))
      throw new ProblemError(
        'FORBIDDEN',
        'The rule studio answers only on the loopback interface.',
      );
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const sent = Buffer.from(req.get('x-studio-token') ?? '');
      if (sent.length !== tokenBytes.length || !timingSafeEqual(sent, tokenBytes))
        throw new ProblemError('FORBIDDEN', "Send the page's token in X-Studio-Token.");
    }
    res.set('cache-control', 'no-store');
    next();
  });
  router.use('/studio/api', express.json({ limit: '2mb' }));

  router.get('/studio', (_req, res) => {
    res.type('text/html; charset=utf-8').send(page(token));
  });
  router.get('/studio/assets/:name', (req, res) => {
    const type = ASSETS[req.params.name];
    if (type === undefined) throw new ProblemError('NOT-FOUND', 'No such studio asset.');
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(deps.assetsDir, req.params.name));
    } catch {
      throw new ProblemError('NOT-FOUND', 'The studio front end is not built: run npm run build.');
    }
    res.type(type).send(bytes);
  });

  router.get('/studio/api/state', (_req, res) => {
    const r = served();
    const state: StudioState = {
      ruleset: { id: r.manifest.id, version: r.manifest.version, hash: r.hash },
      files: ruleFiles(deps.rulesDir),
      cases: cases().map((c) => ({ name: c.name, description: c.description })),
    };
    res.json(state);
  });
  router.get('/studio/api/case', (req, res) => {
    const name = typeof req.query.name === 'string' ? req.query.name : '';
    const c = cases().find((x) => x.name === name);
    if (!c) throw new ProblemError('NOT-FOUND', 'No regression case with this name.');
    const detail: StudioCase = { name: c.name, description: c.description, request: requestOf(c) };
    res.json(detail);
  });
  router.get('/studio/api/file', (req, res, next) => {
    try {
      res.json({ path: req.query.path, text: readRuleFile(deps.rulesDir, req.query.path) });
    } catch (error) {
      next(error);
    }
  });
  router.post('/studio/api/run', (req, res) => {
    const ruleset = served();
    const active = store.get();
    if (!active) throw new ProblemError('NOT-READY');
    const body = (req.body as { request?: unknown } | undefined)?.request;
    const answered = answer(active, body, { traceFull: true, now: () => new Date() });
    if (!answered.ok) {
      const refused: StudioRun = { ok: false, rejection: answered.rejection };
      res.json(refused);
      return;
    }
    const run: StudioRun = {
      ok: true,
      response: answered.response,
      whyNot: whyNot(ruleset, answered.response),
    };
    res.json(run);
  });
  router.post('/studio/api/check', (req, res, next) => {
    try {
      const { candidate } = candidateOf(req);
      const check: StudioCheck = {
        ok: candidate.load.ok,
        issues: candidate.load.ok ? [] : candidate.load.issues.map(issueJson),
        lockIssues: candidate.lockIssues.map(issueJson),
        bumps: candidate.bumps,
      };
      res.json(check);
    } catch (error) {
      next(error);
    }
  });
  router.post('/studio/api/impact', async (req, res, next) => {
    try {
      const started = performance.now();
      const { candidate } = candidateOf(req);
      if (!candidate.load.ok) throw rejected(candidate.load.issues);
      const before = served();
      const after = candidate.load.ruleset;
      const corpusCases = cases();
      const count = deps.syntheticCount ?? 2000;
      const inputs: ImpactInput[] = [
        ...corpusCases.map((c) => ({
          source: 'regression' as const,
          name: c.name,
          body: requestOf(c),
        })),
        ...generatePatients(after.catalog, { seed: 1, count }).map((body, i) => ({
          source: 'synthetic' as const,
          name: `synthetic #${String(i)}`,
          body,
        })),
      ];
      const impact = await compareRulesets(before, after, inputs, {
        now: IMPACT_NOW,
        outcomes: true,
      });
      const evaluator = createEvaluator(after, () => IMPACT_NOW);
      const failures: { case: string; differences: string[] }[] = [];
      for (const c of corpusCases) {
        const result = await evaluator.run(requestOf(c), c.name, false);
        const differences = result.ok
          ? compareOutcome(c, result.response)
          : [`refused: ${result.rejected}`];
        if (differences.length > 0) failures.push({ case: c.name, differences });
      }
      const changeOf = new Map(impact.ruleChanges.map((x) => [x.id, x.change]));
      const result: StudioImpact = {
        regressionCases: corpusCases.length,
        syntheticPatients: count,
        changed: {
          regression: impact.changed.filter((c) => c.source === 'regression').length,
          synthetic: impact.changed.filter((c) => c.source === 'synthetic').length,
        },
        ruleChanges: impact.ruleChanges,
        groups: impact.groups.map(([rule, list]) => {
          const regression = list.filter((c) => c.source === 'regression');
          const synthetic = list.filter((c) => c.source === 'synthetic');
          return {
            rule,
            ruleChange: changeOf.get(rule) ?? 'unchanged',
            regression: regression.length,
            synthetic: synthetic.length,
            items: [...regression, ...synthetic.slice(0, EXAMPLES_PER_GROUP)],
          };
        }),
        failures,
        lockIssues: candidate.lockIssues.map(issueJson),
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      };
      res.json(result);
    } catch (error) {
      next(error);
    }
  });
  router.post('/studio/api/save', async (req, res, next) => {
    try {
      const first = candidateOf(req);
      let { text, candidate } = first;
      if (!candidate.load.ok) throw rejected(candidate.load.issues);
      const bumped = candidate.bumps;
      if (bumped.length > 0) {
        if (!first.bump)
          throw new ProblemError(
            'VERSION-BUMP-NEEDED',
            bumped.map((b) => `${b.ruleId}: v${String(b.from)} → v${String(b.to)}`).join('; '),
            bumped.map((b) => ({
              pointer: '',
              code: 'RULE-VERSION-NOT-BUMPED',
              message: `rules/${first.rel}:${String(b.line)}:${String(b.column)} ${b.ruleId}: bump to ${String(b.to)}`,
            })),
          );
        text = applyBumps(text, bumped);
        candidate = loadCandidate(deps.rulesDir, first.rel, text);
        if (!candidate.load.ok) throw rejected(candidate.load.issues);
        if (candidate.bumps.length > 0) throw new ProblemError('INTERNAL');
      }
      // A changed rule elsewhere (edited on disk without a bump) must not slip into the lock.
      // (The ruleset's own version is raised at release, not per save: see saveRuleFile.)
      const blocking = candidate.lockIssues.filter(
        (i) => LOCK_BLOCKING_CODES.has(i.code) && !i.code.startsWith('RULESET-'),
      );
      if (blocking.length > 0)
        throw new ProblemError(
          'VERSION-BUMP-NEEDED',
          'Another rule file has a changed rule without a version bump; bump it there first.',
          blocking.map((i) => ({ pointer: '', code: i.code, message: formatIssue(i) })),
        );
      saveRuleFile(deps.rulesDir, first.rel, text, candidate.load.ruleset);
      const outcome = await deps.reload();
      if (!outcome.ok) throw rejected(outcome.issues);
      const saved: StudioSave = {
        saved: first.rel,
        text,
        bumped,
        ruleset: {
          id: outcome.ruleset.manifest.id,
          version: outcome.ruleset.manifest.version,
          hash: outcome.ruleset.hash,
        },
      };
      res.json(saved);
    } catch (error) {
      next(error);
    }
  });
  router.use('/studio/api', (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(err instanceof RulePathError ? new ProblemError('RULE-PATH-REFUSED', err.message) : err);
  });

  return router;
}
