import { answerLine } from '../../batch/batch';
import type { LineOutcome } from '../../batch/batch';
import { serveRuleset } from '../../engine/answer';
import type { ServedRuleset } from '../../engine/answer';
import { decodeJsonBody } from '../../http/json-body';
import { batchLine } from '../../http/routes/batch';
import { loadRuleset } from '../../engine/ruleset';
import type { Ruleset } from '../../engine/ruleset';
import type { EvaluationResult } from '../../regression/run';
import {
  outcomeChanges,
  responsibleRules,
  ruleChanges,
  signatureOf,
} from '../../regression/outcome-diff';
import type { RuleChange } from '../../regression/outcome-diff';
import { compactOf, emptyTally, tallyOutcome } from './summary';
import type { ChangedPatient, Tally } from './summary';

/** What every worker is started with. */
export interface WorkerInit {
  readonly rulesDir: string;
  readonly againstDir?: string;
  /** asOf for requests that give none (ISO 8601). */
  readonly asOf?: string;
  /** The run's clock (ISO 8601): one instant for every worker, so shards agree. */
  readonly now: string;
  readonly maxJsonDepth: number;
  readonly maxLineBytes: number;
}

export interface WorkItem {
  readonly seq: number;
  /** `text` null: the line was longer than allowed (answered BODY-TOO-LARGE). */
  readonly lines: readonly { readonly line: number; readonly text: string | null }[];
}

export interface WorkResult {
  readonly seq: number;
  /** The output NDJSON for these lines, in order, each line ending in "\n". */
  readonly ndjson: string;
  readonly lines: number;
  readonly after: Tally;
  readonly before?: Tally;
  readonly changed: readonly ChangedPatient[];
}

export interface Replayer {
  run(item: WorkItem): WorkResult;
}

function load(dir: string): Ruleset {
  const loaded = loadRuleset(dir);
  if (!loaded.ok) throw new Error(`the ruleset at ${dir} does not load`);
  return loaded.ruleset;
}

function resultOf(outcome: LineOutcome): EvaluationResult {
  if (outcome.kind === 'answer') return { ok: true, response: outcome.response };
  const code = outcome.kind === 'rejected' ? outcome.rejection.code : outcome.kind.toUpperCase();
  return { ok: false, rejected: code };
}

/**
 * Replays lines through `answer()` (via the batch channel's `answerLine`, with the batch route's
 * JSON checks), once per ruleset, and reduces them to output lines, tallies and changed patients.
 * Runs inside a worker thread; a plain function so it can also run in-process.
 */
export function createReplayer(init: WorkerInit): Replayer {
  const after = load(init.rulesDir);
  const before = init.againstDir === undefined ? undefined : load(init.againstDir);
  const servedAfter = serveRuleset(after);
  const servedBefore = before ? serveRuleset(before) : undefined;
  const changedRules: readonly RuleChange[] = before ? ruleChanges(before, after) : [];
  const now = new Date(init.now);
  const decode = (bytes: Buffer): unknown => {
    const value = decodeJsonBody(bytes, init.maxJsonDepth);
    if (
      init.asOf !== undefined &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      !('asOf' in value)
    )
      return { ...value, asOf: init.asOf };
    return value;
  };
  const optionsFor = (served: ServedRuleset) => ({
    served,
    traceFull: false,
    now: () => now,
    decode,
    evaluationIdOf: (line: number) => `replay-line-${String(line)}`,
  });
  const oAfter = optionsFor(servedAfter);
  const oBefore = servedBefore ? optionsFor(servedBefore) : undefined;

  return {
    run(item) {
      const tAfter = emptyTally();
      const tBefore = oBefore ? emptyTally() : undefined;
      const changed: ChangedPatient[] = [];
      let ndjson = '';
      for (const { line, text } of item.lines) {
        const bytes = text === null ? undefined : Buffer.from(text, 'utf8');
        const answerWith = (o: typeof oAfter): LineOutcome =>
          bytes === undefined
            ? { kind: 'line-too-long', line, maxLineBytes: init.maxLineBytes }
            : answerLine(o, line, bytes);
        const outcome = answerWith(oAfter);
        tallyOutcome(tAfter, outcome);
        ndjson += `${JSON.stringify(batchLine(outcome))}\n`;
        if (!oBefore || !tBefore || !before) continue;
        const old = answerWith(oBefore);
        tallyOutcome(tBefore, old);
        const sa = signatureOf(resultOf(old));
        const sb = signatureOf(resultOf(outcome));
        const changes = outcomeChanges(sa, sb);
        if (changes.length === 0) continue;
        changed.push({
          line,
          responsible: responsibleRules(before, after, changedRules, sa, sb, changes),
          changes: changes.map((c) => c.text),
          before: compactOf(sa),
          after: compactOf(sb),
        });
      }
      return {
        seq: item.seq,
        ndjson,
        lines: item.lines.length,
        after: tAfter,
        ...(tBefore ? { before: tBefore } : {}),
        changed,
      };
    },
  };
}
