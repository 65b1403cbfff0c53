import { jest } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import request from 'supertest';
import { ConfigError } from '../src/config/config-error';
import { CONFIG_KEYS } from '../src/config/config.keys';
import { loadConfig } from '../src/config/config.loader';
import { RedisServer } from './support/redis-server';
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

/** The command of the worker's exec liveness probe. */
function workerProbeCommand(): string[] {
  const [container] = podSpec(deploymentWithRole('worker')).containers;
  const command = container.livenessProbe?.exec?.command;
  if (!command) throw new Error('the worker Deployment has no exec liveness probe');
  return command;
}

/** Runs the worker's liveness probe command as the kubelet would, in the repo (where ioredis resolves). */
function runProbe(env: Record<string, string>): Promise<number> {
  const [file, ...args] = workerProbeCommand();
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

  it('keeps JWT_SECRET, NAGARE_ADMIN_PASSWORD and DATABASE_URL in the Secret, not the ConfigMap', () => {
    const secretKeys = Object.keys(only('Secret').stringData ?? {});
    const configKeys = Object.keys(only('ConfigMap').data ?? {});

    expect(secretKeys).toEqual(expect.arrayContaining(['JWT_SECRET', 'NAGARE_ADMIN_PASSWORD', 'DATABASE_URL']));
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

  it('gives the worker its own exec liveness probe, and no HTTP port or probe', () => {
    const [worker] = podSpec(deploymentWithRole('worker')).containers;

    expect(worker.livenessProbe?.exec?.command.length).toBeGreaterThan(0);
    expect(worker.ports ?? []).toEqual([]);
    expect(probesOf(worker).filter(([, probe]) => probe.httpGet)).toEqual([]);
  });

  it('uses the worker healthcheck of docker-compose.yml, unchanged, as the worker liveness probe', () => {
    const compose = load(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8')) as {
      services: { worker: { healthcheck: { test: string[] } } };
    };
    expect(workerProbeCommand()).toEqual(compose.services.worker.healthcheck.test.slice(1));
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

  describe('worker liveness probe against a real worker process', () => {
    // A private Redis: on the shared one, other suites' connections from 127.0.0.1 would pass the probe for us.
    let redis: RedisServer;
    let dir: string;
    let database: TestDatabase;
    let worker: ServiceProcess | undefined;

    beforeAll(async () => {
      redis = await RedisServer.start();
      dir = mkdtempSync(join(tmpdir(), 'nagare-k8s-worker-'));
      database = await createTestDatabase(dir);
    });

    afterAll(async () => {
      await worker?.stop('SIGKILL');
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
      await redis?.destroy();
    });

    it('passes while the worker holds its Redis connection and fails once the worker has stopped', async () => {
      // REDIS_ADDR, as the ConfigMap sets it, for both the worker and the probe.
      const redisAddr = `127.0.0.1:${redis.port}`;
      const env = testEnv(dir, database, { NAGARE_ROLE: 'worker', REDIS_ADDR: redisAddr });
      delete env.REDIS_URL;
      worker = ServiceProcess.spawn({ env, cwd: dir });
      await waitFor(
        'the worker to log "worker started"',
        () => (/"msg":"worker started"/.test(worker!.stdout) ? true : worker!.status ? true : undefined),
        30_000,
      );
      expect({ status: worker.status, stderr: worker.stderr }).toEqual({ status: undefined, stderr: '' });

      // Bull opens its connections right after start: give the probe a few tries, as its initial delay would.
      let code = await runProbe({ REDIS_ADDR: redisAddr });
      for (let tries = 0; code !== 0 && tries < 20; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        code = await runProbe({ REDIS_ADDR: redisAddr });
      }
      expect(code).toBe(0);

      expect(await worker.stop('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
      expect(await runProbe({ REDIS_ADDR: redisAddr })).not.toBe(0);
    });
  });
});
