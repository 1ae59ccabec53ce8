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

// The answers' types are the server's own (type-only imports: nothing of src/ is bundled).
export type {
  StudioCase as CaseDetail,
  StudioCheck as CheckAnswer,
  StudioImpact as ImpactAnswer,
  StudioIssue as IssueJson,
  StudioRun as RunAnswer,
  StudioSave as SaveAnswer,
  StudioState as State,
} from '../../src/http/routes/studio';
export type { OutcomeJson } from '../../src/regression/impact';
