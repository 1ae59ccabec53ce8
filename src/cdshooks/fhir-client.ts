/**
 * Reads the prefetch data a CDS client did not send from its FHIR server: real HTTP GETs with
 * the client's bearer token, following Bundle `next` links on the same server, with a timeout.
 */

export interface FhirFetchOptions {
  readonly fhirServer: string;
  /** The client's token; sent on every call when given. */
  readonly accessToken?: string;
  readonly timeoutMs: number;
  /** Allow a plain-http fhirServer (tests and development on loopback). */
  readonly allowHttp: boolean;
  /** The FHIR base URLs this service may read from (CDS_FHIR_SERVERS); none: no server is usable. */
  readonly allowList: readonly string[];
  readonly maxPages?: number;
  /** Largest page accepted (default MAX_PAGE_BYTES). */
  readonly maxPageBytes?: number;
}

export class FhirUnavailable extends Error {
  override readonly name = 'FhirUnavailable';
}

/**
 * `{{context.x}}`, user tokens and the relative dates `{{today() - N days}}` (CDS Hooks 2.0
 * "Simple FHIRPath for Relative Dates", STU: `today` is the calendar date of the call) replaced;
 * undefined when a token has no value.
 */
export function fillTemplate(
  template: string,
  context: Readonly<Record<string, unknown>>,
  user: Readonly<Record<string, string>>,
  today: Date = new Date(),
): string | undefined {
  const missing: string[] = [];
  const dated = template.replace(
    /\{\{\s*today\(\)\s*(?:([+-])\s*(\d{1,5})\s+days?\s*)?\}\}/g,
    (_all, sign: string | undefined, days: string | undefined) => {
      const offset = days === undefined ? 0 : Number(days) * (sign === '-' ? -1 : 1);
      return new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    },
  );
  const filled = dated.replace(/\{\{\s*([A-Za-z.]+)\s*\}\}/g, (_all, token: string) => {
    const value = token.startsWith('context.') ? context[token.slice(8)] : user[token];
    if (typeof value !== 'string' || value === '') {
      missing.push(token);
      return '';
    }
    return encodeURIComponent(value);
  });
  return missing.length > 0 ? undefined : filled;
}

/** A URL as a base: a trailing slash on the path, so `new URL(query, base)` stays under it. */
function asBase(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text.endsWith('/') ? text : `${text}/`);
  } catch {
    return undefined;
  }
  // A base with credentials, a query or a fragment is not a FHIR base URL.
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    return undefined;
  return url;
}

/**
 * Where the URL a CDS client names may be read from: an https URL (http only when allowed, for
 * loopback development and tests) equal to, or under, one of the allow-listed bases. Any other
 * server is not usable, so the service never sends requests (and the client's token) to a host
 * its operator did not list.
 */
export function usableServer(
  fhirServer: string,
  allowHttp: boolean,
  allowList: readonly string[],
): URL | undefined {
  const url = asBase(fhirServer);
  if (!url) return undefined;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) return undefined;
  const listed = allowList.some((entry) => {
    const base = asBase(entry);
    return (
      base !== undefined && base.origin === url.origin && url.pathname.startsWith(base.pathname)
    );
  });
  return listed ? url : undefined;
}

async function getJson(url: URL, o: FhirFetchOptions): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: {
        accept: 'application/fhir+json',
        ...(o.accessToken === undefined ? {} : { authorization: `Bearer ${o.accessToken}` }),
      },
      redirect: 'error',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch {
    throw new FhirUnavailable('FHIR server unreachable or too slow');
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new FhirUnavailable(`FHIR server answered ${String(res.status)}`);
  const text = await cappedText(res, o.maxPageBytes ?? MAX_PAGE_BYTES);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FhirUnavailable('FHIR server sent a body that is not JSON');
  }
}

/** Largest page read from a FHIR server: a bigger one is refused, not buffered. */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/** The body as text, refused as soon as it grows past `cap` bytes. */
async function cappedText(res: Response, cap: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > cap) throw new FhirUnavailable('FHIR server page too large');
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        await reader.cancel();
        throw new FhirUnavailable('FHIR server page too large');
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FhirUnavailable) throw error;
    throw new FhirUnavailable('FHIR server unreachable or too slow');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One prefetch query (relative to the server) read in full: a resource, or all Bundle pages. */
export async function fetchQuery(query: string, o: FhirFetchOptions): Promise<unknown[]> {
  const base = usableServer(o.fhirServer, o.allowHttp, o.allowList);
  if (!base) throw new FhirUnavailable('fhirServer is not a usable URL');
  const out: unknown[] = [];
  let url: URL | undefined = new URL(query, base);
  for (let page = 0; url && page < (o.maxPages ?? 20); page++) {
    const body = await getJson(url, o);
    if (body === undefined) break;
    out.push(body);
    const b = body as { resourceType?: unknown; link?: unknown };
    url = undefined;
    if (b.resourceType === 'Bundle' && Array.isArray(b.link)) {
      const next = (b.link as { relation?: unknown; url?: unknown }[]).find(
        (l) => l.relation === 'next' && typeof l.url === 'string',
      );
      if (next && typeof next.url === 'string') {
        const candidate = new URL(next.url, base);
        // Only pages of the same server get the token.
        if (candidate.origin === base.origin && candidate.pathname.startsWith(base.pathname))
          url = candidate;
      }
    }
  }
  return out;
}
