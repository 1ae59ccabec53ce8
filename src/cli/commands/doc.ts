import fs from 'node:fs';
import path from 'node:path';
import { buildRuleBook } from '../../rulebook/book';
import {
  renderIndex,
  renderRule,
  RULEBOOK_CSS,
  RULEBOOK_SCRIPT,
  STATIC_LINKS,
} from '../../rulebook/render';
import { parseArgs, stringFlag } from '../args';
import { casesDirOf, COMMON_BOOLEANS, COMMON_VALUED, loadRules, rulesDirOf } from '../context';
import { EXIT, issueLine, plural } from '../io';
import type { ExitCode, Io } from '../io';

export const DOC_HELP = `ntcds doc [--rules DIR] [--cases DIR] [--out DIR]

Writes the rule book — the pages the service serves at /rules and /rules/{id} — as a static
site (default site/rules/): index.html, one <rule id>.html per rule, and assets/.`;

export async function docCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, [...COMMON_VALUED, 'out'], [...COMMON_BOOLEANS], 0);
  if (args.flags.has('help')) {
    io.out(DOC_HELP);
    return EXIT.ok;
  }
  const loaded = loadRules(rulesDirOf(args, io), io);
  if (!loaded.ok) {
    for (const i of loaded.issues) io.err(issueLine(i));
    io.err('✗ the ruleset does not load; run validate');
    return EXIT.problems;
  }
  const book = await buildRuleBook(loaded.ruleset, casesDirOf(args, io));
  const outDir = path.resolve(io.cwd, stringFlag(args, 'out') ?? path.join('site', 'rules'));
  fs.mkdirSync(path.join(outDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(outDir, 'assets', 'rulebook.js'), RULEBOOK_SCRIPT);
  fs.writeFileSync(path.join(outDir, 'assets', 'rulebook.css'), RULEBOOK_CSS);
  fs.writeFileSync(path.join(outDir, 'index.html'), renderIndex(book, STATIC_LINKS));
  for (const rule of book.ruleset.rules)
    fs.writeFileSync(path.join(outDir, `${rule.id}.html`), renderRule(book, rule, STATIC_LINKS));
  const rel = path.relative(io.cwd, outDir) || '.';
  io.out(`Rule book: ${plural(book.ruleset.rules.length, 'rule')} written to ${rel}/index.html`);
  if (!book.corpus.available) io.out('(no regression cases found: pages show no coverage)');
  return EXIT.ok;
}
