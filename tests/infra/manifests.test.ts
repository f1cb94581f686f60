import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { lintDockerfile } from "./dockerfile-lint";
import { getPodSpec, INFRA_DIR, listContainers, readYamlDocuments, renderKustomization, type TManifest } from "./render-manifests";

const OVERLAYS = ["cpu", "gpu"] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, renderKustomization(path.join(INFRA_DIR, "k8s", "overlays", o))])) as Record<(typeof OVERLAYS)[number], TManifest[]>;
const secretExample = readYamlDocuments(path.join(INFRA_DIR, "k8s", "base", "secret.example.yaml"))[0];

function byKind(objects: TManifest[], kind: string): TManifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** The worker's --drain-timeout in seconds from its args (the CLI default is 25 s). */
function readDrainTimeoutSeconds(args: string[]): number {
  const i = args.indexOf("--drain-timeout");
  return i === -1 ? 25 : Number(args[i + 1]);
}

describe.each(OVERLAYS)("kustomize overlay %s", (overlay) => {
  const objects = rendered[overlay];

  test("renders the expected objects, all in the condense namespace", () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        "ConfigMap/condense-config",
        "Deployment/condense-web",
        `Deployment/condense-worker-${overlay}`,
        "Ingress/condense-web",
        "Job/condense-migrate",
        "Namespace/condense",
        "PodDisruptionBudget/condense-web",
        `PodDisruptionBudget/condense-worker-${overlay}`,
        `ScaledObject/condense-worker-${overlay}`,
        "Service/condense-web",
        "TriggerAuthentication/condense-postgres",
      ].sort(),
    );
    for (const o of objects) if (o.kind !== "Namespace") expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe("condense");
  });

  test("every workload runs non-root with resources, pinned images and secrets from condense-secrets", () => {
    const workloads = objects.filter((o) => getPodSpec(o));
    expect(workloads.length).toBe(3);
    for (const w of workloads) {
      const pod = getPodSpec(w);
      const where = `${w.kind}/${w.metadata.name}`;
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, where).toBe(false);
      for (const c of listContainers(w)) {
        expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext?.capabilities?.drop, where).toContain("ALL");
        expect(c.securityContext?.runAsUser ?? pod.securityContext.runAsUser, where).not.toBe(0);
        for (const kind of ["requests", "limits"]) {
          expect(c.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toBeTruthy();
          expect(c.resources?.[kind]?.memory, `${where} ${kind}.memory`).toBeTruthy();
        }
        expect(c.image, where).toMatch(/^[\w./-]+:[\w.-]+$/);
        expect(c.image, where).not.toMatch(/:latest$/);
        for (const e of c.env ?? []) {
          // A secret value written inline would end up in git.
          if (/SECRET|PASSWORD|TOKEN|DATABASE_URL|ACCESS_KEY/.test(e.name)) expect(e.valueFrom?.secretKeyRef, `${where} ${e.name}`).toBeDefined();
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name).toBe("condense-secrets");
            expect(Object.keys(secretExample.stringData)).toContain(ref.key);
          }
        }
      }
    }
  });

  test("web: liveness /api/health, readiness /api/ready, startup probe; Service, Ingress and PDB select it", () => {
    const [web] = byKind(objects, "Deployment").filter((d) => d.metadata.name === "condense-web");
    const [c] = getPodSpec(web!).containers;
    expect(c.livenessProbe.httpGet.path).toBe("/api/health");
    expect(c.readinessProbe.httpGet.path).toBe("/api/ready");
    expect(c.startupProbe.httpGet.path).toBe("/api/health");
    const labels = web!.spec.template.metadata.labels;
    expect(web!.spec.selector.matchLabels).toEqual(labels);
    const [svc] = byKind(objects, "Service");
    expect(Object.entries(svc!.spec.selector).every(([k, v]) => labels[k] === v)).toBe(true);
    expect(c.ports.map((p: any) => p.name)).toContain(svc!.spec.ports[0].targetPort);
    const [ing] = byKind(objects, "Ingress");
    expect(ing!.spec.rules[0].http.paths.map((p: any) => p.backend.service.name)).toEqual(["condense-web"]);
    const pdb = byKind(objects, "PodDisruptionBudget").find((p) => p.metadata.name === "condense-web")!;
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.minAvailable).toBeLessThan(web!.spec.replicas);
  });

  test("migrations Job runs prisma migrate deploy from the worker image", () => {
    const [job] = byKind(objects, "Job");
    const [c] = getPodSpec(job!).containers;
    expect(c.command).toEqual(["npx", "--no-install", "prisma", "migrate", "deploy"]);
    expect(c.image).toMatch(/condense-worker-cpu:/);
    expect(job!.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
  });

  test("worker: probes, drain-safe grace period, KEDA PostgreSQL scaler on the job table, PDB", () => {
    const worker = byKind(objects, "Deployment").find((d) => d.metadata.name === `condense-worker-${overlay}`)!;
    const pod = getPodSpec(worker);
    const [c] = pod.containers;
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
      expect(c[probe]?.httpGet?.path, probe).toBe("/healthz");
      expect(c.ports.find((p: any) => p.name === c[probe].httpGet.port)?.containerPort).toBe(9464);
    }
    const drainSeconds = readDrainTimeoutSeconds(c.args);
    expect(drainSeconds).toBeGreaterThan(0);
    // Handing jobs back and closing connections happen after the drain: keep at least 10 s for them.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drainSeconds + 10);

    const [so] = byKind(objects, "ScaledObject");
    expect(so!.spec.scaleTargetRef.name).toBe(worker.metadata.name);
    const [trigger] = so!.spec.triggers;
    expect(trigger.type).toBe("postgresql");
    expect(trigger.metadata.query).toMatch(/FROM "Job" WHERE state IN \('queued', 'running'\)/);
    expect(Number(trigger.metadata.targetQueryValue)).toBeGreaterThanOrEqual(1);
    const concurrency = Number(c.args[c.args.indexOf("--concurrency") + 1]);
    // targetQueryValue is jobs per pod: it must match what one pod runs at once, or KEDA over/under-provisions.
    expect(Number(trigger.metadata.targetQueryValue)).toBe(concurrency);
    const auth = byKind(objects, "TriggerAuthentication").find((a) => a.metadata.name === trigger.authenticationRef.name)!;
    expect(auth.spec.secretTargetRef).toEqual([{ parameter: "connection", name: "condense-secrets", key: "DATABASE_URL" }]);

    const pdb = byKind(objects, "PodDisruptionBudget").find((p) => p.metadata.name === worker.metadata.name)!;
    expect(pdb.spec.selector.matchLabels).toEqual(worker.spec.template.metadata.labels);

    const gpuLimit = c.resources.limits["nvidia.com/gpu"];
    if (overlay === "gpu") {
      // One job per GPU: one GPU per pod, one job per pod.
      expect(gpuLimit).toBe(1);
      expect(c.resources.requests["nvidia.com/gpu"]).toBe(1);
      expect(concurrency).toBe(1);
      expect(c.env.find((e: any) => e.name === "WORKER_EXECUTION_PROVIDER").value).toBe("cuda");
      expect(c.image).toMatch(/condense-worker-gpu:/);
      expect(pod.tolerations.some((t: any) => t.key === "nvidia.com/gpu")).toBe(true);
    } else {
      expect(gpuLimit).toBeUndefined();
      expect(c.env.find((e: any) => e.name === "WORKER_EXECUTION_PROVIDER").value).toBe("cpu");
    }
  });
});

test("every YAML file under infra/ parses", () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (/\.ya?ml$/.test(e.name)) files.push(path.join(dir, e.name));
    }
  };
  walk(INFRA_DIR);
  expect(files.length).toBeGreaterThanOrEqual(15);
  for (const f of files) expect(() => readYamlDocuments(f), f).not.toThrow();
});

test("compose: full single-host stack with ordered start-up, bucket creation, migrations and a draining worker", () => {
  const [compose] = readYamlDocuments(path.join(INFRA_DIR, "compose.yaml"));
  const s = compose.services;
  expect(Object.keys(s).sort()).toEqual(["migrate", "minio", "minio-init", "postgres", "web", "worker", "worker-gpu"]);
  expect(s.migrate.entrypoint).toEqual(["npx", "--no-install", "prisma", "migrate", "deploy"]);
  expect(s.migrate.depends_on.postgres.condition).toBe("service_healthy");
  for (const name of ["web", "worker", "worker-gpu"]) {
    expect(s[name].depends_on.migrate.condition, name).toBe("service_completed_successfully");
    expect(s[name].depends_on["minio-init"].condition, name).toBe("service_completed_successfully");
    expect(s[name].environment.DATABASE_URL, name).toMatch(/@postgres:5432\//);
    expect(s[name].environment.S3_ENDPOINT, name).toBe("http://minio:9000");
  }
  expect(s["minio-init"].command.join(" ")).toContain(`mc mb --ignore-existing local/${s.web.environment.S3_BUCKET}`);
  for (const name of ["worker", "worker-gpu"]) {
    const grace = Number(/^(\d+)s$/.exec(s[name].stop_grace_period)![1]);
    expect(grace, name).toBeGreaterThanOrEqual(readDrainTimeoutSeconds(s[name].command) + 10);
  }
  expect(s["worker-gpu"].deploy.resources.reservations.devices[0]).toMatchObject({ driver: "nvidia", count: 1, capabilities: ["gpu"] });
  for (const svc of Object.values<any>(s)) if (svc.image && !svc.build) expect(svc.image).toMatch(/:[\w.-]+$/);
});

describe("Dockerfiles", () => {
  const dockerDir = path.join(INFRA_DIR, "docker");
  const dockerfiles = readdirSync(dockerDir).filter((f) => f.endsWith(".Dockerfile"));

  test("the three images exist, each with its own .dockerignore", () => {
    expect(dockerfiles.sort()).toEqual(["web.Dockerfile", "worker-cpu.Dockerfile", "worker-gpu.Dockerfile"]);
    for (const f of dockerfiles) expect(readFileSync(path.join(dockerDir, `${f}.dockerignore`), "utf8")).toMatch(/^node_modules$/m);
  });

  test.each(["web.Dockerfile", "worker-cpu.Dockerfile", "worker-gpu.Dockerfile"])("%s passes the lint rules", (f) => {
    expect(lintDockerfile(readFileSync(path.join(dockerDir, f), "utf8"))).toEqual([]);
  });

  test("the GPU image installs onnxruntime's CUDA 12 provider on a CUDA 12 runtime base", () => {
    const text = readFileSync(path.join(dockerDir, "worker-gpu.Dockerfile"), "utf8");
    expect(text).toMatch(/ENV ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(text).toMatch(/^FROM nvidia\/cuda:12\.[\d.]+-cudnn-runtime-\S+ AS runtime$/m);
    expect(text).toMatch(/WORKER_EXECUTION_PROVIDER=cuda/);
  });

  test("the lint rules catch what they are for", () => {
    const bad = ["FROM node:latest", "ADD https://example.com/x.tgz /x", "USER root", "CMD node x"].join("\n");
    const rules = lintDockerfile(bad).map((p) => p.rule).sort();
    expect(rules).toEqual(["healthcheck", "multi-stage", "no-add-url", "non-root", "pinned-base"]);
    expect(lintDockerfile("FROM node AS a\nFROM a\nUSER app\nHEALTHCHECK CMD true").map((p) => p.rule)).toEqual(["pinned-base", "numeric-user"]);
    expect(lintDockerfile("FROM node:20@sha256:abc AS b\nFROM b\nCOPY --from=alpine /x /x\nUSER 10001\nHEALTHCHECK CMD true").map((p) => p.rule)).toEqual(["pinned-base"]);
  });
});
