import { performance } from 'node:perf_hooks';
import type { Ruleset } from '../../rules/load';
import { requestOf } from '../../regression/case';
import { generatePatients } from '../../synth/patients';
import { intFlag, parseArgs } from '../args';
import { casesDirOf, COMMON_BOOLEANS, loadCorpus, loadRules } from '../context';
import { createEvaluator } from '../evaluate';
import { EXIT, issueLine, plural, UsageError } from '../io';
import type { ExitCode, Io } from '../io';
import { outcomeChanges, responsibleRules, ruleChanges, signatureOf } from '../outcome-diff';
import { resolveRulesetSource } from '../ruleset-source';
import type { RulesetSource } from '../ruleset-source';

export const DIFF_HELP = `ntcds diff <old> <new> [--cases DIR] [--count N] [--seed N] [--examples N] [--fail-on-change] [--json]

Impact analysis of a ruleset change. <old> and <new> are rules folders or git refs (HEAD, a branch,
a tag, a commit: rules/ is taken from it with git archive). Runs the regression cases and a seeded
synthetic population through both and reports every case whose outcome changes (red flags,
findings, intervention statuses and reason codes, data issues), grouped by the rules responsible.
  --count N          synthetic patients (default 10000; 0 for regression cases only)
  --seed N           seed of the synthetic population (default 1)
  --examples N       synthetic examples listed per rule (default 5)
  --fail-on-change   exit 1 when any outcome changes`;

/** Fixed clock for requests without asOf, so both rulesets see the same day. */
const FIXED_NOW = new Date('2026-01-15T09:00:00Z');

/** The most frequent kinds of change shown per rule; --json has all of them. */
const TALLY_LINES = 8;

interface Changed {
  readonly source: 'regression' | 'synthetic';
  readonly name: string;
  readonly responsible: readonly string[];
  readonly changes: readonly string[];
}

export async function diffCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(
    argv,
    ['cases', 'count', 'seed', 'examples'],
    [...COMMON_BOOLEANS, 'fail-on-change'],
  );
  if (args.flags.has('help')) {
    io.out(DIFF_HELP);
    return EXIT.ok;
  }
  const [oldSpec, newSpec, ...extra] = args.positionals;
  if (oldSpec === undefined || newSpec === undefined || extra.length > 0)
    throw new UsageError('diff takes two rulesets: <old> <new> (folders or git refs)');
  const count = intFlag(args, 'count', 10000, 1000000);
  const seed = intFlag(args, 'seed', 1, 2 ** 31 - 1);
  const examples = intFlag(args, 'examples', 5, 100000);
  const json = args.flags.has('json');

  const sources: RulesetSource[] = [];
  try {
    sources.push(resolveRulesetSource(oldSpec, io.cwd));
    sources.push(resolveRulesetSource(newSpec, io.cwd));
    const [oldSrc, newSrc] = sources as [RulesetSource, RulesetSource];
    const rulesets: Ruleset[] = [];
    for (const src of [oldSrc, newSrc]) {
      const loaded = loadRules(src.dir, io);
      if (!loaded.ok) {
        for (const i of loaded.issues) io.err(issueLine(i));
        io.err(`✗ ${src.label}: the ruleset does not load`);
        return EXIT.problems;
      }
      rulesets.push(loaded.ruleset);
    }
    const [a, b] = rulesets as [Ruleset, Ruleset];
    const { cases, issues } = loadCorpus(casesDirOf(args, io), io);
    for (const i of issues) io.err(issueLine(i));

    const started = performance.now();
    const ea = createEvaluator(a, () => FIXED_NOW);
    const eb = createEvaluator(b, () => FIXED_NOW);
    const changed: Changed[] = [];
    const rc = ruleChanges(a, b);
    const compare = async (
      source: Changed['source'],
      name: string,
      body: unknown,
    ): Promise<void> => {
      const sa = signatureOf(await ea.run(body, name, false));
      const sb = signatureOf(await eb.run(body, name, false));
      const changes = outcomeChanges(sa, sb);
      if (changes.length === 0) return;
      changed.push({
        source,
        name,
        responsible: responsibleRules(a, b, rc, sa, sb, changes),
        changes: changes.map((c) => c.text),
      });
    };
    for (const c of cases) await compare('regression', c.name, requestOf(c));
    const population = generatePatients(b.catalog, { seed, count });
    for (const [i, body] of population.entries())
      await compare('synthetic', `synthetic #${String(i)}`, body);
    const seconds = (performance.now() - started) / 1000;

    const groups = new Map<string, Changed[]>();
    for (const c of changed)
      for (const id of c.responsible.length > 0
        ? c.responsible
        : ['(no rule difference: catalog or engine)'])
        groups.set(id, [...(groups.get(id) ?? []), c]);
    const changeOf = new Map(rc.map((x) => [x.id, x.change]));
    const ordered = [...groups.entries()].sort(
      (x, y) => y[1].length - x[1].length || x[0].localeCompare(y[0]),
    );
    const regressionChanged = changed.filter((c) => c.source === 'regression');
    const syntheticChanged = changed.length - regressionChanged.length;

    if (json) {
      io.out(
        JSON.stringify(
          {
            old: {
              source: oldSrc.label,
              id: a.manifest.id,
              version: a.manifest.version,
              hash: a.hash,
            },
            new: {
              source: newSrc.label,
              id: b.manifest.id,
              version: b.manifest.version,
              hash: b.hash,
            },
            ruleChanges: rc,
            population: { regressionCases: cases.length, synthetic: count, seed },
            changed: { regression: regressionChanged.length, synthetic: syntheticChanged },
            groups: ordered.map(([rule, list]) => ({
              rule,
              ruleChange: changeOf.get(rule) ?? 'unchanged',
              regression: list.filter((c) => c.source === 'regression').map((c) => c.name),
              synthetic: list.filter((c) => c.source === 'synthetic').length,
            })),
            cases: changed,
            seconds: Number(seconds.toFixed(3)),
          },
          null,
          2,
        ),
      );
    } else {
      io.out(
        `old: ${oldSrc.label} — ${a.manifest.id} ${a.manifest.version} (hash ${a.hash.slice(0, 12)})`,
      );
      io.out(
        `new: ${newSrc.label} — ${b.manifest.id} ${b.manifest.version} (hash ${b.hash.slice(0, 12)})`,
      );
      io.out('');
      io.out(rc.length === 0 ? 'Rules changed: none' : `Rules changed (${String(rc.length)}):`);
      for (const x of rc) io.out(`  ${x.id}: ${x.change}`);
      io.out('');
      io.out(
        `Outcomes changed: ${String(regressionChanged.length)} of ${plural(cases.length, 'regression case')}, ${String(syntheticChanged)} of ${String(count)} synthetic patients (seed ${String(seed)})`,
      );
      for (const [rule, list] of ordered) {
        const reg = list.filter((c) => c.source === 'regression');
        const syn = list.filter((c) => c.source === 'synthetic');
        io.out('');
        io.out(
          `▸ ${rule} [${changeOf.get(rule) ?? 'unchanged'}]: ${plural(reg.length, 'regression case')}, ${String(syn.length)} synthetic`,
        );
        const tally = new Map<string, number>();
        for (const c of list) for (const ch of c.changes) tally.set(ch, (tally.get(ch) ?? 0) + 1);
        const kinds = [...tally.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
        for (const [ch, n] of kinds.slice(0, TALLY_LINES))
          io.out(`    ${String(n).padStart(6)}× ${ch}`);
        if (kinds.length > TALLY_LINES)
          io.out(
            `           … and ${String(kinds.length - TALLY_LINES)} more kinds of change (see --json)`,
          );
        for (const c of reg) io.out(`    case ${c.name}: ${c.changes.join('; ')}`);
        for (const c of syn.slice(0, examples)) io.out(`    ${c.name}: ${c.changes.join('; ')}`);
        if (syn.length > examples)
          io.out(`    … and ${String(syn.length - examples)} more synthetic`);
      }
      io.out('');
      io.out(`Evaluated ${String((cases.length + count) * 2)} requests in ${seconds.toFixed(1)} s`);
    }
    return changed.length > 0 && args.flags.has('fail-on-change') ? EXIT.problems : EXIT.ok;
  } finally {
    for (const s of sources) s.dispose();
  }
}
