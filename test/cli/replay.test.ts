import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { generatePatients } from '../../src/synth/patients';
import { MAX_LINE_BYTES } from '../../src/cli/replay/run';
import { makeApp, shippedRuleset } from '../support/app';
import { buildCli, removeTempDirs, ROOT, tempDir } from './support';

/** `ntcds replay` as real child processes of the compiled CLI (worker threads need the .js). */
let cli = '';
beforeAll(() => {
  cli = path.join(buildCli(), 'src', 'cli', 'main.js');
}, 120000);
afterAll(removeTempDirs);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ntcds(argv: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...argv], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const EXAMPLE = path.join(ROOT, 'examples', 'batch.ndjson');

/** The shipped rules without the rule that blocks serotonergic supplements on an SSRI. */
function rulesWithoutSeroDrug(): string {
  const dir = path.join(tempDir('ntcds-replay-'), 'rules');
  fs.cpSync(path.join(ROOT, 'rules'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'safety', 'sero-drug.yaml'));
  return dir;
}

function population(count: number): string {
  const file = path.join(tempDir('ntcds-replay-'), 'patients.ndjson');
  const bodies = generatePatients(shippedRuleset().catalog, { seed: 7, count });
  fs.writeFileSync(file, bodies.map((b) => JSON.stringify(b)).join('\n') + '\n');
  return file;
}

const withoutId = (line: string): unknown => {
  const parsed = JSON.parse(line) as { answer?: Record<string, unknown> };
  if (parsed.answer) delete parsed.answer.evaluationId;
  return parsed;
};

describe('ntcds replay', () => {
  it('when the README batch example is replayed, then each output line is the line POST /v1/evaluations/batch answers, and the summary counts red flags, statuses and refusals', async () => {
    const out = path.join(tempDir('ntcds-replay-'), 'out.ndjson');
    const r = await ntcds(['replay', EXAMPLE, '--out', out, '--workers', '2', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/evaluations/batch')
      .set('content-type', 'application/x-ndjson')
      .send(fs.readFileSync(EXAMPLE));
    const viaRoute = res.text.trim().split('\n').map(withoutId);
    const viaCli = fs.readFileSync(out, 'utf8').trim().split('\n').map(withoutId);
    expect(viaCli).toEqual(viaRoute);
    const summary = JSON.parse(fs.readFileSync(`${out}.summary.json`, 'utf8')) as {
      lines: number;
      summary: { after: Record<string, unknown> };
    };
    expect(summary.lines).toBe(4);
    expect(summary.summary.after).toMatchObject({
      patients: 4,
      answered: 3,
      refused: { 'INVALID-REQUEST': 1 },
      withRedFlag: 1,
    });
    expect(r.stdout).toMatch(/^Patients: 4 — 3 answered, 1 refused \(INVALID-REQUEST 1\)$/m);
    expect(r.stdout).toMatch(/^ {2}5-htp +candidate 0, caution 0, blocked 1, deferred 0$/m);
  }, 60000);

  it('when --against names a ruleset in which a block fired, then the changed patient is grouped under that rule and "blocked → offered" is counted first among safety changes', async () => {
    const out = path.join(tempDir('ntcds-replay-'), 'out.ndjson');
    const r = await ntcds([
      'replay',
      EXAMPLE,
      '--rules',
      rulesWithoutSeroDrug(),
      '--against',
      'rules',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const safetyAt = r.stdout.indexOf('Safety changes:');
    expect(r.stdout.slice(safetyAt).split('\n')[1]).toBe('  ⚠ blocked → offered: 2');
    expect(r.stdout).toMatch(/^▸ safety\.sero-drug: 1 patients$/m);
    expect(r.stdout).toMatch(/1× intervention 5-htp: blocked → candidate \(-BLK-SERO-DRUG\)/);
    const file = JSON.parse(fs.readFileSync(`${out}.summary.json`, 'utf8')) as {
      summary: { comparison: { changedPatients: number; examples: { line: number }[] } };
    };
    expect(file.summary.comparison.changedPatients).toBe(1);
    expect(file.summary.comparison.examples.map((e) => e.line)).toEqual([1]);
    const changed = fs.readFileSync(`${out}.changed.ndjson`, 'utf8').trim().split('\n');
    expect(changed.map((l) => JSON.parse(l) as unknown)).toEqual(file.summary.comparison.examples);
  }, 60000);

  it('when --as-of is given, then requests without asOf are answered as of that date and those with one keep theirs', async () => {
    const dir = tempDir('ntcds-replay-');
    const input = path.join(dir, 'in.ndjson');
    fs.writeFileSync(
      input,
      `${JSON.stringify({ patient: { age: 40, sex: 'female' } })}\n${JSON.stringify({ asOf: '2025-03-01T10:00:00Z', patient: { age: 40, sex: 'female' } })}\n`,
    );
    const r = await ntcds(['replay', input, '--as-of', '2024-06-30', '--quiet', '--workers', '1']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { answer: { asOf: string } });
    expect(lines.map((l) => l.answer.asOf)).toEqual([
      '2024-06-30T00:00:00.000Z',
      '2025-03-01T10:00:00Z',
    ]);
  }, 60000);

  it('when INPUT is the FHIR Bulk Data sample folder, then each patient is answered as POST /v1/evaluations answers a Bundle of that patient and its resources (fhir+json), in Patient.ndjson order', async () => {
    const bulk = path.join(ROOT, 'examples', 'bulk');
    const out = path.join(tempDir('ntcds-replay-'), 'bulk.ndjson');
    const r = await ntcds([
      'replay',
      bulk,
      '--as-of',
      '2026-01-15',
      '--out',
      out,
      '--workers',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/replay: .*examples\/bulk: 3 patients, 13 resources from 6 files/);
    expect(r.stderr).not.toContain('warning');
    const { app } = makeApp({ now: () => new Date('2026-01-15T00:00:00Z') });
    const read = (f: string): { subject?: { reference: string }; id: string }[] =>
      fs
        .readFileSync(path.join(bulk, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { subject?: { reference: string }; id: string });
    const files = fs
      .readdirSync(bulk)
      .filter((f) => f !== 'Patient.ndjson')
      .sort();
    const got = fs.readFileSync(out, 'utf8').trim().split('\n').map(withoutId);
    const patients = read('Patient.ndjson');
    expect(got).toHaveLength(patients.length);
    for (const [i, patient] of patients.entries()) {
      const mine = files.flatMap((f) =>
        read(f).filter((x) => x.subject?.reference === `Patient/${patient.id}`),
      );
      const bundle = {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [patient, ...mine].map((resource) => ({ resource })),
      };
      const res = await request(app)
        .post('/v1/evaluations')
        .set('content-type', 'application/fhir+json')
        .send(JSON.stringify(bundle));
      expect(res.status).toBe(200);
      expect(got[i]).toEqual(
        withoutId(JSON.stringify({ line: i + 1, answer: res.body as unknown })),
      );
    }
    // The sample shows what replay is for: a block, a severe red flag, a child.
    expect(JSON.stringify(got)).toContain('RF-DEP-SEVERE');
    expect(JSON.stringify(got)).toContain('RF-PEDS');
  }, 60000);

  it('when a bulk folder has resources that belong to no patient of the export, then they are left out with a warning naming them; a folder without Patient.ndjson is a usage error', async () => {
    const dir = tempDir('ntcds-replay-bulk-');
    fs.cpSync(path.join(ROOT, 'examples', 'bulk'), dir, { recursive: true });
    fs.appendFileSync(
      path.join(dir, 'Observation.ndjson'),
      `${JSON.stringify({ resourceType: 'Observation', id: 'stray', subject: { reference: 'Patient/gone' } })}\n`,
    );
    const r = await ntcds(['replay', dir, '--as-of', '2026-01-15', '--quiet', '--workers', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'resources left out, belonging to no patient of the export: 1 patient not in the export',
    );
    expect(r.stderr).toContain('Patient/gone');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{"line":')),
    ).toHaveLength(3);
    fs.rmSync(path.join(dir, 'Patient.ndjson'));
    const notBulk = await ntcds(['replay', dir, '--quiet']);
    expect(notBulk.code).toBe(2);
    expect(notBulk.stderr).toContain('not a FHIR Bulk Data export');
  }, 60000);

  it('when thousands of patients stream through two workers that reuse their output buffers, then the output is byte for byte the in-process (--workers 0) output', async () => {
    const input = population(3000);
    const dir = tempDir('ntcds-replay-');
    const common = ['replay', input, '--as-of', '2026-01-15', '--quiet'];
    const [two, zero] = await Promise.all([
      ntcds([...common, '--workers', '2', '--out', path.join(dir, 'two.ndjson')]),
      ntcds([...common, '--workers', '0', '--out', path.join(dir, 'zero.ndjson')]),
    ]);
    expect(two.code).toBe(0);
    expect(zero.code).toBe(0);
    const a = fs.readFileSync(path.join(dir, 'two.ndjson'));
    const b = fs.readFileSync(path.join(dir, 'zero.ndjson'));
    expect(a.toString('utf8').split('\n')).toHaveLength(3001);
    expect(a.equals(b)).toBe(true);
  }, 180000);

  it('when lines at the 4 MiB line limit, packed with as many JSON values as fit, go through the workers (whose heaps are capped), then each is answered with its problem line, the next lines are answered, and a longer line is BODY-TOO-LARGE', async () => {
    const file = path.join(tempDir('ntcds-replay-big-'), 'big.ndjson');
    const count = Math.floor((MAX_LINE_BYTES - 16) / 3);
    const objects = `{"patient":[${'{},'.repeat(count - 1)}{}]}`;
    const arrays = `[${'[],'.repeat(count - 1)}[]]`;
    expect(Buffer.byteLength(objects)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    const tooLong = `{"patient":"${'x'.repeat(MAX_LINE_BYTES)}"}`;
    fs.writeFileSync(
      file,
      [objects, arrays, objects, arrays, tooLong].join('\n') +
        '\n' +
        fs.readFileSync(EXAMPLE, 'utf8'),
    );
    const out = path.join(tempDir('ntcds-replay-big-'), 'out.ndjson');
    const r = await ntcds(['replay', file, '--workers', '2', '--quiet', '--out', out]);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; problem?: { code: string }; answer?: unknown });
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines.slice(0, 4).map((l) => l.problem?.code)).toEqual(Array(4).fill('INVALID-REQUEST'));
    expect(lines[4]?.problem?.code).toBe('BODY-TOO-LARGE');
    expect(lines.slice(5).map((l) => l.problem?.code ?? 'answer')).toEqual([
      'answer',
      'answer',
      'INVALID-REQUEST',
      'answer',
    ]);
  }, 120000);

  it('when stderr is not a terminal and --quiet is not given, then a plain progress line ends the run', async () => {
    const r = await ntcds([
      'replay',
      EXAMPLE,
      '--workers',
      '1',
      '--out',
      path.join(tempDir(), 'o.ndjson'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^replay: 4 patients in [\d.]+ s \(\d+\/s\)$/m);
    expect(r.stderr).not.toContain('\r');
  }, 60000);

  it('when the input is not there or a flag is wrong, then exit 2 with the usage', async () => {
    const missing = await ntcds(['replay', 'nope.ndjson']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no input file');
    const shard = await ntcds(['replay', EXAMPLE, '--shard-index', '4', '--shard-count', '4']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toContain('--shard-index must be below --shard-count');
  }, 60000);
});

describe('ntcds replay: shards', () => {
  it('when the same population runs as 1 process and as 4 shard processes (JOB_COMPLETION_INDEX 0..3) merged, then the merged output and summary are identical', async () => {
    const input = population(300);
    const dir = tempDir('ntcds-replay-shards-');
    const against = ['--rules', rulesWithoutSeroDrug(), '--against', 'rules'];
    const common = [...against, '--as-of', '2026-01-15', '--quiet'];
    const single = path.join(dir, 'single.ndjson');
    const one = await ntcds(['replay', input, ...common, '--out', single, '--workers', '2']);
    expect(one.code).toBe(0);
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        ntcds(
          [
            'replay',
            input,
            ...common,
            '--out',
            path.join(dir, `shard-${String(i)}.ndjson`),
            '--workers',
            '1',
          ],
          {
            JOB_COMPLETION_INDEX: String(i),
            REPLAY_SHARD_COUNT: '4',
          },
        ),
      ),
    );
    for (const r of runs) expect(r.code).toBe(0);
    const shardLines = [0, 1, 2, 3].map(
      (i) =>
        fs
          .readFileSync(path.join(dir, `shard-${String(i)}.ndjson`), 'utf8')
          .trim()
          .split('\n').length,
    );
    // Every shard took a share; together they took every patient once.
    for (const n of shardLines) expect(n).toBeGreaterThan(25);
    expect(shardLines.reduce((a, b) => a + b, 0)).toBe(300);
    const merged = path.join(dir, 'merged.ndjson');
    const m = await ntcds([
      'replay',
      'merge',
      ...[0, 1, 2, 3].map((i) => path.join(dir, `shard-${String(i)}.ndjson`)),
      '--out',
      merged,
    ]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(fs.readFileSync(merged, 'utf8')).toBe(fs.readFileSync(single, 'utf8'));
    expect(fs.readFileSync(`${merged}.summary.json`, 'utf8')).toBe(
      fs.readFileSync(`${single}.summary.json`, 'utf8'),
    );
    expect(m.stdout).toBe(one.stdout);
    const summary = JSON.parse(fs.readFileSync(`${merged}.summary.json`, 'utf8')) as {
      summary: { comparison: { changedPatients: number } };
    };
    expect(summary.summary.comparison.changedPatients).toBeGreaterThan(0);
    // Every changed patient, not only the summary's first examples, spilled beside the output
    // and merged in input order.
    const changed = fs.readFileSync(`${merged}.changed.ndjson`, 'utf8');
    expect(changed).toBe(fs.readFileSync(`${single}.changed.ndjson`, 'utf8'));
    const numbers = changed
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    expect(numbers).toHaveLength(summary.summary.comparison.changedPatients);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  }, 400000);
});
