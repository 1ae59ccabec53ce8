import fs from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, isDevelopmentMode, loadConfig } from '../../src/config';
import { ROOT } from '../support/app';

/**
 * deploy/kubernetes/ checked against the Kubernetes 1.27 JSON schemas that kubernetes-models
 * ships (compiled with ajv), then for the properties this service relies on.
 */
const DIR = path.join(ROOT, 'deploy', 'kubernetes');
type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>;

const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

const manifests: { file: string; doc: Manifest }[] = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
      expect(d.errors).toEqual([]);
      return { file, doc: d.toJS() as Manifest };
    }),
  );
// Manifests are untyped YAML; the schema check above is what types them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const one = (kind: string): any => manifests.find((m) => m.doc.kind === kind)!.doc;

describe('deploy/kubernetes manifests', () => {
  it('has a Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap, Secret and the replay Job', () => {
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Job',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
  });

  it.each(manifests.map((m) => [m.file, m.doc] as const))(
    '%s validates against its Kubernetes schema',
    (_f, doc) => {
      const Model = models[`${doc.apiVersion}/${doc.kind}`];
      expect(Model).toBeDefined();
      expect(() => {
        new Model!(doc as never).validate();
      }).not.toThrow();
    },
  );

  it('the schema check is real: a wrong type in a manifest is rejected', () => {
    const broken = structuredClone(one('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => {
      new Deployment(broken as never).validate();
    }).toThrow(/containerPort must be integer/);
  });

  it('the Deployment probes /readyz and /livez, runs non-root on a read-only root filesystem, with requests and limits', () => {
    const pod = one('Deployment').spec.template.spec;
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
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
