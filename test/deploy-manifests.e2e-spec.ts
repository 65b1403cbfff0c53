import { jest } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import request from 'supertest';
import type { AppConfig } from '../src/config/app-config';
import { ConfigError } from '../src/config/config-error';
import { CONFIG_KEYS } from '../src/config/config.keys';
import { loadConfig } from '../src/config/config.loader';
import { freePort, RedisServer } from './support/redis-server';
import { ServiceProcess, waitFor } from './support/service-process';
import { startTestApp, testEnv } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/** deploy/k8s holds the Kubernetes manifests of issue 6, item 3; these tests hold them to the real service. */
const K8S_DIR = join(process.cwd(), 'deploy', 'k8s');
const KUSTOMIZATION = 'kustomization.yaml';

jest.setTimeout(60_000);

interface EnvVar {
  name: string;
  value?: string;
}

interface HttpGetAction {
  path: string;
  port: number | string;
}

interface Probe {
  httpGet?: HttpGetAction;
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}

interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  file: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    ports?: { port: number; targetPort: number | string }[];
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const PROBE_KINDS = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/** Every Kubernetes object in deploy/k8s (all YAML files but the kustomization), tagged with its file. */
function readManifests(): Manifest[] {
  return yamlFiles()
    .filter((file) => file !== KUSTOMIZATION)
    .flatMap((file) =>
      loadAll(readFileSync(join(K8S_DIR, file), 'utf8'))
        .filter((doc) => doc !== null && doc !== undefined)
        .map((doc) => ({ ...(doc as Omit<Manifest, 'file'>), file })),
    );
}

function yamlFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
}

const manifests = readManifests();

function only(kind: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/k8s, found ${found.length}`);
  return found[0];
}

function deployments(): Manifest[] {
  return manifests.filter((manifest) => manifest.kind === 'Deployment');
}

/** The Deployment whose container sets NAGARE_ROLE to the role. */
function deploymentWithRole(role: string): Manifest {
  const found = deployments().filter((deployment) => roleOf(deployment) === role);
  if (found.length !== 1) throw new Error(`expected one Deployment with NAGARE_ROLE=${role}, found ${found.length}`);
  return found[0];
}

function podSpec(deployment: Manifest): PodSpec {
  const spec = deployment.spec?.template?.spec;
  if (!spec) throw new Error(`${deployment.metadata.name} has no pod template`);
  return spec;
}

function podLabels(deployment: Manifest): Record<string, string> {
  return deployment.spec?.template?.metadata.labels ?? {};
}

function roleOf(deployment: Manifest): string | undefined {
  const values = podSpec(deployment).containers.flatMap((container) =>
    (container.env ?? []).filter((variable) => variable.name === 'NAGARE_ROLE').map((variable) => variable.value),
  );
  return values.length === 1 ? values[0] : undefined;
}

function probesOf(container: Container): [string, Probe][] {
  return PROBE_KINDS.flatMap((kind) => (container[kind] ? [[kind, container[kind]] as [string, Probe]] : []));
}

function containers(): Container[] {
  return deployments().flatMap((deployment) => podSpec(deployment).containers);
}

/** The worker's configuration as its pod gets it: the ConfigMap, its own env, and a Secret's JWT_SECRET. */
function workerConfig(dir: string): AppConfig {
  const [worker] = podSpec(deploymentWithRole('worker')).containers;
  const env = Object.fromEntries((worker.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
  return loadConfig({ ...only('ConfigMap').data, ...env, JWT_SECRET: 'x'.repeat(32) }, dir);
}

/** The container port a probe's httpGet names, by name or by number. */
function portNumber(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((declared) => declared.name === port)?.containerPort;
}

/** The image's HEALTHCHECK command (Dockerfile), exec form. */
function imageHealthcheck(): string[] {
  const dockerfile = readFileSync(join(process.cwd(), 'Dockerfile'), 'utf8');
  const found = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
  if (!found) throw new Error('the Dockerfile has no HEALTHCHECK ... CMD [...]');
  return JSON.parse(found[1]) as string[];
}

/** Runs the image's HEALTHCHECK as Docker would inside the container, with the container's environment. */
function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [file, ...args] = imageHealthcheck();
  return new Promise((resolve) => {
    execFile(file, args, { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } }, (error) =>
      resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
    );
  });
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('lists every manifest file in kustomization.yaml, and only files that exist', () => {
    const kustomization = load(readFileSync(join(K8S_DIR, KUSTOMIZATION), 'utf8')) as { resources: string[] };
    const manifestFiles = yamlFiles().filter((file) => file !== KUSTOMIZATION);

    expect([...kustomization.resources].sort()).toEqual(manifestFiles);
    expect(manifestFiles.length).toBeGreaterThanOrEqual(5);
  });

  it('declares a ConfigMap, a Secret, two Deployments and a Service, without a namespace', () => {
    expect(manifests.map((manifest) => manifest.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Secret',
      'Service',
    ]);
    for (const manifest of manifests) expect(manifest.metadata).not.toHaveProperty('namespace');
  });

  it('sets NAGARE_ROLE=api on one Deployment and NAGARE_ROLE=worker on the other', () => {
    expect(deployments().map(roleOf).sort()).toEqual(['api', 'worker']);
  });

  it('feeds every container from the declared ConfigMap and Secret', () => {
    const configMap = only('ConfigMap').metadata.name;
    const secret = only('Secret').metadata.name;
    for (const container of containers()) {
      expect(container.envFrom).toEqual(
        expect.arrayContaining([{ configMapRef: { name: configMap } }, { secretRef: { name: secret } }]),
      );
    }
  });

  it('sets only environment variables the service reads', () => {
    const known = new Set([...CONFIG_KEYS.map((key) => key.env), 'NODE_ENV']);
    const names = [
      ...Object.keys(only('ConfigMap').data ?? {}),
      ...Object.keys(only('Secret').stringData ?? {}),
      ...containers().flatMap((container) => (container.env ?? []).map((variable) => variable.name)),
    ];

    expect(names).toEqual(expect.arrayContaining(['REDIS_ADDR', 'JWT_SECRET', 'DATABASE_URL', 'NAGARE_ROLE']));
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });

  it('trusts the ingress on the API pods (TRUST_PROXY), so the login limiter tells clients apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nagare-k8s-'));
    try {
      const [api] = podSpec(deploymentWithRole('api')).containers;
      const apiEnv = Object.fromEntries((api.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
      const env = {
        ...testEnv(dir, { url: `sqlite:${dir}/nagare.sqlite`, kind: 'sqlite', drop: async () => undefined }),
        ...only('ConfigMap').data,
        ...apiEnv,
        // What the operator's Secret holds in place of the placeholder the service refuses.
        METRICS_TOKEN: 'scrape-token-of-the-operator-0123456789',
      };
      expect(loadConfig(env, dir).server.trustProxy).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps JWT_SECRET, NAGARE_ADMIN_PASSWORD, DATABASE_URL and METRICS_TOKEN in the Secret, not the ConfigMap', () => {
    const secretKeys = Object.keys(only('Secret').stringData ?? {});
    const configKeys = Object.keys(only('ConfigMap').data ?? {});

    expect(secretKeys).toEqual(
      expect.arrayContaining(['JWT_SECRET', 'NAGARE_ADMIN_PASSWORD', 'DATABASE_URL', 'METRICS_TOKEN']),
    );
    expect(only('Secret').stringData?.DATABASE_URL).toMatch(/^postgres:\/\//);
    const secretEnv = CONFIG_KEYS.filter((key) => key.secret).map((key) => key.env);
    expect(configKeys.filter((name) => secretEnv.includes(name))).toEqual([]);
  });

  it('refuses to start the service with the placeholder secrets left unedited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nagare-k8s-'));
    try {
      const env = {
        ...only('ConfigMap').data,
        ...only('Secret').stringData,
        DATA_DIR: join(dir, 'data'),
        LOG_DIR: join(dir, 'logs'),
        NAGARE_ROLE: 'api',
      };
      let error: unknown;
      try {
        loadConfig(env, dir);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('JWT_SECRET');
      expect(problems).toContain('NAGARE_ADMIN_PASSWORD');
      expect(problems).toContain('METRICS_TOKEN');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('points every probe at a port the container declares', () => {
    const checked: string[] = [];
    for (const container of containers()) {
      const names = (container.ports ?? []).map((port) => port.name);
      const numbers = (container.ports ?? []).map((port) => port.containerPort);
      for (const [kind, probe] of probesOf(container)) {
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        if (port === undefined) continue;
        checked.push(`${container.name}.${kind}`);
        if (typeof port === 'number') expect(numbers).toContain(port);
        else expect(names).toContain(port);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['api.livenessProbe', 'api.readinessProbe']));
  });

  it('gives the API liveness /health/live and readiness /health/ready on container port 8080', () => {
    const [api] = podSpec(deploymentWithRole('api')).containers;
    expect(api.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(api.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect((api.ports ?? []).map((port) => port.containerPort)).toEqual([8080]);
  });

  it('routes the Service to the API pods on 8080 and never to the worker pods', () => {
    const service = only('Service');
    const selector = service.spec?.selector as Record<string, string>;
    const selects = (labels: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    const api = deploymentWithRole('api');
    const [apiContainer] = podSpec(api).containers;
    const targetPort = service.spec?.ports?.[0].targetPort;

    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(selects(podLabels(api))).toBe(true);
    expect(selects(podLabels(deploymentWithRole('worker')))).toBe(false);
    expect(service.spec?.ports?.[0].port).toBe(80);
    expect(
      (apiContainer.ports ?? []).find((port) => port.name === targetPort || port.containerPort === targetPort)
        ?.containerPort,
    ).toBe(8080);
  });

  it('probes the worker over HTTP on the port its configuration serves: live, ready and startup, no exec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nagare-k8s-'));
    try {
      const [worker] = podSpec(deploymentWithRole('worker')).containers;
      const served = workerConfig(dir).worker.probePort;
      const probes = Object.fromEntries(
        probesOf(worker).map(([kind, probe]) => [
          kind,
          {
            path: probe.httpGet?.path,
            port: probe.httpGet && portNumber(worker, probe.httpGet.port),
            exec: probe.exec,
          },
        ]),
      );

      expect(served).toBeGreaterThan(0);
      expect(probes).toEqual({
        livenessProbe: { path: '/health/live', port: served, exec: undefined },
        readinessProbe: { path: '/health/ready', port: served, exec: undefined },
        startupProbe: { path: '/health/live', port: served, exec: undefined },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves the Compose worker to the image's HEALTHCHECK, which asks a worker's probe port", () => {
    const compose = load(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8')) as {
      services: { worker: { healthcheck?: unknown } };
    };
    expect(compose.services.worker.healthcheck).toBeUndefined();
    expect(imageHealthcheck().join(' ')).toMatch(/WORKER_PROBE_PORT/);
  });

  it('lets docker compose scale the worker: no fixed name or host port, role worker on the shared PostgreSQL and Redis', () => {
    type Environment = Record<string, string> & { '<<'?: Record<string, string> };
    type ComposeService = { container_name?: string; ports?: string[]; environment: Environment };
    const compose = load(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, ComposeService>;
    };
    // js-yaml keeps a YAML merge key (`<<: *nagare-env`) as a plain key; Compose merges it.
    const environment = ({ environment: { '<<': merged, ...own } }: ComposeService) => ({ ...merged, ...own });
    const { api, worker } = compose.services;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(environment(worker).NAGARE_ROLE).toBe('worker');
    expect(environment(worker).DATABASE_URL).toMatch(/^postgres:\/\//);
    for (const shared of ['REDIS_ADDR', 'DATABASE_URL', 'JWT_SECRET']) {
      expect(environment(worker)[shared]).toBe(environment(api)[shared]);
    }
  });

  it('lets every pod outlive the worker shutdown timeout after SIGTERM', () => {
    const shutdownMs = Number(only('ConfigMap').data?.WORKER_SHUTDOWN_TIMEOUT_MS);
    expect(shutdownMs).toBe(25_000);
    for (const deployment of deployments()) {
      expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThan(shutdownMs / 1000);
    }
    expect(podSpec(deploymentWithRole('worker')).terminationGracePeriodSeconds).toBe(35);
  });

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  // `kubectl apply --dry-run=client` still needs an API server for discovery; `kubectl kustomize` needs none.
  (hasKubectl ? it : it.skip)('builds with kubectl kustomize into the same five objects', () => {
    const built = spawnSync('kubectl', ['kustomize', K8S_DIR], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const kinds = loadAll(built.stdout).map((doc) => (doc as { kind: string }).kind);
    expect(kinds.sort()).toEqual(manifests.map((manifest) => manifest.kind).sort());
  });

  describe('against the real app', () => {
    it('answers 200 on every HTTP probe path the manifests use', async () => {
      const paths = [
        ...new Set(
          containers().flatMap((container) => probesOf(container).flatMap(([, probe]) => probe.httpGet?.path ?? [])),
        ),
      ].sort();
      expect(paths).toEqual(['/health/live', '/health/ready']);

      const testApp = await startTestApp();
      try {
        for (const path of paths) {
          const res = await request(testApp.http).get(path);
          expect({ path, status: res.status }).toEqual({ path, status: 200 });
        }
      } finally {
        await testApp.close();
      }
    });
  });

  describe('worker probes against a real worker process', () => {
    // A private Redis, stopped mid-test.
    let redis: RedisServer;
    let dir: string;
    let database: TestDatabase;
    let worker: ServiceProcess | undefined;
    let probePort: number;
    const [container] = podSpec(deploymentWithRole('worker')).containers;
    /** GETs a probe of the manifest on the worker, within the probe's own timeout, as the kubelet does. */
    const kubeletGet = async (kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe') => {
      const probe = container[kind]!;
      const res = await fetch(`http://127.0.0.1:${probePort}${probe.httpGet!.path}`, {
        signal: AbortSignal.timeout(((probe as { timeoutSeconds?: number }).timeoutSeconds ?? 1) * 1000),
      });
      return res.status;
    };

    beforeAll(async () => {
      redis = await RedisServer.start();
      dir = mkdtempSync(join(tmpdir(), 'nagare-k8s-worker-'));
      database = await createTestDatabase(dir);
      probePort = await freePort();
      const env = testEnv(dir, database, {
        NAGARE_ROLE: 'worker',
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        WORKER_PROBE_PORT: String(probePort),
      });
      worker = ServiceProcess.spawn({ env, cwd: dir });
      await waitFor(
        'the worker to say where it answers its probes',
        () => (/worker probes on/.test(worker!.stdout) ? true : worker!.status ? true : undefined),
        30_000,
      );
      expect({ status: worker.status, stderr: worker.stderr }).toEqual({ status: undefined, stderr: '' });
    });

    afterAll(async () => {
      await worker?.stop('SIGKILL');
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
      await redis?.destroy();
    });

    it("passes the manifests' three probes and the image's HEALTHCHECK with Redis up", async () => {
      let ready = await kubeletGet('readinessProbe');
      for (let tries = 0; ready !== 200 && tries < 20; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        ready = await kubeletGet('readinessProbe');
      }
      expect({ ready, live: await kubeletGet('livenessProbe'), startup: await kubeletGet('startupProbe') }).toEqual({
        ready: 200,
        live: 200,
        startup: 200,
      });
      expect(await runHealthcheck({ NAGARE_ROLE: 'worker', WORKER_PROBE_PORT: String(probePort) })).toBe(0);
    });

    it('keeps liveness and the HEALTHCHECK passing with Redis down, while readiness fails', async () => {
      await redis.stop();
      try {
        let ready = await kubeletGet('readinessProbe');
        for (let tries = 0; ready !== 503 && tries < 20; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          ready = await kubeletGet('readinessProbe');
        }
        expect(ready).toBe(503);
        expect(await kubeletGet('livenessProbe')).toBe(200);
        expect(await runHealthcheck({ NAGARE_ROLE: 'worker', WORKER_PROBE_PORT: String(probePort) })).toBe(0);
      } finally {
        await redis.resume();
      }
    });

    it('fails the HEALTHCHECK once the worker has stopped', async () => {
      expect(await worker!.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
      expect(await runHealthcheck({ NAGARE_ROLE: 'worker', WORKER_PROBE_PORT: String(probePort) })).not.toBe(0);
    });
  });
});

/** The Prometheus scrapes of issue 15, item 10: what the manifests and Compose give Prometheus, held to the service. */
describe('Prometheus scraping /metrics as deployed', () => {
  const MONITORING_DIR = join(process.cwd(), 'deploy', 'k8s-monitoring');
  const PROMETHEUS_DIR = join(process.cwd(), 'deploy', 'prometheus');
  const TOKEN = 'scrape-token-from-the-secret-0123456789';

  interface ScrapeJob {
    metrics_path: string;
    authorization: { type: string; credentials_file: string };
    static_configs?: { targets: string[] }[];
    relabel_configs?: { source_labels: string[]; regex: string; action: string }[];
  }
  interface ServiceMonitor {
    kind: string;
    spec: {
      selector: { matchLabels: Record<string, string> };
      endpoints: {
        port: string;
        path: string;
        authorization: { type: string; credentials: { name: string; key: string } };
      }[];
    };
  }
  type ComposeFile = {
    services: Record<string, { environment?: Record<string, string>; secrets?: string[]; volumes?: string[] }>;
    secrets: Record<string, { environment?: string }>;
  };
  const readYaml = (...path: string[]) => load(readFileSync(join(...path), 'utf8'));
  const service = only('Service') as Manifest & { metadata: { labels: Record<string, string> } };
  const servicePort = (service.spec?.ports?.[0] as { name?: string } | undefined)?.name;

  let t: Awaited<ReturnType<typeof startTestApp>>;
  beforeAll(async () => {
    // The production API as the manifests configure it, with the token its Secret would hold.
    t = await startTestApp({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t?.close());

  /** Scrapes the real app the way a job described by (type, path) does, with and without the credentials. */
  async function scrapeAs(type: string, path: string): Promise<{ withToken: number; anonymous: number }> {
    const withToken = await request(t.http).get(path).set('Authorization', `${type} ${TOKEN}`);
    const anonymous = await request(t.http).get(path);
    expect(withToken.text).toContain('nagare_queue_jobs');
    return { withToken: withToken.status, anonymous: anonymous.status };
  }

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  (hasKubectl ? it : it.skip)(
    'builds deploy/k8s-monitoring with kubectl kustomize: the five objects and a ServiceMonitor',
    () => {
      const built = spawnSync('kubectl', ['kustomize', MONITORING_DIR], { encoding: 'utf8' });
      expect({ status: built.status, stderr: built.stderr }).toEqual({ status: 0, stderr: '' });
      const kinds = loadAll(built.stdout).map((doc) => (doc as { kind: string }).kind);
      expect(kinds.sort()).toEqual([...manifests.map((manifest) => manifest.kind), 'ServiceMonitor'].sort());
    },
  );

  it('kustomizes deploy/k8s plus a ServiceMonitor on the API Service, with the bearer token of the Secret', async () => {
    const kustomization = readYaml(MONITORING_DIR, KUSTOMIZATION) as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(['../k8s', 'servicemonitor.yaml']);
    const monitor = readYaml(MONITORING_DIR, 'servicemonitor.yaml') as ServiceMonitor;
    expect(monitor.kind).toBe('ServiceMonitor');
    for (const [label, value] of Object.entries(monitor.spec.selector.matchLabels)) {
      expect({ label, value: service.metadata.labels[label] }).toEqual({ label, value });
    }
    const [endpoint] = monitor.spec.endpoints;
    expect(endpoint.port).toBe(servicePort);
    expect(endpoint.authorization.credentials).toEqual({ name: only('Secret').metadata.name, key: 'METRICS_TOKEN' });
    expect(await scrapeAs(endpoint.authorization.type, endpoint.path)).toEqual({ withToken: 200, anonymous: 401 });
  });

  it('gives a Prometheus without the Operator a job that keeps only the API pods and sends the token', async () => {
    const [job] = readYaml(PROMETHEUS_DIR, 'kubernetes-scrape-job.yml') as ScrapeJob[];
    const [keep] = job.relabel_configs ?? [];
    const joined = (labels: Record<string, string>, port: string) =>
      keep.source_labels
        .map((source) =>
          source === '__meta_kubernetes_pod_container_port_name'
            ? port
            : labels[source.replace('__meta_kubernetes_pod_label_', '').replace(/_/g, '.').replace('.io.', '.io/')],
        )
        .join(';');
    const matches = (value: string) => new RegExp(`^(?:${keep.regex})$`).test(value);
    const [api] = podSpec(deploymentWithRole('api')).containers;
    expect(keep.action).toBe('keep');
    expect(matches(joined(podLabels(deploymentWithRole('api')), api.ports![0].name!))).toBe(true);
    expect(matches(joined(podLabels(deploymentWithRole('worker')), api.ports![0].name!))).toBe(false);
    expect(job.authorization.credentials_file).toMatch(/\/METRICS_TOKEN$/);
    expect(await scrapeAs(job.authorization.type, job.metrics_path)).toEqual({ withToken: 200, anonymous: 401 });
  });

  it('runs Prometheus in Compose on the api with the METRICS_TOKEN the api itself gets, as a secret file', async () => {
    const compose = readYaml(process.cwd(), 'docker-compose.yml') as ComposeFile;
    const { prometheus } = compose.services;
    const [job] = (readYaml(PROMETHEUS_DIR, 'prometheus.yml') as { scrape_configs: ScrapeJob[] }).scrape_configs;
    const env = (compose.services.api.environment as { '<<'?: Record<string, string> })['<<'] ?? {};

    expect(env.METRICS_TOKEN).toBe('${METRICS_TOKEN:-}');
    expect(job.static_configs?.[0].targets).toEqual(['api:8080']);
    expect(prometheus.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const secret = job.authorization.credentials_file.replace(/^\/run\/secrets\//, '');
    expect(prometheus.secrets).toEqual([secret]);
    expect(compose.secrets[secret]).toEqual({ environment: 'METRICS_TOKEN' });
    expect(await scrapeAs(job.authorization.type, job.metrics_path)).toEqual({ withToken: 200, anonymous: 401 });
  });

  it("loads the alert rules in Compose's Prometheus, mounted beside its configuration", () => {
    const { prometheus } = (readYaml(process.cwd(), 'docker-compose.yml') as ComposeFile).services;
    const config = readYaml(PROMETHEUS_DIR, 'prometheus.yml') as { rule_files?: string[] };
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.volumes).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
    expect(existsSync(join(PROMETHEUS_DIR, 'alerts.yml'))).toBe(true);
  });
});

describe('Docker Compose (docker-compose.yml)', () => {
  type Environment = Record<string, string> & { '<<'?: Record<string, string> };
  type ComposeService = { build?: unknown; image?: string; pull_policy?: string; environment?: Environment };
  const text = readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8');
  const compose = load(text) as { services: Record<string, ComposeService> };
  // js-yaml keeps a YAML merge key (`<<: *nagare-env`) as a plain key; Compose merges it.
  const environment = ({ environment: { '<<': merged, ...own } = {} }: ComposeService) => ({ ...merged, ...own });

  it('requires no variable, so `docker compose up -d redis` runs without JWT_SECRET (Compose interpolates it all)', () => {
    expect(text).not.toMatch(/\$\{[A-Z0-9_]+:?\?/);
  });

  it('passes WEBHOOK_SECRET, CREDENTIALS_KEY, METRICS_TOKEN, SYNC_INTERVAL_SECONDS, SYNC_PUSH_GROUP and TRUST_PROXY through to the api and the worker', () => {
    const names = ['WEBHOOK_SECRET', 'CREDENTIALS_KEY', 'CREDENTIALS_PREVIOUS_KEY', 'METRICS_TOKEN'];
    for (const name of [...names, 'SYNC_INTERVAL_SECONDS', 'SYNC_PUSH_GROUP', 'TRUST_PROXY', 'JWT_SECRET']) {
      for (const service of [compose.services.api, compose.services.worker]) {
        expect(environment(service)[name]).toMatch(new RegExp(`^\\$\\{${name}(:-[^}]*)?\\}$`));
      }
    }
  });

  it('logs to stdout only in Compose and in the ConfigMap: LOG_DIR is empty, which the service takes as no file', () => {
    expect(environment(compose.services.api).LOG_DIR).toBe('');
    expect(environment(compose.services.worker).LOG_DIR).toBe('');
    expect(only('ConfigMap').data?.LOG_DIR).toBe('');
    const config = loadConfig({ LOG_DIR: only('ConfigMap').data?.LOG_DIR, JWT_SECRET: 'x'.repeat(32) }, tmpdir());
    expect(config.log.dir).toBeUndefined();
  });

  it('builds the image once: the api builds it, the worker runs it and never pulls it', () => {
    const building = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
    expect(building.map(([name]) => name)).toEqual(['api']);
    expect(compose.services.worker.image).toBe(compose.services.api.image);
    expect(compose.services.worker.pull_policy).toBe('never');
  });
});
