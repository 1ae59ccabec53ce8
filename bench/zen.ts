/**
 * `npm run bench:zen`: the same rules in GoRules ZEN (`@gorules/zen-engine`, a Rust engine with
 * Node bindings; bench-only dev dependency). Each kind's compiled rules (src/engine/network.ts)
 * become one ZEN decision graph: input → one expression node with one boolean expression per
 * rule (its condition tree over the kind's fact values, json-rules-engine's operator semantics:
 * numeric operators false on a non-number) → output. Per patient, kinds run in order as ours do:
 * this process computes the kind's fact values with our fact layer (given the state the earlier
 * kinds left), ZEN evaluates the graph, the rules it fires are recorded into the state. The
 * bench checks ZEN fires exactly the rules our engine fires, kind by kind, on every patient, and
 * times per evaluation: ours (`evaluateSync`: facts, rules, assembly) and ZEN's (the sum of its
 * kind evaluations; fact values are handed to it, so it does less work than ours).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { evaluateSync, record } from '../src/engine/evaluate';
import { ALL, ANY, LEAF, NOT } from '../src/engine/network';
import type { KindNetwork, Node } from '../src/engine/network';
import { loadRuleset } from '../src/engine/ruleset';
import type { Ruleset } from '../src/engine/ruleset';
import { newEvalState } from '../src/engine/state';
import { buildFacts } from '../src/facts/build';
import type { FactModel } from '../src/facts/model';
import { formatIssue } from '../src/lib/issue';
import { RULE_KINDS } from '../src/rules/catalog-types';
import type { RuleKind } from '../src/rules/catalog-types';
import { generatePatients } from '../src/synth/patients';
import { writeSyntheticRuleset } from '../src/synth/rules';
import { percentile, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');

/** The part of `@gorules/zen-engine`'s API the race uses. */
interface ZenDecision {
  evaluate(context: unknown, opts?: { trace?: boolean }): Promise<unknown>;
}
interface ZenEngineLike {
  createDecision(content: object): ZenDecision;
  dispose(): void;
}
type ZenEngineClass = new () => ZenEngineLike;

/**
 * ZEN lives in bench/zen-engine/ (installed by `npm run bench:zen:install`), not in the root
 * package: its per-platform binaries are optional packages that a root lock would have to list
 * for every platform. Undefined when it is not installed.
 */
function loadZen(): ZenEngineClass | undefined {
  try {
    const load = createRequire(path.join(ROOT, 'bench', 'zen-engine', 'package.json'));
    return (load('@gorules/zen-engine') as { ZenEngine: ZenEngineClass }).ZenEngine;
  } catch {
    return undefined;
  }
}
const QUICK = process.argv.includes('--quick');

const lit = (v: unknown): string => JSON.stringify(v);

/** A leaf as a ZEN expression over `f<factKey>`, with json-rules-engine's semantics. */
function leafExpression(net: KindNetwork, id: number): string {
  const leaf = net.leaves[id];
  if (!leaf) throw new Error(`no leaf ${String(id)}`);
  const f = `f${String(leaf.factKey)}`;
  const v = leaf.value;
  const num = (op: string): string => `(${f} != null and ${f} ${op} ${lit(v)})`;
  switch (leaf.source.operator) {
    case 'equal':
      return `(${f} == ${lit(v)})`;
    case 'notEqual':
      return `(${f} != ${lit(v)})`;
    case 'in':
      return `(${f} in ${lit(v)})`;
    case 'notIn':
      return `(not (${f} in ${lit(v)}))`;
    case 'greaterThan':
      return num('>');
    case 'greaterThanInclusive':
      return num('>=');
    case 'lessThan':
      return num('<');
    case 'lessThanInclusive':
      return num('<=');
    case 'between': {
      const [lo, hi] = v as [number, number];
      return `(${f} != null and ${f} >= ${lit(lo)} and ${f} <= ${lit(hi)})`;
    }
    default:
      throw new Error(`operator ${leaf.source.operator} has no ZEN translation here`);
  }
}

function expression(net: KindNetwork, n: Node): string {
  switch (n.t) {
    case LEAF:
      return leafExpression(net, n.leaf);
    case ALL:
      return n.c.length === 0 ? 'true' : `(${n.c.map((c) => expression(net, c)).join(' and ')})`;
    case ANY:
      return n.c.length === 0 ? 'true' : `(${n.c.map((c) => expression(net, c)).join(' or ')})`;
    case NOT:
      return `(not ${expression(net, n.c)})`;
  }
}

function graphOf(net: KindNetwork): object {
  const position = { x: 0, y: 0 };
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'facts', position },
      {
        id: 'rules',
        type: 'expressionNode',
        name: 'rules',
        position,
        content: {
          expressions: net.rules.map((r, i) => ({
            id: `e${String(i)}`,
            key: `r${String(i)}`,
            value: expression(net, r.root),
          })),
        },
      },
      { id: 'out', type: 'outputNode', name: 'fired', position },
    ],
    edges: [
      { id: 'a', sourceId: 'in', targetId: 'rules' },
      { id: 'b', sourceId: 'rules', targetId: 'out' },
    ],
  };
}

interface Compiled {
  readonly kind: RuleKind;
  readonly net: KindNetwork;
  readonly decision: ZenDecision;
}

/** Runs one patient through ZEN kind by kind; returns the fired rule ids per kind and the µs ZEN took. */
async function runZen(
  ruleset: Ruleset,
  kinds: readonly Compiled[],
  model: FactModel,
  trace: boolean,
): Promise<{ fired: Map<RuleKind, string[]>; us: number; engineUs: number }> {
  const state = newEvalState();
  const fired = new Map<RuleKind, string[]>();
  let us = 0;
  let engineUs = 0;
  for (const { kind, net, decision } of kinds) {
    const input: Record<string, unknown> = {};
    net.factKeys.forEach((key, id) => {
      const value = key.impl(model, state, key.params);
      // JSON has no NaN; json-rules-engine's operators treat NaN as they treat null here.
      input[`f${String(id)}`] = typeof value === 'number' && Number.isNaN(value) ? null : value;
    });
    const t0 = process.hrtime.bigint();
    const result = (await decision.evaluate(input, { trace })) as {
      result: Record<string, unknown>;
      performance?: string;
    };
    us += Number(process.hrtime.bigint() - t0) / 1000;
    engineUs += microseconds(result.performance);
    const ids: string[] = [];
    net.rules.forEach((r, i) => {
      if (result.result[`r${String(i)}`] === true) ids.push(r.rule.id);
    });
    fired.set(kind, ids);
    for (const r of net.rules) if (ids.includes(r.rule.id)) record(ruleset, state, r.rule, model);
  }
  return { fired, us, engineUs };
}

/** ZEN's own timing of one evaluation ("103.3µs", "1.2ms", "2s"), in µs. */
function microseconds(text: string | undefined): number {
  const m = /^([0-9.]+)\s*(ns|µs|us|ms|s)$/.exec(text ?? '');
  if (!m) return Number.NaN;
  const scale: Record<string, number> = { ns: 0.001, µs: 1, us: 1, ms: 1000, s: 1e6 };
  return Number(m[1]) * (scale[m[2] ?? ''] ?? Number.NaN);
}

export interface ZenRow {
  readonly name: string;
  readonly agree: number;
  readonly patients: number;
  readonly oursHitsP50: number;
  readonly zenTraceP50: number;
  readonly zenTraceOwnP50: number;
  readonly line: string;
}

async function race(
  ZenEngine: ZenEngineClass,
  name: string,
  ruleset: Ruleset,
  models: readonly FactModel[],
): Promise<ZenRow> {
  const engine = new ZenEngine();
  const kinds: Compiled[] = [];
  for (const kind of RULE_KINDS) {
    const net = ruleset.compiled.network.get(kind);
    if (!net || net.rules.length === 0) continue;
    kinds.push({ kind, net, decision: engine.createDecision(graphOf(net)) });
  }
  const options = { evaluationId: 'zen', asOf: '2026-02-01T09:00:00Z' };
  let agree = 0;
  let firstDisagreement = '';
  for (const m of models) {
    const ours = evaluateSync(ruleset, m, { ...options, traceFull: false });
    const { fired } = await runZen(ruleset, kinds, m, false);
    const zenIds = [...fired.values()].flat().sort();
    const ourIds = ours.hits.map((h) => h.ruleId).sort();
    if (JSON.stringify(zenIds) === JSON.stringify(ourIds)) agree += 1;
    else if (firstDisagreement === '')
      firstDisagreement = `ours ${ourIds.filter((x) => !zenIds.includes(x)).join(',')} / ZEN ${zenIds.filter((x) => !ourIds.includes(x)).join(',')}`;
  }
  const time = async (f: (m: FactModel) => Promise<number> | number): Promise<number[]> => {
    for (const m of models.slice(0, 20)) await f(m);
    const out: number[] = [];
    for (const m of models) out.push(await f(m));
    return out;
  };
  const oursHits = await time((m) => {
    const t0 = process.hrtime.bigint();
    evaluateSync(ruleset, m, { ...options, traceFull: false });
    return Number(process.hrtime.bigint() - t0) / 1000;
  });
  const oursFull = await time((m) => {
    const t0 = process.hrtime.bigint();
    evaluateSync(ruleset, m, { ...options, traceFull: true });
    return Number(process.hrtime.bigint() - t0) / 1000;
  });
  const zenPlain = await time(async (m) => (await runZen(ruleset, kinds, m, false)).us);
  const zenTrace = await time(async (m) => (await runZen(ruleset, kinds, m, true)).us);
  const zenEngineTrace = await time(async (m) => (await runZen(ruleset, kinds, m, true)).engineUs);
  const zenEnginePlain = await time(async (m) => (await runZen(ruleset, kinds, m, false)).engineUs);
  let firedTotal = 0;
  for (const m of models)
    firedTotal += evaluateSync(ruleset, m, { ...options, traceFull: false }).hits.length;
  const firedPerEvaluation = firedTotal / Math.max(1, models.length);
  const pp = (xs: number[]): string =>
    `${round(percentile(xs, 50), 0)} / ${round(percentile(xs, 99), 0)}`;
  const rules = ruleset.rules.filter((r) => r.status === 'active').length;
  const agreement = `${String(agree)}/${String(models.length)}${firstDisagreement ? ` (first difference: ${firstDisagreement})` : ''}`;
  return {
    name,
    agree,
    patients: models.length,
    oursHitsP50: round(percentile(oursHits, 50), 0),
    zenTraceP50: round(percentile(zenTrace, 50), 0),
    zenTraceOwnP50: round(percentile(zenEngineTrace, 50), 0),
    line: `| ${name} | ${String(rules)} | ${String(round(firedPerEvaluation, 1))} | ${agreement} | ${pp(oursHits)} | ${pp(oursFull)} | ${pp(zenPlain)} (${pp(zenEnginePlain)}) | ${pp(zenTrace)} (${pp(zenEngineTrace)}) |`,
  };
}

/** The race on the shipped ruleset and the synthetic 1,000- and 5,000-rule sets. */
export async function zenRace(quick: boolean): Promise<{ rows: ZenRow[]; lines: string[] }> {
  const ZenEngine = loadZen();
  if (ZenEngine === undefined)
    return {
      rows: [],
      lines: [
        'GoRules ZEN is not installed: run `npm run bench:zen:install` once, then the bench again.',
      ],
    };
  const load = (dir: string): Ruleset => {
    const r = loadRuleset(dir);
    if (!r.ok) throw new Error(r.issues.slice(0, 5).map(formatIssue).join('\n'));
    return r.ruleset;
  };
  const shipped = load(path.join(ROOT, 'rules'));
  const requests = generatePatients(shipped.catalog, { seed: 1, count: quick ? 100 : 500 });
  const rows: ZenRow[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-zen-'));
  const lines = [
    '| ruleset | rules | fired / evaluation | same fired rules (patients) | ours p50 / p99 µs (hits) | ours p50 / p99 µs (trace=full) | ZEN p50 / p99 µs, no trace (its own timing) | ZEN p50 / p99 µs, trace (its own timing) |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
  ];
  try {
    const sets: [string, Ruleset][] = [['shipped', shipped]];
    for (const size of [1000, 5000]) {
      const dir = writeSyntheticRuleset(
        shipped.catalog,
        path.join(ROOT, 'rules'),
        path.join(tmp, `s${String(size)}`),
        {
          seed: size,
          count: size,
        },
      );
      sets.push([`synthetic-${String(size)}`, load(dir)]);
    }
    for (const [name, ruleset] of sets) {
      process.stderr.write(`· ${name}\n`);
      const n = name === 'synthetic-5000' ? (quick ? 20 : 100) : requests.length;
      const models = requests.slice(0, n).map((r) => buildFacts(ruleset.catalog, r));
      const row = await race(ZenEngine, name, ruleset, models);
      rows.push(row);
      lines.push(row.line);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { rows, lines };
}

/** The target line for `npm run bench`: same fired rules everywhere, and faster than ZEN with its trace at p50. */
export function zenTarget(rows: readonly ZenRow[]): {
  target: string;
  measured: string;
  ok: boolean;
  note: string;
} {
  if (rows.length === 0)
    return {
      target: 'faster than GoRules ZEN with its trace on, every set (p50), same fired rules',
      measured: 'not run',
      ok: false,
      note: 'ZEN not installed (`npm run bench:zen:install`)',
    };
  const same = rows.every((r) => r.agree === r.patients);
  const faster = rows.every((r) => r.oursHitsP50 < r.zenTraceOwnP50);
  return {
    target: 'faster than GoRules ZEN with its trace on, every set (p50), same fired rules',
    measured: rows
      .map((r) => `${r.name}: ${String(r.oursHitsP50)} vs ${String(r.zenTraceOwnP50)} µs`)
      .join('; '),
    ok: same && faster,
    note: `${same ? 'same fired rules on every patient' : 'FIRED RULES DIFFER'}; ZEN's own timing (wall incl. binding: ${rows.map((r) => String(r.zenTraceP50)).join(' / ')} µs)`,
  };
}

if (require.main === module)
  zenRace(QUICK)
    .then(({ lines }) => {
      process.stdout.write(
        `${lines.join('\n')}\n\nload average: ${os
          .loadavg()
          .map((x) => round(x, 2))
          .join(' ')}\n`,
      );
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
