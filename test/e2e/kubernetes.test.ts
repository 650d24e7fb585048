// The demo app on the local cluster (scripts/cluster: a real API server and a
// real node whose pods run; test/e2e/running.test.ts checks what they do),
// deployed by the real Pulumi engine through the Automation API. Everything
// checked is read from the API server, not from Pulumi's outputs.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, LocalCluster, RUN_ID, branchOfProgram, localCluster, newStack, progress, run, stackFileConfig, stateFilesHolding, teardown, until } from "./engine";

const NS = `berth-e2e-${RUN_ID}`;
const STACK = `e2e-k8s-${RUN_ID}`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
let cluster: LocalCluster;
let kubeconfig = "";
const kubectl = (...args: string[]) => cluster.kubectl(...args);
const getJson = (kind: string) => cluster.items(kind, NS);
const names = (items: any[]) => items.map((i) => i.metadata.name).sort();

beforeAll(() => {
    cluster = localCluster();
    kubeconfig = cluster.kubeconfig;
});

describe("kubernetes target: staging-like stack on a local API server", () => {
    let s: E2eStack;
    let pvcUid = "";
    // Every engine event of this stack's ups, previews, refresh and destroy: scanned for the secrets at the end.
    const engineEvents: string[] = [];
    const onEvent = (e: EngineEvent) => engineEvents.push(JSON.stringify(e));

    beforeAll(async () => {
        // Nothing of this run's name may exist before it starts.
        expect(() => kubectl("get", "namespace", NS)).toThrow(/NotFound/);
        s = await newStack(
            STACK,
            {
                target: "kubernetes",
                kubernetes: { kubeconfig, context: "berth-local", namespace: NS, serviceType: "NodePort", registry: "127.0.0.1:5000" },
            },
            { dbPassword: PASSWORD },
        );
    });

    afterAll(() => teardown(s, cluster, NS));

    it("up converges with the provider's real awaits", async () => {
        const up = await s.stack.up({ onEvent, onOutput: progress("up") });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.target.value).toBe("kubernetes");
        expect(up.summary.resourceChanges?.create).toBeGreaterThanOrEqual(20);
    });

    it("the API server holds the spec's objects", async () => {
        // Pods run on the real node: the HPA scales web from the Deployment's 1 to its minimum of 2
        // within seconds of the up (until then a refresh reports web's Deployment and Service as unhealthy).
        await until("the HPA's minimum of 2 ready web pods", () => getJson("deployments").find((d) => d.metadata.name === "web")?.status.readyReplicas === 2, 120_000);
        const deps = getJson("deployments");
        expect(names(deps)).toEqual(["db", "redis", "web", "worker"]);
        for (const d of deps) {
            const available = d.status.conditions.find((c: any) => c.type === "Available");
            expect(available?.status, `deployment ${d.metadata.name} Available`).toBe("True");
        }
        const web = deps.find((d) => d.metadata.name === "web");
        const c = web.spec.template.spec.containers[0];
        expect(c.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8080, scheme: "HTTP" });
        expect(c.readinessProbe.periodSeconds).toBe(2);
        expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
        // Secrets are autonamed (a new value is a new Secret, so the pods roll to it).
        expect(c.env.find((e: any) => e.name === "PGPASSWORD")).toEqual({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: expect.stringMatching(/^demo-web-secret-[a-z0-9]+$/), key: "PGPASSWORD" } } });
        expect(web.spec.template.spec.initContainers.map((i: any) => i.name)).toEqual(["wait-for-db", "wait-for-redis"]);
        const db = deps.find((d) => d.metadata.name === "db");
        expect(db.spec.strategy.type).toBe("Recreate");

        const hpa = getJson("horizontalpodautoscalers.autoscaling");
        expect(hpa.map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas])).toEqual([["web", 2, 6]]);

        const pvcs = getJson("persistentvolumeclaims");
        expect(pvcs.map((p) => [p.metadata.name, p.status.phase, p.spec.resources.requests.storage])).toEqual([["pgdata", "Bound", "1Gi"]]);
        pvcUid = pvcs[0].metadata.uid;

        expect(names(getJson("networkpolicies"))).toEqual(["allow-dns", "default-deny", "net-backend", "net-frontend", "web-published"]);
        const svcs = getJson("services");
        expect(svcs.map((x) => [x.metadata.name, x.spec.type]).sort()).toEqual([
            ["db", "ClusterIP"],
            ["redis", "ClusterIP"],
            ["web", "ClusterIP"],
            ["web-published", "NodePort"],
        ]);
        const endpoints = JSON.parse(kubectl("get", "endpoints", "web", "-n", NS, "-o", "json"));
        expect(endpoints.subsets?.[0]?.addresses?.length ?? 0, "web's Service has ready endpoints").toBeGreaterThanOrEqual(1);
        expect(names(getJson("secrets")).map((n) => n.replace(/-[a-z0-9]+$/, ""))).toEqual(["demo-db-secret", "demo-web-secret", "demo-worker-secret"]);
    });

    it("runs the images berth built and pushed to the stack's registry, by the digest the registry holds", async () => {
        const registry = "http://127.0.0.1:5000";
        const catalog = (await (await fetch(`${registry}/v2/_catalog`)).json()) as { repositories: string[] };
        expect(catalog.repositories).toEqual(expect.arrayContaining(["berth-db", "berth-redis", "berth-web", "berth-worker"]));
        for (const d of getJson("deployments")) {
            const name = d.metadata.name;
            const images = d.spec.template.spec.containers.map((c: any) => c.image);
            const m = /^127\.0\.0\.1:5000\/berth-([a-z]+)@(sha256:[0-9a-f]{64})$/.exec(images[0]);
            expect(m, `${name} runs ${images[0]}`).not.toBeNull();
            expect(m![1]).toBe(name);
            expect(new Set(images)).toEqual(new Set([images[0]]));
            // Its wait-for init containers run berth's checker image (never the service's own), by a digest the registry holds.
            for (const init of d.spec.template.spec.initContainers ?? []) {
                const c = /^127\.0\.0\.1:5000\/berth\/checker@(sha256:[0-9a-f]{64})$/.exec(init.image);
                expect(c, `${name}'s ${init.name} runs ${init.image}`).not.toBeNull();
                const r = await fetch(`${registry}/v2/berth/checker/manifests/${c![1]}`, { method: "HEAD", headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } });
                expect(r.status, `the registry holds ${init.image}`).toBe(200);
            }
            // The tag is the build context's content hash; the registry resolves it to the digest the Deployment runs.
            const tags = ((await (await fetch(`${registry}/v2/berth-${name}/tags/list`)).json()) as { tags: string[] }).tags;
            expect(tags.length, `tags of berth-${name}`).toBeGreaterThanOrEqual(1);
            const digests = await Promise.all(
                tags.map(async (t) => {
                    const r = await fetch(`${registry}/v2/berth-${name}/manifests/${t}`, {
                        method: "HEAD",
                        headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
                    });
                    expect(r.status).toBe(200);
                    return r.headers.get("docker-content-digest");
                }),
            );
            expect(digests, `the registry holds ${name}'s running digest under a tag`).toContain(m![2]);
        }
    });

    it("keeps the secret out of Pulumi's state in plain text", async () => {
        const state = JSON.stringify(await s.stack.exportStack());
        expect(state).not.toContain(PASSWORD);
        // ...while the cluster does get the value.
        const secret = getJson("secrets").find((x) => x.metadata.name.startsWith("demo-web-secret-"));
        expect(Buffer.from(secret.data.PGPASSWORD, "base64").toString()).toBe(PASSWORD);
        // ...and keeps it encrypted at rest: etcd holds the Secret sealed by the
        // API server's secretbox key (scripts/cluster), never the value.
        const stored = await cluster.etcdValue(`/registry/secrets/${NS}/${secret.metadata.name}`);
        expect(stored, "the Secret in etcd").toBeDefined();
        expect(stored!.subarray(0, 26).toString()).toBe("k8s:enc:secretbox:v1:key1:");
        expect(stored!.includes(PASSWORD)).toBe(false);
        expect(stored!.includes(Buffer.from(PASSWORD).toString("base64"))).toBe(false);
    });

    it("previews no changes after up", async () => {
        const pre = await s.stack.preview({ expectNoChanges: true, onEvent, onOutput: progress("preview") });
        expect(pre.changeSummary.create ?? 0).toBe(0);
        expect(pre.changeSummary.update ?? 0).toBe(0);
    });

    it("refreshes with no changes", async () => {
        const ref = await s.stack.refresh({ expectNoChanges: true, onEvent, onOutput: progress("refresh") });
        expect(ref.summary.result).toBe("succeeded");
    });

    it("an edit previews as in-place updates of exactly the web Deployment and its HPA, and applies", async () => {
        const before = getJson("deployments").find((d) => d.metadata.name === "web").metadata.uid;
        await s.stack.setConfig("berth:services", { value: JSON.stringify({ web: { scaling: { min: 3, max: 6, cpuPercent: 70 }, env: { FEATURE_GREETING: "hello" } } }) });
        const events: EngineEvent[] = [];
        await s.stack.preview({ onEvent: (e) => (events.push(e), onEvent(e)), onOutput: progress("preview edit") });
        const changed = events
            .map((e) => e.resourcePreEvent?.metadata)
            .filter((m) => m && !["same", "read"].includes(m.op))
            .map((m) => [m!.op, m!.type, m!.urn.split("::").pop()])
            .sort();
        expect(changed).toEqual([
            ["update", "kubernetes:apps/v1:Deployment", "demo-web-deployment"],
            ["update", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "demo-web-hpa"],
        ]);
        const up = await s.stack.up({ onEvent, onOutput: progress("up edit") });
        expect(up.summary.resourceChanges).toMatchObject({ update: 2 });
        const web = getJson("deployments").find((d) => d.metadata.name === "web");
        expect(web.metadata.uid).toBe(before); // updated in place, not replaced
        expect(web.spec.template.spec.containers[0].env).toContainEqual({ name: "FEATURE_GREETING", value: "hello" });
        expect(getJson("horizontalpodautoscalers.autoscaling")[0].spec.minReplicas).toBe(3);
    });

    it("a new secret value is a new Secret, and the pods that use it roll to it", async () => {
        const web = () => getJson("deployments").find((d) => d.metadata.name === "web");
        const ref = (d: any) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === "PGPASSWORD").valueFrom.secretKeyRef.name as string;
        const before = web();
        const rsBefore = names(getJson("replicasets")).filter((n) => n.startsWith("web-"));
        await s.stack.setConfig("berth:dbPassword", { value: NEW_PASSWORD, secret: true });
        await s.stack.up({ onEvent, onOutput: progress("new secret") });
        const after = web();
        expect(ref(after)).not.toBe(ref(before));
        expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
        // A new ReplicaSet: the pods roll.
        expect(names(getJson("replicasets")).filter((n) => n.startsWith("web-") && !rsBefore.includes(n)).length).toBe(1);
        const secrets = getJson("secrets");
        expect(secrets.map((x) => x.metadata.name)).not.toContain(ref(before));
        const current = secrets.find((x) => x.metadata.name === ref(after));
        expect(Buffer.from(current.data.PGPASSWORD, "base64").toString()).toBe(NEW_PASSWORD);
        expect(JSON.stringify(await s.stack.exportStack())).not.toContain(NEW_PASSWORD);
    });

    it("a change that would replace the PVC fails before anything changes", async () => {
        const before = JSON.stringify(getJson("persistentvolumeclaims").map((p) => [p.metadata.uid, p.spec.accessModes]));
        // What only the engine changes (controllers such as the HPA change replicas, never these).
        const engineOwned = () =>
            JSON.stringify([
                getJson("deployments").map((d) => [d.metadata.name, d.spec.template]),
                ["networkpolicies", "secrets", "services", "horizontalpodautoscalers.autoscaling"].map((k) => getJson(k).map((o) => [o.metadata.name, o.metadata.uid, o.spec ?? o.data])),
            ]);
        const objects = engineOwned();
        await s.stack.setConfig("berth:volumes", { value: JSON.stringify({ pgdata: { access: "ReadWriteMany" } }) });
        await expect(s.stack.up({ onEvent, onOutput: progress("up data loss") })).rejects.toThrow(
            /berth: stack "e2e-k8s-[a-z0-9]+" refuses to lose data:\s+- volume pgdata: access ReadWriteOnce -> ReadWriteMany would replace the volume and lose its data; to allow it, set volumes\.pgdata\.allowDataLoss: true/,
        );
        expect(JSON.stringify(getJson("persistentvolumeclaims").map((p) => [p.metadata.uid, p.spec.accessModes]))).toBe(before);
        expect(engineOwned()).toBe(objects);
        await s.stack.removeConfig("berth:volumes");
        await s.stack.preview({ expectNoChanges: true, onEvent, onOutput: progress("preview after revert") });
    });

    it("destroy leaves only the retained namespace and PVC, and a second up adopts the PVC", async () => {
        const d = await s.stack.destroy({ onEvent, onOutput: progress("destroy") });
        expect(d.summary.result).toBe("succeeded");
        expect(names(getJson("deployments"))).toEqual([]);
        expect(names(getJson("services"))).toEqual([]);
        expect(names(getJson("networkpolicies"))).toEqual([]);
        expect(names(getJson("horizontalpodautoscalers.autoscaling"))).toEqual([]);
        expect(names(getJson("secrets"))).toEqual([]);
        expect(getJson("persistentvolumeclaims").map((p) => [p.metadata.name, p.metadata.uid])).toEqual([["pgdata", pvcUid]]);

        const up = await s.stack.up({ onEvent, onOutput: progress("up again") });
        expect(up.summary.result).toBe("succeeded");
        expect(getJson("persistentvolumeclaims").map((p) => [p.metadata.name, p.metadata.uid, p.status.phase])).toEqual([["pgdata", pvcUid, "Bound"]]);
        // Neither secret value used by this suite is in plain text in any state file the engine kept (checkpoints, .bak, history, backups), nor in the outputs.
        for (const secret of [PASSWORD, NEW_PASSWORD]) expect(stateFilesHolding(STACK, secret)).toEqual([]);
        expect(JSON.stringify(await s.stack.outputs())).not.toContain(PASSWORD);
        // Nor in any engine event (the stream the engine logs), base64 included; the count shows the stream was seen.
        expect(engineEvents.length).toBeGreaterThan(100);
        for (const secret of [PASSWORD, NEW_PASSWORD]) {
            expect(engineEvents.filter((e) => e.includes(secret) || e.includes(Buffer.from(secret).toString("base64"))).length, "engine events holding a secret").toBe(0);
        }
    });
});

describe("kubernetes target: prod's own stack config, with protected volumes", () => {
    const PROD_NS = `berth-e2e-prod-${RUN_ID}`;
    const PROD_STACK = `e2e-prod-${RUN_ID}`;
    let s: E2eStack;

    beforeAll(async () => {
        // stacks/Pulumi.prod.yaml as it is, pointed at the local cluster and a per-run namespace.
        const config = stackFileConfig("prod");
        config.kubernetes = { ...(config.kubernetes as object), kubeconfig, context: "berth-local", namespace: PROD_NS };
        expect(config.protectVolumes).toBe(true);
        expect(() => kubectl("get", "namespace", PROD_NS)).toThrow(/NotFound/);
        s = await newStack(PROD_STACK, config, { dbPassword: PASSWORD });
    });

    afterAll(() => teardown(s, cluster, PROD_NS, () => run("pulumi", ["state", "unprotect", "--all", "--yes", "--stack", PROD_STACK], s.env)));

    it("deploys prod's replicas, resources and scaling", async () => {
        await s.stack.up({ onOutput: progress("prod up") });
        const get = (kind: string) => cluster.items(kind, PROD_NS);
        const hpa = get("horizontalpodautoscalers.autoscaling");
        expect(hpa.map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas])).toEqual([["web", 3, 10]]);
        const deps = get("deployments");
        expect(deps.find((d) => d.metadata.name === "worker").spec.replicas).toBe(2);
        expect(deps.find((d) => d.metadata.name === "db").spec.template.spec.containers[0].resources).toEqual({
            requests: { cpu: "250m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        });
    });

    it("the engine refuses to delete the protected volume", async () => {
        await expect(s.stack.destroy({ onOutput: progress("prod destroy (refused)") })).rejects.toThrow(
            /demo-pgdata-pvc.*(protected|protect)/s,
        );
        const pvcs = JSON.parse(kubectl("get", "pvc", "-n", PROD_NS, "-o", "json")).items as any[];
        expect(pvcs.map((p) => [p.metadata.name, p.status.phase])).toEqual([["pgdata", "Bound"]]);
    });
});

describe("kubernetes target: a service whose replicas each own a copy of a volume (StatefulSet)", () => {
    const STS_NS = `berth-e2e-sts-${RUN_ID}`;
    const STS_STACK = `e2e-sts-${RUN_ID}`;
    let s: E2eStack;
    let branch = "";

    beforeAll(async () => {
        // The demo with redis run twice, each replica on its own `cache` volume.
        branch = branchOfProgram((dir) => {
            const demo = path.join(dir, "services/demo.ts");
            const src = fs
                .readFileSync(demo, "utf8")
                .replace('        redis: {\n            build: { context: "services/redis" },', '        redis: {\n            build: { context: "services/redis" },\n            replicas: 2,\n            volumes: [{ volume: "cache", path: "/data" }],')
                .replace('volumes: { pgdata: { size: "1Gi" } },', 'volumes: { pgdata: { size: "1Gi" }, cache: { size: "256Mi", perReplica: true } },');
            expect(src).toContain("perReplica: true");
            expect(src).toContain('volumes: [{ volume: "cache", path: "/data" }]');
            fs.writeFileSync(demo, src);
        });
        expect(() => kubectl("get", "namespace", STS_NS)).toThrow(/NotFound/);
        s = await newStack(
            STS_STACK,
            { target: "kubernetes", kubernetes: { kubeconfig, context: "berth-local", namespace: STS_NS, serviceType: "NodePort", registry: "127.0.0.1:5000" } },
            { dbPassword: PASSWORD },
            branch,
        );
    });

    afterAll(async () => {
        await teardown(s, cluster, STS_NS);
        fs.rmSync(branch, { recursive: true, force: true });
    });

    it("up makes redis a StatefulSet whose replicas each get a bound claim, and previews no changes after", async () => {
        const up = await s.stack.up({ onOutput: progress("sts up") });
        expect(up.summary.result).toBe("succeeded");
        const get = (kind: string) => cluster.items(kind, STS_NS);
        expect(names(get("deployments"))).toEqual(["db", "web", "worker"]);
        const sts = get("statefulsets.apps");
        expect(names(sts)).toEqual(["redis"]);
        expect(sts[0].spec.replicas).toBe(2);
        expect(sts[0].status.readyReplicas).toBe(2);
        expect(sts[0].spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
        expect(sts[0].spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.resources.requests.storage])).toEqual([["cache", "256Mi"]]);
        const pvcs = get("persistentvolumeclaims").map((p) => [p.metadata.name, p.status.phase]);
        expect(pvcs.sort()).toEqual([
            ["cache-redis-0", "Bound"],
            ["cache-redis-1", "Bound"],
            ["pgdata", "Bound"],
        ]);
        const pods = get("pods").filter((p) => p.metadata.labels["app.kubernetes.io/name"] === "redis");
        expect(pods.map((p) => [p.metadata.name, p.spec.volumes.find((v: any) => v.name === "cache")?.persistentVolumeClaim?.claimName]).sort()).toEqual([
            ["redis-0", "cache-redis-0"],
            ["redis-1", "cache-redis-1"],
        ]);
        const preview = await s.stack.preview({ expectNoChanges: true, onOutput: progress("sts preview") });
        expect(preview.changeSummary.same).toBeGreaterThan(20);
    });

    it("destroy keeps every replica's claim", async () => {
        await s.stack.destroy({ onOutput: progress("sts destroy") });
        const get = (kind: string) => cluster.items(kind, STS_NS);
        expect(names(get("statefulsets.apps"))).toEqual([]);
        expect(names(get("persistentvolumeclaims"))).toEqual(["cache-redis-0", "cache-redis-1", "pgdata"]);
    });
});
