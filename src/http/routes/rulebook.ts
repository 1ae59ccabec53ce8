import { Router } from 'express';
import type { Response } from 'express';
import { buildRuleBook } from '../../rulebook/book';
import type { RuleBook } from '../../rulebook/book';
import {
  renderIndex,
  renderRule,
  RULEBOOK_CSS,
  RULEBOOK_SCRIPT,
  SERVED_LINKS,
} from '../../rulebook/render';
import type { Ruleset } from '../../engine/ruleset';
import { locals } from '../context';
import { ProblemError } from '../problems';
import type { RulesetStore } from '../ruleset-store';

function html(res: Response, body: string): void {
  res.type('text/html; charset=utf-8').set('cache-control', 'no-cache').send(body);
}

/**
 * The read-only rule book, always served and open like /openapi.json: it holds rules, never
 * patient data. `casesDir` holds the regression cases whose coverage it shows (a deployment
 * without them says so). Built once per loaded ruleset.
 */
export function ruleBookRoutes(store: RulesetStore, casesDir: string | undefined): Router {
  const router = Router();
  const books = new WeakMap<Ruleset, Promise<RuleBook>>();
  const bookFor = (res: Response, route: string): Promise<RuleBook> => {
    locals(res).route = route;
    const active = store.get();
    if (!active) throw new ProblemError('NOT-READY');
    let book = books.get(active.ruleset);
    if (!book) {
      book = buildRuleBook(active.ruleset, casesDir);
      books.set(active.ruleset, book);
    }
    return book;
  };

  router.get('/rules/assets/rulebook.js', (_req, res) => {
    locals(res).route = '/rules/assets';
    res
      .type('text/javascript; charset=utf-8')
      .set('cache-control', 'no-cache')
      .send(RULEBOOK_SCRIPT);
  });
  router.get('/rules/assets/rulebook.css', (_req, res) => {
    locals(res).route = '/rules/assets';
    res.type('text/css; charset=utf-8').set('cache-control', 'no-cache').send(RULEBOOK_CSS);
  });
  router.get('/rules', async (req, res) => {
    const book = await bookFor(res, '/rules');
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : '';
    html(res, renderIndex(book, SERVED_LINKS, q));
  });
  router.get('/rules/:id', async (req, res) => {
    const book = await bookFor(res, '/rules/:id');
    const rule = book.ruleset.rulesById.get(req.params.id);
    if (!rule) throw new ProblemError('RULE-NOT-FOUND', 'See GET /rules for the rule ids.');
    html(res, renderRule(book, rule, SERVED_LINKS));
  });
  return router;
}
