import fs from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, isDevelopmentMode, loadConfig } from '../../src/config';
import { ROOT } from '../support/app';

/**
 * deploy/kubernetes/ (and deploy/kubernetes/optional/) checked against the Kubernetes JSON
 * schemas that kubernetes-models ships (compiled with ajv) — strictly: the compiled schemas
 * ignore properties they do not define, so every key is also checked to be one the schema knows
 * (see unknownFields) — then for the properties this service relies on.
 */
const DIR = path.join(ROOT, 'deploy', 'kubernetes');
type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>;
type Model = new (data: never) => { validate(): void };

const models: Record<string, Model> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

const read = (dir: string, prefix = ''): { file: string; doc: Manifest }[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => {
        expect(d.errors).toEqual([]);
        return { file: `${prefix}${file}`, doc: d.toJS() as Manifest };
      }),
    );
/** What `kubectl apply -f deploy/kubernetes/` applies. */
const manifests = read(DIR);
/** Applied by hand when configured (the JWKS egress rule). */
const optional = read(path.join(DIR, 'optional'), 'optional/');
// Manifests are untyped YAML; the schema check above is what types them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const one = (kind: string): any => manifests.find((m) => m.doc.kind === kind)!.doc;

function modelOf(doc: Manifest): Model {
  const model = models[`${doc.apiVersion}/${doc.kind}`];
  if (model === undefined) throw new Error(`no schema for ${doc.apiVersion}/${doc.kind}`);
  return model;
}

/** The schema errors of a document (instancePath is a JSON pointer), or none. */
function schemaErrors(doc: unknown, model: Model): { instancePath: string; message?: string }[] {
  try {
    new model(doc as never).validate();
    return [];
  } catch (error) {
    return (
      (error as { errors?: { instancePath: string; message?: string }[] }).errors ?? [
        { instancePath: '', message: String(error) },
      ]
    );
  }
}

const PROBE = Symbol('a value no schema accepts');
const pointer = (segments: readonly string[]): string =>
  segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * JSON pointers of the keys the schema does not define (a typo such as `readinesProbe`). A key
 * is known when the schema constrains its value: put a value there that no schema type accepts
 * and the compiled validator reports an error at exactly that place; an unknown key is ignored.
 * Map-like objects (labels, ConfigMap data) constrain every key through additionalProperties,
 * so their keys count as known. Known objects and arrays are checked further down.
 */
function unknownFields(doc: Manifest, model: Model): string[] {
  const unknown: string[] = [];
  const visit = (node: unknown, at: string[]): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        visit(child, [...at, String(i)]);
      });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const where = [...at, key];
      const probed = structuredClone(doc) as Record<string, unknown>;
      let parent: Record<string, unknown> = probed;
      for (const s of at) parent = parent[s] as Record<string, unknown>;
      parent[key] = PROBE;
      const p = pointer(where);
      if (!schemaErrors(probed, model).some((e) => e.instancePath === p)) unknown.push(p);
      else visit(child, where);
    }
  };
  visit(doc, []);
  return unknown;
}

describe('deploy/kubernetes manifests', () => {
  it('has a Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy, ConfigMap, Secret and the replay Job', () => {
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Job',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    expect(optional.map((m) => m.doc.kind)).toEqual(['NetworkPolicy']);
  });

  it.each([...manifests, ...optional].map((m) => [m.file, m.doc] as const))(
    'when %s is checked against its Kubernetes schema, then it has no error and no unknown field',
    (_f, doc) => {
      const model = modelOf(doc);
      expect(schemaErrors(doc, model)).toEqual([]);
      expect(unknownFields(doc, model)).toEqual([]);
    },
  );

  it('when a value has the wrong type, then the schema check rejects it', () => {
    const broken = structuredClone(one('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => {
      new Deployment(broken as never).validate();
    }).toThrow(/containerPort must be integer/);
  });

  it('when a field name has a typo (readinesProbe, replica, a misspelt securityContext key), then the strict check names it', () => {
    const broken = structuredClone(one('Deployment'));
    const [c] = broken.spec.template.spec.containers;
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    broken.spec.replica = 2;
    broken.spec.template.spec.securityContext.runAsUsr = 10001;
    c.resources.limits.cpuu = '1';
    // The schema check alone lets all of these through…
    expect(schemaErrors(broken, Deployment)).toEqual([]);
    // …the strict one does not (resources.limits is a map: any key with a quantity is allowed).
    expect(unknownFields(broken, Deployment)).toEqual([
      '/spec/template/spec/securityContext/runAsUsr',
      '/spec/template/spec/containers/0/readinesProbe',
      '/spec/replica',
    ]);
    const policy = structuredClone(one('NetworkPolicy'));
    policy.spec.ingress[0].form = policy.spec.ingress[0].from;
    expect(unknownFields(policy, NetworkPolicy)).toEqual(['/spec/ingress/0/form']);
  });

  it('when the HPA scales the Deployment, then applying the manifests does not reset it: the Deployment sets no replicas', () => {
    expect(one('Deployment').spec).not.toHaveProperty('replicas');
    expect(one('HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('when the pod runs, then its UID, GID and fsGroup are at least 10000 and are the image user (Dockerfile USER)', () => {
    const ctx = one('Deployment').spec.template.spec.securityContext;
    const user = /^USER\s+(\d+):(\d+)\s*$/m.exec(
      fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'),
    );
    expect(user).not.toBeNull();
    for (const id of [ctx.runAsUser, ctx.runAsGroup, ctx.fsGroup])
      expect(id).toBeGreaterThanOrEqual(10000);
    expect([ctx.runAsUser, ctx.runAsGroup, ctx.fsGroup]).toEqual([
      Number(user![1]),
      Number(user![2]),
      Number(user![2]),
    ]);
  });

  it('when the NetworkPolicy applies, then ingress reaches only the container port from allowed namespaces, and egress only DNS', () => {
    const policy = one('NetworkPolicy');
    const labels = one('Deployment').spec.template.metadata.labels;
    const port = one('Deployment').spec.template.spec.containers[0].ports[0].containerPort;
    expect(policy.spec.podSelector).toEqual({ matchLabels: labels });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { 'neurotransmitter-cds/client': 'allowed' } } },
        ],
        ports: [{ protocol: 'TCP', port }],
      },
    ]);
    expect(policy.spec.egress).toHaveLength(1);
    const [dns] = policy.spec.egress;
    expect(dns.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    expect(dns.ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    // The optional JWKS rule: the same pods, egress only, HTTPS only, to one address block.
    const jwks = optional[0]!.doc as typeof policy;
    expect(jwks.spec.podSelector).toEqual({ matchLabels: labels });
    expect(jwks.spec.policyTypes).toEqual(['Egress']);
    expect(jwks.spec.ingress).toBeUndefined();
    expect(jwks.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: expect.any(String) } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
  });

  it('the Deployment probes /readyz and /livez, runs non-root on a read-only root filesystem, with requests and limits', () => {
    const pod = one('Deployment').spec.template.spec;
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/livez');
    expect(c.startupProbe.httpGet.path).toBe('/readyz');
    for (const kind of ['requests', 'limits'])
      expect(Object.keys(c.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('the drain fits: preStop pause + SHUTDOWN_GRACE_MS < terminationGracePeriodSeconds', () => {
    const pod = one('Deployment').spec.template.spec;
    const pause = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
    const grace = Number(one('ConfigMap').data.SHUTDOWN_GRACE_MS);
    expect(pause * 1000 + grace).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
  });

  it("selectors line up: Service, PDB and HPA target the Deployment's pods; env comes from the ConfigMap and Secret", () => {
    const deployment = one('Deployment');
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    expect(one('Service').spec.selector).toEqual(labels);
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels);
    expect(one('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    const [c] = deployment.spec.template.spec.containers;
    expect(c.envFrom).toEqual([
      { configMapRef: { name: one('ConfigMap').metadata.name } },
      { secretRef: { name: one('Secret').metadata.name } },
    ]);
    expect(c.ports[0].containerPort).toBe(Number(one('ConfigMap').data.PORT));
    expect(one('HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThan(
      one('PodDisruptionBudget').spec.minAvailable,
    );
  });

  it("the ConfigMap and Secret hold only known settings, and together they pass the service's own validation in production mode", () => {
    const env = { ...one('ConfigMap').data, ...one('Secret').stringData } as Record<string, string>;
    for (const key of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(key);
    const config = loadConfig(env);
    expect(config.nodeEnv).toBe('production');
    expect(isDevelopmentMode(config.auth)).toBe(false);
    expect(config.host).toBe('0.0.0.0');
  });

  it('the replay Job is Indexed, one shard per completion: REPLAY_SHARD_COUNT equals completions, each pod writes shard-$(JOB_COMPLETION_INDEX), and it runs locked down like the Deployment', () => {
    const job = one('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [c] = pod.containers;
    expect(c.command).toEqual(['node', 'dist/src/cli/main.js', 'replay']);
    const count = c.env.find((e: { name: string }) => e.name === 'REPLAY_SHARD_COUNT');
    expect(Number(count.value)).toBe(job.spec.completions);
    const args = c.args as string[];
    const out = args[args.indexOf('--out') + 1] ?? '';
    expect(out).toContain('$(JOB_COMPLETION_INDEX)');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/data', '/tmp']));
    expect(out.startsWith('/data/')).toBe(true);
    for (const kind of ['requests', 'limits'])
      expect(Object.keys(c.resources[kind]).sort()).toEqual(['cpu', 'memory']);
  });
});
