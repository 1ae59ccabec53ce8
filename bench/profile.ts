/**
 * `npm run bench:profile`: runs the service under `node --cpu-prof`, sends it the README
 * example (`PROFILE_URL`, default /v1/evaluations) for a fixed number of requests at 10
 * connections, stops it and prints where its CPU went: self time by function and by area
 * (Node's HTTP, the engine, validation, serialisation, …), in µs per request. The .cpuprofile
 * is left in bench/profiles/ for Chrome DevTools.
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { startNode, stop } from './procs';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'bench', 'profiles');
const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 20000);
const URL_PATH = process.env.PROFILE_URL ?? '/v1/evaluations';
const BODY_FILE = process.env.PROFILE_BODY ?? path.join(ROOT, 'examples', 'readme-request.json');

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The area a frame belongs to, from its script URL. */
function area(url: string, fn: string): string {
  if (url === '')
    return fn === '(garbage collector)'
      ? 'GC'
      : fn === '(program)'
        ? 'native/program'
        : `native ${fn}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `npm ${m[1] ?? ''}`;
  if (url.startsWith('node:'))
    return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  const s = /dist\/src\/([^/]+)(?:\/([^/]+))?/.exec(url);
  if (s) return `src/${s[1] ?? ''}${s[2] && s[1] !== 'main.js' ? `/${s[2]}` : ''}`;
  return url;
}

function summarise(profile: Profile, requests: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fn = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const per = (us: number): string => (us / requests).toFixed(1);
  const out = [
    `sampled CPU (idle excluded): ${per(total)} µs per request over ${requests} requests`,
    '',
    '| area | µs/request | share |',
    '|---|---:|---:|',
  ];
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 30))
    out.push(`| ${a} | ${per(us)} | ${((100 * us) / total).toFixed(1)}% |`);
  out.push('', '| function (self time) | µs/request |', '|---|---:|');
  for (const [k, us] of [...fn].sort((x, y) => y[1] - x[1]).slice(0, 40))
    out.push(`| ${k} | ${per(us)} |`);
  return out;
}

async function main(): Promise<void> {
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const body = fs.readFileSync(BODY_FILE, 'utf8');
  const service = await startNode(
    path.join(ROOT, 'dist', 'src', 'main.js'),
    { RULES_DIR: path.join(ROOT, 'rules'), LOG_LEVEL: 'info' },
    '/readyz',
    ['--cpu-prof', '--cpu-prof-dir', DIR, '--cpu-prof-interval', '100'],
  );
  const run = (amount: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      autocannon(
        {
          url: `${service.base}${URL_PATH}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          connections: 10,
          amount,
        },
        (err, result) => {
          if (err) reject(err);
          else resolve(result);
        },
      );
    });
  await run(REQUESTS);
  await stop(service, 'SIGTERM');
  const file = fs.readdirSync(DIR).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no profile written');
  const profile = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Profile;
  process.stdout.write(`${summarise(profile, REQUESTS).join('\n')}\n`);
}

void main();
