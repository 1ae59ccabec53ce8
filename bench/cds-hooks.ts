/**
 * `npm run bench:cds`: latency of a CDS Hooks patient-view call with full prefetch, over real
 * HTTP on loopback (one connection, calls one after another), on generated patients mapped to
 * FHIR R4. Prints p50/p99 and writes bench/cds-results.json. BENCH_PORT picks the port (default:
 * an ephemeral one). `--quick` for a smoke run.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/http/app';
import { RulesetStore } from '../src/http/ruleset-store';
import Transport from 'winston-transport';
import { createLogger } from '../src/lib/logger';
import { formatIssue } from '../src/lib/issue';
import { loadRuleset } from '../src/engine/ruleset';
import { generatePatients } from '../src/synth/patients';
import { nativeToFhir } from '../test/support/fhir';
import { percentile, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const QUICK = process.argv.includes('--quick');
const CALLS = QUICK ? 200 : 2000;

class Discard extends Transport {
  override log(_info: unknown, next: () => void): void {
    next();
  }
}

async function main(): Promise<void> {
  const loaded = loadRuleset(path.join(ROOT, 'rules'));
  if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
  const store = new RulesetStore();
  store.set(loaded.ruleset);
  const asOf = new Date();
  const bodies: string[] = [];
  for (const p of generatePatients(loaded.ruleset.catalog, { seed: 1, count: 600 })) {
    // What FHIR cannot carry (symptoms, lab profiles) is dropped from the generated patient.
    const native = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
    delete native.symptoms;
    delete native.requested;
    for (const b of (native.biomarkers ?? []) as Record<string, unknown>[]) delete b.lab;
    const fhir = nativeToFhir(loaded.ruleset.catalog, native, asOf);
    if (!fhir) continue;
    const entries = fhir.bundle.entry as { resource: Record<string, unknown> }[];
    const searchset = (entry: unknown[] = []) => ({
      resourceType: 'Bundle',
      type: 'searchset',
      entry,
    });
    bodies.push(
      JSON.stringify({
        hook: 'patient-view',
        hookInstance: randomUUID(),
        context: { userId: 'Practitioner/bench', patientId: 'p1' },
        prefetch: {
          patient: entries[0]?.resource,
          observations: searchset(
            entries.slice(1).filter((e) => e.resource.resourceType === 'Observation'),
          ),
          questionnaireResponses: searchset(),
          medicationStatements: searchset(
            entries.filter((e) => e.resource.resourceType === 'MedicationStatement'),
          ),
          medicationRequests: searchset(),
          conditions: searchset(entries.filter((e) => e.resource.resourceType === 'Condition')),
          medicationList: searchset(entries.filter((e) => e.resource.resourceType === 'List')),
        },
      }),
    );
  }
  const app = createApp({ store, logger: createLogger('error', [new Discard()]) });
  const server = http.createServer(app);
  await new Promise<void>((resolve) =>
    server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', resolve),
  );
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/cds-services/neurotransmitter-balance-review`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`status ${String(res.statusCode)}`));
            else resolve(Number(process.hrtime.bigint() - started) / 1e6);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < 100; i++) await post(bodies[i % bodies.length] ?? '');
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) ms.push(await post(bodies[i % bodies.length] ?? ''));
  agent.destroy();
  server.close();
  ms.sort((a, b) => a - b);
  const result = {
    patients: bodies.length,
    calls: CALLS,
    p50ms: round(percentile(ms, 50), 2),
    p99ms: round(percentile(ms, 99), 2),
    meanBodyBytes: Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length),
  };
  process.stdout.write(
    `CDS Hooks patient-view, full prefetch, loopback, 1 connection: ${JSON.stringify(result)}\n`,
  );
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'cds-results.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

void main();
