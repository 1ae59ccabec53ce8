/** The studio's JSON API (src/http/routes/studio.ts); every POST carries the page's token. */

const token = document.querySelector<HTMLMetaElement>('meta[name="studio-token"]')?.content ?? '';

export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly { pointer: string; code: string; message: string }[];
}

export class ProblemAnswer extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

async function parse<T>(res: Response): Promise<T> {
  const body: unknown = await res.json();
  if (!res.ok) throw new ProblemAnswer(body as Problem);
  return body as T;
}

export async function getJson<T>(url: string): Promise<T> {
  return parse<T>(await fetch(url, { headers: { accept: 'application/json' } }));
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  return parse<T>(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-studio-token': token },
      body: JSON.stringify(body),
    }),
  );
}

export interface RulesetRef {
  readonly id: string;
  readonly version: string;
  readonly hash: string;
}

export interface State {
  readonly ruleset: RulesetRef;
  readonly files: readonly string[];
  readonly cases: readonly { name: string; description: string }[];
}

export interface CaseDetail {
  readonly name: string;
  readonly description: string;
  readonly request: unknown;
}

export type TraceNode =
  | { readonly all: readonly TraceNode[]; readonly result: string }
  | { readonly any: readonly TraceNode[]; readonly result: string }
  | { readonly not: TraceNode; readonly result: string }
  | {
      readonly fact: string;
      readonly params?: Readonly<Record<string, string | number>>;
      readonly operator: string;
      readonly value: unknown;
      readonly factValue?: unknown;
      readonly result: string;
    };

export interface Hit {
  readonly ruleId: string;
  readonly version: number;
  readonly kind: string;
  readonly title: string;
  readonly source: string;
  readonly fired: boolean;
  readonly conditions: TraceNode;
  readonly failedLeaf?: TraceNode;
}

export interface Reason {
  readonly code: string;
  readonly kind: string;
  readonly severity?: string;
  readonly ruleId?: string;
  readonly message: string;
}

export interface EvaluationResponse {
  readonly ruleset: RulesetRef;
  readonly redFlags: readonly {
    code: string;
    urgency: string;
    message: string;
    action: string;
    ruleId: string;
  }[];
  readonly findings: readonly { id: string; band?: string; message: string; ruleId: string }[];
  readonly interventions: readonly {
    id: string;
    type: string;
    status: string;
    requested: boolean;
    evidenceGrade: string;
    reasons: readonly Reason[];
  }[];
  readonly dataIssues: readonly { code: string; pointer: string; message: string }[];
  readonly hits: readonly Hit[];
  readonly notFired?: readonly Hit[];
}

export interface WhyNot {
  readonly intervention: string;
  readonly name: string;
  readonly status: string;
  readonly rules: readonly {
    ruleId: string;
    title: string;
    source: string;
    failed?: string;
    saw?: unknown;
  }[];
  readonly reasons: readonly { code: string; message: string; ruleId?: string }[];
}

export type RunAnswer =
  | { readonly ok: true; readonly response: EvaluationResponse; readonly whyNot: readonly WhyNot[] }
  | {
      readonly ok: false;
      readonly rejection: {
        code: string;
        detail: string;
        errors: readonly { pointer: string; message: string }[];
      };
    };

export interface IssueJson {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly message: string;
  readonly text: string;
}

export interface CheckAnswer {
  readonly ok: boolean;
  readonly issues: readonly IssueJson[];
  readonly lockIssues: readonly IssueJson[];
  readonly bumps: readonly { ruleId: string; from: number; to: number }[];
}

export interface OutcomeJson {
  readonly rejected?: string;
  readonly redFlags: Record<string, string>;
  readonly findings: Record<string, string>;
  readonly interventions: Record<string, { status: string; reasons: readonly string[] }>;
  readonly dataIssues: readonly string[];
  readonly fired: readonly string[];
}

export interface ImpactAnswer {
  readonly regressionCases: number;
  readonly syntheticPatients: number;
  readonly changed: { readonly regression: number; readonly synthetic: number };
  readonly ruleChanges: readonly { id: string; change: string }[];
  readonly groups: readonly {
    rule: string;
    ruleChange: string;
    regression: number;
    synthetic: number;
    items: readonly {
      source: string;
      name: string;
      changes: readonly string[];
      before?: OutcomeJson;
      after?: OutcomeJson;
    }[];
  }[];
  readonly failures: readonly { case: string; differences: readonly string[] }[];
  readonly seconds: number;
}

export interface SaveAnswer {
  readonly saved: string;
  readonly text: string;
  readonly bumped: readonly { ruleId: string; from: number; to: number }[];
  readonly ruleset: RulesetRef;
}
