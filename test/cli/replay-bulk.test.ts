import fs from 'node:fs';
import path from 'node:path';
import { bulkPatients, emptyBulkStats } from '../../src/cli/replay/bulk';
import type { BulkStats } from '../../src/cli/replay/bulk';
import { removeTempDirs, tempDir } from './support';

/** Grouping a FHIR Bulk Data export per patient (src/cli/replay/bulk.ts), in process. */
afterAll(removeTempDirs);

interface Resource {
  resourceType: string;
  id: string;
  subject?: { reference: string };
  patient?: { reference: string };
}

/** A seeded shuffle, so resources are spread through the files as an export writes them. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** An export of `count` patients with 0..4 resources each, shuffled, plus the unplaceable. */
function exportFolder(count: number): { dir: string; owned: Map<string, string[]> } {
  const dir = tempDir('ntcds-bulk-');
  const owned = new Map<string, string[]>();
  const patients: Resource[] = [];
  const byType = new Map<string, Resource[]>();
  for (let p = 0; p < count; p += 1) {
    const id = `pt-${String(p)}`;
    patients.push({ resourceType: 'Patient', id });
    owned.set(id, []);
    for (let k = 0; k < p % 5; k += 1) {
      const type = ['Observation', 'Condition', 'MedicationStatement', 'MedicationRequest'][k % 4];
      if (!type) continue;
      const r: Resource = {
        resourceType: type,
        id: `${id}-${String(k)}`,
        // Absolute and relative references, and `patient` instead of `subject`, all count.
        ...(k === 3
          ? { patient: { reference: `https://ehr.example/fhir/Patient/${id}` } }
          : { subject: { reference: `Patient/${id}` } }),
      };
      byType.set(type, [...(byType.get(type) ?? []), r]);
      owned.get(id)?.push(`${type}/${r.id}`);
    }
  }
  const write = (file: string, lines: readonly string[]): void => {
    fs.writeFileSync(path.join(dir, file), lines.join('\n') + '\n');
  };
  write(
    'Patient.ndjson',
    patients.map((r) => JSON.stringify(r)),
  );
  for (const [type, rs] of byType) {
    const lines = shuffled(
      rs.map((r) => JSON.stringify(r)),
      type.length,
    );
    if (type === 'Observation')
      lines.push(
        JSON.stringify({
          resourceType: 'Observation',
          id: 'orphan',
          subject: { reference: 'Patient/nobody' },
        }),
        JSON.stringify({ resourceType: 'Observation', id: 'anonymous' }),
        '{"resourceType": ',
      );
    write(`${type}.ndjson`, lines);
  }
  fs.writeFileSync(path.join(dir, 'README.txt'), 'not read');
  return { dir, owned };
}

async function grouped(
  dir: string,
  bucketBytes: number,
): Promise<{
  lines: { line: number; bundle: { entry: { resource: Resource }[] } }[];
  stats: BulkStats;
}> {
  const stats = emptyBulkStats();
  const lines = [];
  const tmpDir = tempDir('ntcds-bulk-tmp-');
  for await (const raw of bulkPatients(dir, { bucketBytes, maxLineBytes: 1 << 20, tmpDir }, stats))
    lines.push({
      line: raw.line,
      bundle: JSON.parse(raw.bytes?.toString('utf8') ?? 'null') as {
        entry: { resource: Resource }[];
      },
    });
  // The work folder is gone afterwards.
  expect(fs.readdirSync(tmpDir)).toEqual([]);
  return { lines, stats };
}

describe('FHIR Bulk Data export → one Bundle per patient', () => {
  it('when resources are spread over files in no order and grouping uses many buckets, then each patient gets exactly its resources, in Patient file order, and the unplaceable lines are counted', async () => {
    const { dir, owned } = exportFolder(300);
    const many = await grouped(dir, 2048);
    expect(many.stats.buckets).toBeGreaterThan(10);
    expect(many.lines.map((l) => l.line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    many.lines.forEach(({ line, bundle }) => {
      const id = `pt-${String(line - 1)}`;
      const [first, ...rest] = bundle.entry.map((e) => e.resource);
      expect(first).toEqual({ resourceType: 'Patient', id });
      expect(rest.map((r) => `${r.resourceType}/${r.id}`).sort()).toEqual(
        [...(owned.get(id) ?? [])].sort(),
      );
    });
    expect(many.stats).toMatchObject({
      files: 5,
      patients: 300,
      unplaced: { 'patient not in the export': 1, 'names no patient': 1, 'not JSON': 1 },
    });
    // One bucket (everything in memory at once) gives the same Bundles, byte for byte.
    const one = await grouped(dir, 1 << 30);
    expect(one.stats.buckets).toBe(1);
    expect(one.lines).toEqual(many.lines);
  });

  it("when two Patient lines share an id, then each is answered with that patient's resources", async () => {
    const dir = tempDir('ntcds-bulk-');
    fs.writeFileSync(
      path.join(dir, 'Patient.ndjson'),
      '{"resourceType":"Patient","id":"a"}\n{"resourceType":"Patient","id":"a","gender":"male"}\n',
    );
    fs.writeFileSync(
      path.join(dir, 'Condition.ndjson'),
      '{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/a"}}\n',
    );
    const { lines } = await grouped(dir, 1 << 20);
    expect(lines.map((l) => [l.line, l.bundle.entry.length])).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });
});
