/**
 * A problem found in data (a rule file, a catalog, a request): a value, never an exception.
 * `file`/`line`/`column` locate YAML problems; `pointer` locates JSON problems.
 */
export interface Issue {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly pointer?: string;
}

/** `file:line:column  CODE  message`, the form compilers use so editors and CI annotate it. */
export function formatIssue(issue: Issue): string {
  const where =
    issue.file === undefined
      ? (issue.pointer ?? '-')
      : `${issue.file}:${String(issue.line ?? 1)}:${String(issue.column ?? 1)}`;
  return `${where}  ${issue.code}  ${issue.message}`;
}

/** Thrown when a ruleset cannot be loaded; carries every problem found. */
export class RulesetLoadError extends Error {
  override readonly name = 'RulesetLoadError';
  readonly issues: readonly Issue[];

  constructor(issues: readonly Issue[]) {
    super(
      `ruleset rejected with ${String(issues.length)} problem(s):\n${issues.map(formatIssue).join('\n')}`,
    );
    this.issues = issues;
  }
}
