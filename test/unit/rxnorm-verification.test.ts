import fs from 'node:fs';
import path from 'node:path';
import { shippedRuleset } from '../support/app';

/**
 * The RxNorm → ATC table maps FHIR medications to drugs; a wrong RxCUI hides an interaction. Every
 * code in it must be one docs/rxnorm-verification.md records as confirmed by two independent
 * sources, and none of the codes it records as removed may come back without that.
 */
const doc = fs.readFileSync(
  path.join(__dirname, '..', '..', 'docs', 'rxnorm-verification.md'),
  'utf8',
);
const section = (title: string): string => doc.split(`## ${title}`)[1]?.split('\n## ')[0] ?? '';
const rows = (title: string) =>
  [...section(title).matchAll(/^\| ([^|]+?) \| ([A-Z0-9]+) \| (\d+) \| (.+) \|$/gm)].map((m) => ({
    drug: (m[1] ?? '').replace(' (added)', ''),
    atc: m[2] ?? '',
    rxcui: m[3] ?? '',
    sources: [...(m[4] ?? '').matchAll(/`([\w.-]+)\/[\w.-]+`:/g)].map((s) => s[1]),
  }));

describe('RxNorm codes in the catalog (docs/rxnorm-verification.md)', () => {
  const catalog = shippedRuleset().catalog;
  const table = [...catalog.drugsByAtc.values()].flatMap((d) =>
    (d.rxnorm ?? []).map((rxcui) => ({ rxcui, atc: d.atc, drug: d.name })),
  );
  const kept = rows('Kept or added (two independent sources)');
  const removed = rows('Removed (fewer than two independent sources)');

  it('when the note is read, then it lists kept and removed codes', () => {
    expect(kept.length).toBeGreaterThan(100);
    expect(removed.length).toBeGreaterThan(0);
  });

  it('when a code is in the table, then the note confirms it for that drug from two publishers', () => {
    for (const t of table) {
      const row = kept.find((k) => k.rxcui === t.rxcui);
      expect({ ...t, confirmed: row?.atc === t.atc && row.drug === t.drug }).toEqual({
        ...t,
        confirmed: true,
      });
      expect(new Set(row?.sources).size).toBeGreaterThanOrEqual(2);
    }
    expect(table.length).toBe(kept.length);
  });

  it('when a code was removed for want of a second source, then it is not in the table', () => {
    const inTable = new Set(table.map((t) => t.rxcui));
    // Lithium carbonate (42351) was kept under a corrected meaning; the row says so.
    expect(removed.filter((r) => inTable.has(r.rxcui))).toEqual([]);
  });
});
