import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INDICATORS = new Set(['info', 'warning', 'critical']);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Null, '', [] or {} anywhere below `value` (what the spec forbids for optional fields). */
function emptyValues(value: unknown, path: string, out: string[]): void {
  if (value === null || value === '') out.push(`${path}: empty value`);
  else if (Array.isArray(value)) {
    if (value.length === 0) out.push(`${path}: empty array`);
    value.forEach((v, i) => {
      emptyValues(v, `${path}/${String(i)}`, out);
    });
  } else if (isObj(value)) {
    if (Object.keys(value).length === 0) out.push(`${path}: empty object`);
    for (const [k, v] of Object.entries(value)) emptyValues(v, `${path}/${k}`, out);
  }
}

/**
 * Every invariant of the HL7 CDS Hooks response logical model (cds-resp-1..7) plus the card
 * rules (summary < 140, uuid, required fields, no empty optional values, one extension key).
 */
export function responseViolations(body: unknown): string[] {
  const v: string[] = [];
  if (!isObj(body) || !Array.isArray(body.cards)) return ['cards: missing'];
  body.cards.forEach((raw: unknown, i) => {
    const at = `/cards/${String(i)}`;
    if (!isObj(raw)) {
      v.push(`${at}: not an object`);
      return;
    }
    const card = raw;
    emptyValues(card, at, v);
    if (typeof card.uuid !== 'string' || !UUID.test(card.uuid)) v.push(`${at}/uuid: not a UUID`);
    if (typeof card.summary !== 'string' || card.summary.length === 0 || card.summary.length >= 140)
      v.push(`${at}/summary: missing or 140+ characters`);
    if (!INDICATORS.has(card.indicator as string)) v.push(`${at}/indicator: invalid`);
    const source = card.source;
    if (!isObj(source) || typeof source.label !== 'string') v.push(`${at}/source/label: missing`);
    else if (
      source.url !== undefined &&
      (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url))
    )
      v.push(`${at}/source/url: not absolute`);
    if (card.detail !== undefined && typeof card.detail !== 'string') v.push(`${at}/detail`);
    const suggestions = Array.isArray(card.suggestions) ? (card.suggestions as Obj[]) : [];
    // cds-resp-6
    if (suggestions.length > 0 && card.selectionBehavior === undefined)
      v.push(`${at}: cds-resp-6 suggestions without selectionBehavior`);
    if (
      card.selectionBehavior !== undefined &&
      !['at-most-one', 'any'].includes(card.selectionBehavior as string)
    )
      v.push(`${at}/selectionBehavior: invalid`);
    // cds-resp-1
    if (
      card.selectionBehavior === 'at-most-one' &&
      suggestions.filter((s) => s.isRecommended === true).length > 1
    )
      v.push(`${at}: cds-resp-1 more than one recommended suggestion`);
    suggestions.forEach((s, j) => {
      const sat = `${at}/suggestions/${String(j)}`;
      if (typeof s.label !== 'string') v.push(`${sat}/label: missing`);
      if (s.uuid !== undefined && (typeof s.uuid !== 'string' || !UUID.test(s.uuid)))
        v.push(`${sat}/uuid: not a UUID`);
      // cds-resp-7
      if (
        s.actionSelectionBehavior !== undefined &&
        !['all', 'any', 'at-most-one'].includes(s.actionSelectionBehavior as string)
      )
        v.push(`${sat}: cds-resp-7`);
      const actions = Array.isArray(s.actions) ? (s.actions as Obj[]) : [];
      actions.forEach((a, k) => {
        const aat = `${sat}/actions/${String(k)}`;
        if (!['create', 'update', 'delete'].includes(a.type as string))
          v.push(`${aat}/type: invalid`);
        // cds-resp-5
        if (typeof a.description !== 'string') v.push(`${aat}: cds-resp-5 no description`);
        // cds-resp-2
        if (a.type === 'delete' && (typeof a.resourceId !== 'string' || a.resource !== undefined))
          v.push(`${aat}: cds-resp-2 delete needs resourceId and no resource`);
      });
    });
    // cds-resp-3
    for (const [k, l] of (Array.isArray(card.links) ? (card.links as Obj[]) : []).entries())
      if (l.type !== 'smart' && l.appContext !== undefined)
        v.push(`${at}/links/${String(k)}: cds-resp-3`);
    // cds-resp-4
    for (const [k, r] of (Array.isArray(card.overrideReasons)
      ? (card.overrideReasons as Obj[])
      : []
    ).entries())
      if (typeof r.display !== 'string' || r.display === '')
        v.push(`${at}/overrideReasons/${String(k)}: cds-resp-4`);
  });
  if (body.systemActions !== undefined) emptyValues(body.systemActions, '/systemActions', v);
  if (body.extension !== undefined) {
    emptyValues(body.extension, '/extension', v);
    if (
      !isObj(body.extension) ||
      Object.keys(body.extension).join() !== 'org.neurotransmitter-cds.evaluation'
    )
      v.push('/extension: must hold exactly one reverse-domain key');
  }
  return v;
}

export interface StubFhir {
  readonly url: string;
  readonly calls: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A FHIR server on 127.0.0.1 (ephemeral port) that serves `resources` by type: reads
 * (`Type/id`) and searches (`Type?...`, paged two per page with `next` links).
 */
export async function startStubFhir(resources: Obj[], token: string): Promise<StubFhir> {
  const calls: StubFhir['calls'] = [];
  let base = '';
  const server: Server = createServer((req: IncomingMessage, res) => {
    const authorization = req.headers.authorization;
    calls.push({ path: req.url ?? '', authorization });
    if (authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const url = new URL(req.url ?? '/', base);
    const [, type, id] = url.pathname.split('/');
    const ofType = resources.filter((r) => r.resourceType === type);
    res.setHeader('content-type', 'application/fhir+json');
    if (id !== undefined && id !== '') {
      const found = ofType.find((r) => r.id === id);
      if (!found) res.writeHead(404).end();
      else res.end(JSON.stringify(found));
      return;
    }
    const page = Number(url.searchParams.get('_page') ?? '0');
    const slice = ofType.slice(page * 2, page * 2 + 2);
    const next = new URL(url);
    next.searchParams.set('_page', String(page + 1));
    res.end(
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'searchset',
        ...(ofType.length > (page + 1) * 2
          ? { link: [{ relation: 'next', url: next.toString() }] }
          : {}),
        entry: slice.map((resource) => ({ resource })),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
  return {
    url: base.slice(0, -1),
    calls,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
