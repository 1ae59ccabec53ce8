import { buildFacts } from '../../src/facts/build';
import {
  bandOf,
  questionnaireProblems,
  scoredItems,
  totalOf,
} from '../../src/facts/questionnaires';
import type { Questionnaire } from '../../src/rules/catalog-types';
import { shippedRuleset } from '../support/app';

const catalog = shippedRuleset().catalog;

function instrument(id: string): Questionnaire {
  const q = catalog.questionnaires.get(id);
  if (!q) throw new Error(`no questionnaire ${id}`);
  return q;
}

/** Bands as clinical-reference §2 prints them: [band id, min, max], inclusive. */
const REFERENCE_BANDS: Readonly<Record<string, readonly [string, number, number][]>> = {
  'phq-9': [
    ['minimal', 0, 4],
    ['mild', 5, 9],
    ['moderate', 10, 14],
    ['moderately-severe', 15, 19],
    ['severe', 20, 27],
  ],
  'phq-2': [
    ['negative', 0, 2],
    ['positive', 3, 6],
  ],
  'gad-7': [
    ['minimal', 0, 4],
    ['mild', 5, 9],
    ['moderate', 10, 14],
    ['severe', 15, 21],
  ],
  isi: [
    ['none', 0, 7],
    ['subthreshold', 8, 14],
    ['moderate', 15, 21],
    ['severe', 22, 28],
  ],
  'pss-10': [
    ['low', 0, 13],
    ['moderate', 14, 26],
    ['high', 27, 40],
  ],
};

/** Items per instrument (clinical-reference §2): count, lowest and highest answer. */
const REFERENCE_ITEMS: Readonly<Record<string, [number, number, number]>> = {
  'phq-9': [9, 0, 3],
  'phq-2': [2, 0, 3],
  'gad-7': [7, 0, 3],
  isi: [7, 0, 4],
  'pss-10': [10, 0, 4],
};

describe('the five instruments of clinical-reference §2', () => {
  it('when the catalog is loaded, then it holds exactly the five instruments', () => {
    expect([...catalog.questionnaires.keys()].sort()).toEqual(Object.keys(REFERENCE_BANDS).sort());
  });

  it.each(Object.entries(REFERENCE_ITEMS))(
    'when %s is defined, then its item count and answer range are those of §2',
    (id, [count, min, max]) => {
      const q = instrument(id);
      expect([q.itemCount, q.itemMin, q.itemMax]).toEqual([count, min, max]);
    },
  );

  it.each(Object.entries(REFERENCE_BANDS))(
    'when %s is defined, then its bands are exactly those of §2',
    (id, bands) => {
      expect(instrument(id).bands.map((b) => [b.id, b.min, b.max])).toEqual(bands);
    },
  );
});

describe('every band boundary', () => {
  const boundaries: [string, number, string][] = [];
  for (const [id, bands] of Object.entries(REFERENCE_BANDS)) {
    for (const [band, min, max] of bands) {
      boundaries.push([id, min, band]);
      if (max !== min) boundaries.push([id, max, band]);
    }
  }

  it.each(boundaries)('when %s totals %d, then the band is %s', (id, total, band) => {
    expect(bandOf(instrument(id), total)).toBe(band);
  });

  it.each([
    ['phq-9', -1],
    ['phq-9', 28],
    ['gad-7', 22],
    ['isi', 29],
    ['pss-10', 41],
  ])('when %s totals %d (outside the scale), then there is no band', (id, total) => {
    expect(bandOf(instrument(id), total)).toBeNull();
  });

  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 1, 3], 4, 'minimal'],
    [[0, 0, 0, 0, 0, 0, 1, 1, 3], 5, 'mild'],
    [[1, 1, 1, 1, 1, 1, 1, 1, 1], 9, 'mild'],
    [[1, 1, 1, 1, 1, 1, 1, 2, 1], 10, 'moderate'],
    [[2, 2, 2, 2, 2, 2, 1, 1, 0], 14, 'moderate'],
    [[2, 2, 2, 2, 2, 2, 2, 1, 0], 15, 'moderately-severe'],
    [[3, 3, 3, 2, 2, 2, 2, 2, 0], 19, 'moderately-severe'],
    [[3, 3, 3, 3, 2, 2, 2, 2, 0], 20, 'severe'],
    [[3, 3, 3, 3, 3, 3, 3, 3, 3], 27, 'severe'],
  ])(
    'when PHQ-9 items %p are sent, then the fact model has total %d and band %s',
    (items, total, band) => {
      const model = buildFacts(catalog, {
        patient: { age: 40 },
        questionnaires: [{ instrument: 'phq-9', items }],
      });
      expect(model.questionnaires.get('phq-9')).toMatchObject({ total, band, items });
    },
  );

  it('when only a PHQ-9 total is sent, then the band comes from it and item 9 is unknown', () => {
    const model = buildFacts(catalog, {
      patient: { age: 40 },
      questionnaires: [{ instrument: 'phq-9', total: 10 }],
    });
    expect(model.questionnaires.get('phq-9')).toMatchObject({
      total: 10,
      band: 'moderate',
      items: null,
    });
    expect(model.problems.map((p) => p.code)).toContain('DATA-ITEM9-MISSING');
  });
});

describe('PSS-10 reverse scoring (items 4, 5, 7, 8)', () => {
  const pss = instrument('pss-10');

  it('when the catalog is loaded, then items 4, 5, 7 and 8 are the reverse-scored ones', () => {
    expect([...(pss.reverseItems ?? [])].sort((a, b) => a - b)).toEqual([4, 5, 7, 8]);
  });

  it.each([
    // answers → scored (4 - answer on items 4, 5, 7, 8), total
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 4, 4, 0, 4, 4, 0, 0], 16],
    [[4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [4, 4, 4, 0, 0, 4, 0, 0, 4, 4], 24],
    [[1, 2, 3, 4, 0, 1, 2, 3, 4, 0], [1, 2, 3, 0, 4, 1, 2, 1, 4, 0], 18],
    [[4, 4, 4, 0, 0, 4, 0, 0, 4, 4], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 40],
    [[0, 0, 0, 4, 4, 0, 4, 4, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0],
  ])('when PSS-10 answers are %p, then items score %p and total %d', (answers, scored, total) => {
    expect(scoredItems(pss, answers)).toEqual(scored);
    expect(totalOf(pss, answers)).toBe(total);
  });

  it.each([
    // item k alone answered 4, others 0: forward items add 4, reverse items take 4 away from 16
    [1, 20],
    [2, 20],
    [3, 20],
    [4, 12],
    [5, 12],
    [6, 20],
    [7, 12],
    [8, 12],
    [9, 20],
    [10, 20],
  ])('when only PSS-10 item %d is answered 4, then the total is %d', (item, total) => {
    const answers = Array.from({ length: 10 }, (_v, i) => (i + 1 === item ? 4 : 0));
    expect(totalOf(pss, answers)).toBe(total);
  });

  it('when PSS-10 items and the reverse-scored total are sent, then they are consistent', () => {
    expect(questionnaireProblems(pss, [1, 2, 3, 4, 0, 1, 2, 3, 4, 0], 18)).toEqual([]);
  });

  it('when PSS-10 items are sent with their raw (not reverse-scored) sum, then it is a mismatch', () => {
    expect(questionnaireProblems(pss, [1, 2, 3, 4, 0, 1, 2, 3, 4, 0], 20)).toEqual([
      { path: '/total', message: 'pss-10 total 20 does not match its items (18)' },
    ]);
  });

  it('when reverse items are scored, then the other instruments are not reversed', () => {
    for (const id of ['phq-9', 'phq-2', 'gad-7', 'isi']) {
      const q = instrument(id);
      const answers = Array.from({ length: q.itemCount }, () => 1);
      expect(totalOf(q, answers)).toBe(q.itemCount);
    }
  });
});

describe('questionnaire consistency problems', () => {
  const phq9 = instrument('phq-9');

  it('when items and total agree, then there is no problem', () => {
    expect(questionnaireProblems(phq9, [1, 2, 1, 1, 1, 1, 1, 0, 0], 8)).toEqual([]);
  });

  it('when the total disagrees with the items, then the total is flagged', () => {
    expect(questionnaireProblems(phq9, [1, 2, 1, 1, 1, 1, 1, 0, 0], 9)).toEqual([
      { path: '/total', message: 'phq-9 total 9 does not match its items (8)' },
    ]);
  });

  it.each([[8], [10], [0]])('when %d PHQ-9 items are sent, then the item list is flagged', (n) => {
    const problems = questionnaireProblems(
      phq9,
      Array.from({ length: n }, () => 0),
      undefined,
    );
    expect(problems).toEqual([{ path: '/items', message: `phq-9 has 9 items; ${n} were sent` }]);
  });

  it.each([
    ['phq-9', 8, 4],
    ['phq-9', 0, -1],
    ['gad-7', 3, 4],
    ['isi', 6, 5],
    ['pss-10', 9, 5],
  ])('when %s item %d is answered %d (out of range), then that item is flagged', (id, index, v) => {
    const q = instrument(id);
    const items = Array.from({ length: q.itemCount }, (_x, i) => (i === index ? v : 0));
    expect(questionnaireProblems(q, items, undefined).map((p) => p.path)).toEqual([
      `/items/${index}`,
    ]);
  });

  it('when an item list is wrong, then no mismatch is also claimed for the total', () => {
    expect(questionnaireProblems(phq9, [3, 3, 3], 27).map((p) => p.path)).toEqual(['/items']);
  });

  it.each([
    ['phq-9', 28],
    ['phq-9', -1],
    ['pss-10', 41],
    ['isi', 29],
  ])('when %s total is %d (outside the scale), then the total is flagged', (id, total) => {
    expect(questionnaireProblems(instrument(id), undefined, total).map((p) => p.path)).toEqual([
      '/total',
    ]);
  });

  it('when neither items, answers nor a total is sent, then the questionnaire is flagged', () => {
    expect(questionnaireProblems(phq9, undefined, undefined)).toEqual([
      { path: '', message: 'phq-9 needs items, answers or a total' },
    ]);
  });
});

describe('answers to single items (answers[]: PHQ-9 item 9 recorded on its own)', () => {
  const phq9 = instrument('phq-9');
  const facts = (q: Record<string, unknown>) =>
    buildFacts(catalog, {
      patient: { age: 40 },
      questionnaires: [{ instrument: 'phq-9', ...q }],
    });

  it.each([0, 1, 3])(
    'when only item 9 is answered %i, then item 9 is known, the others and the total are not, and no DATA-ITEM9-MISSING',
    (value) => {
      const model = facts({ answers: [{ item: 9, value }] });
      expect(model.questionnaires.get('phq-9')).toMatchObject({
        total: null,
        band: null,
        items: [null, null, null, null, null, null, null, null, value],
      });
      expect(model.problems.map((p) => p.code)).not.toContain('DATA-ITEM9-MISSING');
    },
  );

  it('when item 9 is answered with a total, then the band comes from the total', () => {
    expect(
      facts({ answers: [{ item: 9, value: 0 }], total: 12 }).questionnaires.get('phq-9'),
    ).toMatchObject({ total: 12, band: 'moderate' });
  });

  it('when answers leave item 9 out, then DATA-ITEM9-MISSING is raised at /answers', () => {
    const model = facts({ answers: [{ item: 1, value: 2 }], total: 10 });
    expect(model.problems.find((p) => p.code === 'DATA-ITEM9-MISSING')?.pointer).toBe(
      '/questionnaires/0/answers',
    );
  });

  it('when an instrument has no items-missing code (GAD-7), then its answers raise no problem', () => {
    const model = buildFacts(catalog, {
      patient: { age: 40 },
      questionnaires: [{ instrument: 'gad-7', answers: [{ item: 1, value: 2 }] }],
    });
    expect(model.problems.filter((p) => p.pointer.startsWith('/questionnaires'))).toEqual([]);
    expect(model.questionnaires.get('gad-7')?.items?.[0]).toBe(2);
  });

  it.each([
    ['an item beyond the scale', [{ item: 10, value: 1 }], undefined, '/answers/0/item'],
    [
      'an item twice',
      [
        { item: 9, value: 1 },
        { item: 9, value: 2 },
      ],
      undefined,
      '/answers/1/item',
    ],
    ['a value out of range', [{ item: 9, value: 4 }], undefined, '/answers/0/value'],
    ['a total below the answered items', [{ item: 9, value: 3 }], 2, '/total'],
    ['a total above what the rest can add', [{ item: 9, value: 0 }], 25, '/total'],
  ])('when answers have %s, then that is flagged', (_name, answers, total, path) => {
    expect(questionnaireProblems(phq9, undefined, total, answers).map((p) => p.path)).toEqual([
      path,
    ]);
  });

  it.each([
    [[{ item: 9, value: 3 }], 3],
    [[{ item: 9, value: 0 }], 24],
  ])(
    'when answers %j come with a total of %i (the bounds), then it is consistent',
    (answers, total) => {
      expect(questionnaireProblems(phq9, undefined, total, answers)).toEqual([]);
    },
  );

  it('when PSS-10 answers a reverse-scored item, then the total bounds use its reversed score', () => {
    const pss = instrument('pss-10');
    // Item 4 answered 4 scores 0; the nine others add 0-36.
    expect(questionnaireProblems(pss, undefined, 36, [{ item: 4, value: 4 }])).toEqual([]);
    expect(questionnaireProblems(pss, undefined, 37, [{ item: 4, value: 4 }])).toHaveLength(1);
  });

  it('when items and answers are both sent, then that is flagged', () => {
    expect(
      questionnaireProblems(phq9, [0, 0, 0, 0, 0, 0, 0, 0, 0], undefined, [
        { item: 9, value: 0 },
      ]).map((p) => p.path),
    ).toEqual(['/answers']);
  });
});
