import { answer } from '../engine/answer';
import type { Rejection, ServedRuleset } from '../engine/answer';
import type { EvaluationResponse } from '../engine/response-types';
import { relocate } from '../fhir/pointers';
import { DEFAULT_KINDS, kindOf } from './kinds';
import type { LineKind } from './kinds';
import { ndjsonLines } from './lines';

/** What became of one input line, in input order. */
export type LineOutcome =
  | {
      readonly kind: 'answer';
      readonly line: number;
      readonly response: EvaluationResponse;
      /** Seconds spent building facts and evaluating (metrics). */
      readonly seconds: number;
    }
  /** The line parsed but the request was refused (INVALID-REQUEST, INCONSISTENT-REQUEST). */
  | { readonly kind: 'rejected'; readonly line: number; readonly rejection: Rejection }
  /** `decode` threw: the line is not acceptable JSON; the error says why. */
  | { readonly kind: 'unreadable'; readonly line: number; readonly error: unknown }
  | { readonly kind: 'line-too-long'; readonly line: number; readonly maxLineBytes: number }
  /** The line past the limit; nothing after it is read. Always the last outcome. */
  | { readonly kind: 'too-many-lines'; readonly line: number; readonly maxLines: number };

export interface BatchOptions {
  readonly served: ServedRuleset;
  /** Evaluations answered at most; the next line gets `too-many-lines` and ends the batch. */
  readonly maxLines: number;
  readonly maxLineBytes: number;
  readonly traceFull: boolean;
  readonly now: () => Date;
  /** A line's bytes to a JSON value, throwing when they are not acceptable JSON. */
  readonly decode: (bytes: Buffer) => unknown;
  readonly kinds?: readonly LineKind[];
  /** The instant a mapped line (FHIR) is read at, as its asOf (default: `now()`). */
  readonly mappedAsOf?: Date;
  /** The evaluation id of a line's answer (default: a random UUID). */
  readonly evaluationIdOf?: (line: number) => string;
  /** Let other work run every this many lines (default 32): evaluation is synchronous. */
  readonly yieldEvery?: number;
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

/** One line's outcome: decode, map its kind to a native request, answer through `answer()`. */
export function answerLine(
  options: Omit<BatchOptions, 'maxLines' | 'maxLineBytes' | 'yieldEvery'>,
  line: number,
  bytes: Buffer,
): LineOutcome {
  let value: unknown;
  try {
    value = options.decode(bytes);
  } catch (error) {
    return { kind: 'unreadable', line, error };
  }
  const mapped = kindOf(value, options.kinds ?? DEFAULT_KINDS).toEvaluationBody(value, {
    catalog: options.served.ruleset.catalog,
    asOf: options.mappedAsOf ?? options.now(),
  });
  const pointers = mapped.ok ? mapped.pointers : undefined;
  if (!mapped.ok) return { kind: 'rejected', line, rejection: mapped.rejection };
  const answered = answer(options.served, mapped.body, {
    traceFull: options.traceFull,
    now: options.now,
    ...(options.evaluationIdOf ? { evaluationId: options.evaluationIdOf(line) } : {}),
  });
  if (!answered.ok) {
    const { rejection } = answered;
    return {
      kind: 'rejected',
      line,
      rejection: pointers
        ? { ...rejection, errors: relocate(rejection.errors, pointers) }
        : rejection,
    };
  }
  // A mapped line's data issues point into its FHIR input, as POST /v1/evaluations answers them.
  const response = pointers
    ? { ...answered.response, dataIssues: relocate(answered.response.dataIssues, pointers) }
    : answered.response;
  return { kind: 'answer', line, response, seconds: answered.seconds };
}

/**
 * The batch channel: NDJSON in, one outcome per non-blank line out, in input order. Reads the
 * source only as fast as the consumer takes outcomes (an async generator pulls on demand), so a
 * slow consumer holds back the reader and nothing accumulates.
 */
export async function* answerLines(
  source: AsyncIterable<Buffer | string>,
  options: BatchOptions,
): AsyncGenerator<LineOutcome> {
  const every = options.yieldEvery ?? 32;
  let count = 0;
  for await (const raw of ndjsonLines(source, options.maxLineBytes)) {
    if (count >= options.maxLines) {
      yield { kind: 'too-many-lines', line: raw.line, maxLines: options.maxLines };
      return;
    }
    count += 1;
    if (count % every === 0) await nextTurn();
    yield raw.bytes === undefined
      ? { kind: 'line-too-long', line: raw.line, maxLineBytes: options.maxLineBytes }
      : answerLine(options, raw.line, raw.bytes);
  }
}
