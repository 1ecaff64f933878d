import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { readServiceSettings } from "../../src/config.js";
import { DEFAULTS } from "../../src/config/defaults.js";
import { parseDockerfile, stageEnv } from "./dockerfile.js";
import { importGraph } from "./imports.js";
import { configVariables, readYaml, readYamlDocuments, SDK_VARIABLE } from "./manifests.js";

// No cluster here: the manifests are validated against the Kubernetes API's schemas (the
// kubernetes-models package, generated from Kubernetes' OpenAPI spec: types, required fields,
// enums), then checked against each other and against the service's configuration and routes.
const DIR = "deploy/kubernetes";
const documents = readYamlDocuments(DIR);
const byKind = <T>(kind: string) => {
  const found = documents.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const configMap = byKind<ConfigMap>("ConfigMap");
const deployment = byKind<Deployment>("Deployment");
const service = byKind<Service>("Service");
const pdb = byKind<PodDisruptionBudget>("PodDisruptionBudget");
const hpa = byKind<HorizontalPodAutoscaler>("HorizontalPodAutoscaler");
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;
const podLabels = deployment.spec!.template.metadata!.labels!;
const runtimeStage = parseDockerfile(readFileSync("Dockerfile", "utf8")).stages.at(-1)!;

/** The container's environment as the pod gets it: the image's ENV, the ConfigMap, then `env` (secrets stood in for). */
function podEnv(): Record<string, string> {
  const env: Record<string, string> = { ...stageEnv(runtimeStage), ...configMap.data };
  const stand: Record<string, string> = {
    TIM_SDKAPPID: "1400000042",
    TIM_SECRET_KEY: "a-tencent-secret-key",
    AUTH_JWT_SECRET: "a-jwt-secret-of-more-than-thirty-two-bytes",
  };
  for (const variable of container.env ?? []) env[variable.name] = variable.value ?? stand[variable.name]!;
  return env;
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("Kubernetes manifests", () => {
  it("are the objects kustomization.yaml lists, each valid against the Kubernetes API schema", () => {
    const kustomization = readYaml<{ resources: string[] }>(join(DIR, "kustomization.yaml"));
    expect(kustomization.resources.map((file) => readYaml<{ kind: string }>(join(DIR, file)).kind).sort()).toEqual(
      documents.map((d) => d.kind).sort(),
    );
    expect(documents.map((d) => `${String(d.apiVersion)} ${String(d.kind)}`).sort()).toEqual([
      "apps/v1 Deployment",
      "autoscaling/v2 HorizontalPodAutoscaler",
      "policy/v1 PodDisruptionBudget",
      "v1 ConfigMap",
      "v1 Service",
    ]);
    new ConfigMap(configMap).validate();
    new Deployment(deployment).validate();
    new Service(service).validate();
    new PodDisruptionBudget(pdb).validate();
    new HorizontalPodAutoscaler(hpa).validate();
    // The schema check can fail: a port given as text is refused.
    const broken = structuredClone(deployment) as unknown as { spec: { template: { spec: Deployment["spec"] } } };
    (
      broken.spec.template.spec as unknown as { containers: { ports: { containerPort: unknown }[] }[] }
    ).containers[0]!.ports[0]!.containerPort = "http";
    expect(() => new Deployment(broken as unknown as Deployment).validate()).toThrow(/containerPort must be integer/);
  });

  it("probe readiness on /readyz and liveness on /healthz, at the port the service listens on", () => {
    const port = container.ports!.find((p) => p.name === "http")!;
    expect(port.containerPort).toBe(DEFAULTS.service.port);
    expect(Number(configMap.data!.PORT)).toBe(port.containerPort);
    expect(Number(stageEnv(runtimeStage).PORT)).toBe(port.containerPort);
    expect(container.readinessProbe!.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.livenessProbe!.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(service.spec!.ports).toEqual([{ name: "http", port: DEFAULTS.service.port, targetPort: "http" }]);
  });

  it("give the drain (preStop pause, then SHUTDOWN_TIMEOUT_MS) less time than the grace period before SIGKILL", () => {
    const { shutdownTimeoutMs } = readServiceSettings(podEnv());
    const [command, seconds] = container.lifecycle!.preStop!.exec!.command!;
    expect(command).toBe("sleep");
    const needed = Number(seconds) + shutdownTimeoutMs / 1000;
    expect(pod.terminationGracePeriodSeconds!).toBeGreaterThan(needed);
  });

  it("select the Deployment's pods with the Service, the PodDisruptionBudget and the Deployment itself", () => {
    expect(matches(deployment.spec!.selector.matchLabels!, podLabels)).toBe(true);
    expect(matches(service.spec!.selector!, podLabels)).toBe(true);
    expect(matches(pdb.spec!.selector!.matchLabels!, podLabels)).toBe(true);
    // Never blocks every eviction: at least one pod may go while minReplicas run.
    expect(Number(pdb.spec!.maxUnavailable)).toBeGreaterThanOrEqual(1);
    expect(Number(pdb.spec!.maxUnavailable)).toBeLessThan(hpa.spec!.minReplicas!);
  });

  it("scale the Deployment on CPU with an autoscaling/v2 HPA, and REPLICAS equals its maximum", () => {
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata!.name,
    });
    expect(hpa.spec!.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: expect.any(Number) } },
      },
    ]);
    // Utilization is a share of the request: the container must request CPU.
    expect(container.resources!.requests!.cpu).toBeTruthy();
    expect(container.resources!.limits!.memory).toBeTruthy();
    // The HPA owns the count; a replicas field would reset it on every apply.
    expect(deployment.spec!.replicas).toBeUndefined();
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    // While Redis is away each pod takes TIM_RATE_LIMIT ÷ REPLICAS: with REPLICAS at the maximum,
    // no scale the HPA can reach exceeds the cap.
    expect(readServiceSettings(podEnv()).scaleOut.replicas).toBe(hpa.spec!.maxReplicas);
  });

  it("set only variables the service reads, which its reader accepts, with secrets from a Secret only", () => {
    const known = configVariables();
    const names = [...Object.keys(configMap.data!), ...(container.env ?? []).map((e) => e.name)];
    expect(names.filter((name) => !known.has(name) && !SDK_VARIABLE.test(name))).toEqual([]);
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata!.name } }]);
    const secrets = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
    expect(secrets.map((e) => [e.name, e.valueFrom!.secretKeyRef!.key])).toEqual([
      ["TIM_SDKAPPID", "TIM_SDKAPPID"],
      ["TIM_SECRET_KEY", "TIM_SECRET_KEY"],
      ["AUTH_JWT_SECRET", "AUTH_JWT_SECRET"],
    ]);
    expect((container.env ?? []).filter((e) => e.value !== undefined)).toEqual([]);
    expect(Object.keys(configMap.data!)).not.toContain("TIM_SECRET_KEY");
    expect(Object.keys(configMap.data!)).not.toContain("AUTH_JWT_SECRET");
    expect(documents.map((d) => d.kind)).not.toContain("Secret");
    expect(readServiceSettings(podEnv())).toMatchObject({
      nodeEnv: "production",
      port: DEFAULTS.service.port,
      tencent: { usesEmulatorCredentials: false, sdkAppId: 1400000042 },
      scaleOut: { redisUrl: "redis://redis:6379" },
    });
  });

  it("run as the image's non-root user on a read-only root filesystem, writable /tmp only", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const user = runtimeStage.instructions.find((i) => i.keyword === "USER")!.args.split(":");
    expect([pod.securityContext!.runAsUser, pod.securityContext!.runAsGroup]).toEqual(user.map(Number));
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
  });

  it("can keep the root filesystem read-only: the only code that writes files is the emulator's optional state file", () => {
    // The service's modules (the embedded emulator included); writing anywhere else would need a volume.
    const { files } = importGraph(".", ["dist/src/main.js", "dist/src/telemetry/preload.js"]);
    const writers = [...files].filter((file) =>
      /\b(writeFile|writeFileSync|appendFile|createWriteStream|mkdir|mkdtemp|rename|copyFile)\b/.test(
        readFileSync(file, "utf8"),
      ),
    );
    // src/emulator/store.ts writes TIM_EMULATOR_DATA, which is never set outside development.
    expect(writers).toEqual(["dist/src/emulator/store.js"]);
    expect(Object.keys(configMap.data!)).not.toContain("TIM_EMULATOR_DATA");
  });
});
