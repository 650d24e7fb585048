// The staging stack on the local cluster's real node (scripts/cluster:
// kubelet, containerd, CNI, kube-proxy, CoreDNS, the local-path provisioner):
// its pods really run, so this checks what only running containers can show.
// The app answers through its NodePort Service on 127.0.0.1, readiness and
// liveness checks act, a `healthy` dependency holds its dependents, and the
// database's rows outlive its pod, a rollout, and destroy + up; rolling
// updates of web fail no request; NetworkPolicies (kube-router) keep a pod
// outside the backend network from db and redis.
//
// stacks/Pulumi.staging.yaml as it is (pointed at a per-run namespace), on a
// branch of the demo whose worker has one more check: a liveness check that
// fails once /tmp/wedged exists, so that a test can wedge it from inside.
// All traffic goes to 127.0.0.1; every wait is bounded.
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, LocalCluster, RUN_ID, branchOfProgram, load, localCluster, newStack, progress, stackFileConfig, teardown, until } from "./engine";

const NS = `berth-e2e-run-${RUN_ID}`;
const STACK = `e2e-run-${RUN_ID}`;
const NODE = "berth-node";
let cluster: LocalCluster;
let s: E2eStack;
let branch = "";
let url = "";

/** GET on a new connection each time (kube-proxy picks an endpoint per connection), 127.0.0.1 only. */
function visit(target: string): Promise<{ visits: number; hostname: string }> {
    if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(target)) throw new Error(`test traffic goes to 127.0.0.1 only, not ${target}`);
    return new Promise((resolve, reject) => {
        const req = http.get(target, { agent: false, timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`GET ${target}: HTTP ${res.statusCode} ${body}`))));
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${target}: no answer in 10 s`)));
        req.on("error", reject);
    });
}

const pods = (service: string) => cluster.items("pods", NS).filter((p) => p.metadata.labels["app.kubernetes.io/name"] === service && !p.metadata.deletionTimestamp);
const ready = (p: any) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ?? false;
const readyPods = (service: string) => pods(service).filter(ready);
const exec = (pod: string, ...cmd: string[]) => cluster.kubectl("exec", "-n", NS, pod, "--", ...cmd);
/** SQL in the db pod, over its local socket (trust: no password on the command line). */
const sql = (query: string) => exec(readyPods("db")[0].metadata.name, "psql", "-h", "/tmp", "-U", "app", "-d", "app", "-tAc", query).trim();

beforeAll(async () => {
    cluster = localCluster();
    const node = JSON.parse(cluster.kubectl("get", "node", NODE, "-o", "json"));
    expect(node.status.conditions.find((c: any) => c.type === "Ready")?.status, `node ${NODE} Ready (npm run cluster:start)`).toBe("True");
    branch = branchOfProgram((dir) => {
        const demo = path.join(dir, "services/demo.ts");
        const anchor = '            health: { readiness: { command: ["bash", "-c", "test $(( $(date +%s) - $(stat -c %Y /tmp/worker-alive) )) -lt 10"], intervalSeconds: 5 } },';
        const src = fs.readFileSync(demo, "utf8");
        expect(src).toContain(anchor);
        fs.writeFileSync(
            demo,
            src.replace(
                anchor,
                anchor.replace(" } },", ' }, liveness: { command: ["bash", "-c", "test ! -e /tmp/wedged"], intervalSeconds: 2, retries: 2 } },'),
            ),
        );
    });
    const config = stackFileConfig("staging");
    config.kubernetes = { ...(config.kubernetes as object), kubeconfig: cluster.kubeconfig, namespace: NS };
    expect(() => cluster.kubectl("get", "namespace", NS)).toThrow(/NotFound/);
    s = await newStack(STACK, config, { dbPassword: `pw-${randomBytes(12).toString("hex")}` }, branch);
});

afterAll(async () => {
    await teardown(s, cluster, NS);
    if (branch) fs.rmSync(branch, { recursive: true, force: true });
});

describe("kubernetes target on a real node: the staging stack's pods run", () => {
    it("up converges with every pod running on the real node, and the URL is a NodePort on 127.0.0.1", async () => {
        const up = await s.stack.up({ onOutput: progress("run up") });
        expect(up.summary.result).toBe("succeeded");
        url = up.outputs.url.value;
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
        // The HPA brings web to its minimum of 2.
        await until("two ready web pods", () => readyPods("web").length === 2, 120_000);
        for (const svc of ["db", "redis", "web", "worker"]) {
            for (const p of pods(svc)) {
                expect(p.spec.nodeName, `${p.metadata.name}'s node`).toBe(NODE);
                expect(p.status.phase, `${p.metadata.name}'s phase`).toBe("Running");
            }
        }
    });

    it("the containers run as berth's security context says: seccomp RuntimeDefault, no new privileges, no capabilities", () => {
        for (const svc of ["db", "redis", "web", "worker"]) {
            const status = exec(readyPods(svc)[0].metadata.name, "cat", "/proc/1/status");
            const field = (k: string) => new RegExp(`^${k}:\\s*(\\S+)`, "m").exec(status)?.[1];
            expect([svc, field("Seccomp"), field("NoNewPrivs"), field("CapEff")]).toEqual([svc, "2", "1", "0000000000000000"]);
        }
    });

    it("web answers on 127.0.0.1 from both pods, counts visits in Postgres, and the worker processes the jobs", async () => {
        const webPods = readyPods("web").map((p) => p.metadata.name).sort();
        const seen = new Set<string>();
        const counts: number[] = [];
        for (let i = 0; i < 60 && seen.size < 2; i++) {
            const v = await visit(url);
            seen.add(v.hostname);
            counts.push(v.visits);
        }
        // A pod's hostname is its name: both pods answered.
        expect([...seen].sort()).toEqual(webPods);
        for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]);
        expect(Number(sql("SELECT count(*) FROM visits"))).toBe(counts[counts.length - 1]);
        // Each visit queued a job in Redis; the worker moves every one into Postgres.
        await until("the worker to process every job", () => Number(sql("SELECT count(*) FROM jobs_done")) >= counts.length, 60_000);
    });

    it("NetworkPolicies are enforced (kube-router): only backend members reach db and redis; the published port stays open", async () => {
        // An outsider: web's own image and security context, in the same namespace, but member of no berth network.
        const web = readyPods("web")[0];
        const outsider = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "outsider", namespace: NS, labels: { "berth.dev/e2e": "outsider" } },
            spec: {
                securityContext: web.spec.securityContext,
                containers: [{ name: "c", image: web.spec.containers[0].image, command: ["sleep", "600"], securityContext: web.spec.containers[0].securityContext }],
                terminationGracePeriodSeconds: 0,
            },
        };
        const file = path.join(branch, "outsider.json");
        fs.writeFileSync(file, JSON.stringify(outsider));
        cluster.kubectl("apply", "-f", file);
        cluster.kubectl("wait", "-n", NS, "--for=condition=Ready", "pod/outsider", "--timeout=90s");
        const dbIp = readyPods("db")[0].status.podIP;
        const redisIp = readyPods("redis")[0].status.podIP;
        /** Whether a TCP connection from inside a pod opens within 5 s (bash's /dev/tcp: no tool needed in the image). */
        const opens = (pod: string, host: string, port: number) => {
            try {
                return exec(pod, "timeout", "5", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port} && echo open`).includes("open");
            } catch {
                return false;
            }
        };
        const checks: [string, string, string, number, boolean][] = [
            // [from, pod, to, port, expected]
            ["web (frontend, backend)", web.metadata.name, "db", 5432, true],
            ["web (frontend, backend)", web.metadata.name, "redis", 6379, true],
            ["web (frontend, backend)", web.metadata.name, dbIp, 5432, true],
            ["outsider (no network)", "outsider", "db", 5432, false],
            ["outsider (no network)", "outsider", "redis", 6379, false],
            ["outsider (no network)", "outsider", dbIp, 5432, false],
            ["outsider (no network)", "outsider", redisIp, 6379, false],
        ];
        const seen = checks.map(([from, pod, to, port]) => [from, to, port, opens(pod, to, port)] as const);
        for (const [from, to, port, open] of seen) process.stdout.write(`[isolation] ${from} -> ${to}:${port}: ${open ? "reachable" : "unreachable"}\n`);
        // The outsider is otherwise networked: it resolves names (the allow-dns policy), so what stops it is the policy.
        const dbService = cluster.items("services", NS).find((x) => x.metadata.name === "db");
        expect(exec("outsider", "getent", "hosts", "db")).toContain(dbService.spec.clusterIP);
        expect(seen.map(([from, to, port, open]) => [from, to, port, open])).toEqual(checks.map(([from, , to, port, want]) => [from, to, port, want]));
        // Published ports stay reachable from outside the cluster.
        expect((await visit(url)).visits).toBeGreaterThan(0);
        cluster.kubectl("delete", "pod", "-n", NS, "outsider", "--wait=true", "--timeout=60s");
    });

    it("readiness gates traffic: a pod whose check fails gets no requests until it passes again", async () => {
        const [drained, other] = readyPods("web").map((p) => p.metadata.name);
        exec(drained, "touch", "/tmp/drain");
        await until(`${drained} unready`, () => !ready(pods("web").find((p) => p.metadata.name === drained)), 30_000);
        // ...and out of the Service's ready endpoints, which kube-proxy programs within a second or two.
        // The URL is the NodePort of web-published (peers use web's ClusterIP Service): both must drop it.
        const ip = pods("web").find((p) => p.metadata.name === drained).status.podIP;
        const readyIps = (service: string) => (JSON.parse(cluster.kubectl("get", "endpoints", service, "-n", NS, "-o", "json")).subsets ?? []).flatMap((x: any) => (x.addresses ?? []).map((a: any) => a.ip));
        const inEndpoints = () => ["web", "web-published"].map((svc) => readyIps(svc).includes(ip));
        await until(`${drained} out of web's and web-published's ready endpoints`, () => inEndpoints().every((x) => !x), 30_000);
        await new Promise((r) => setTimeout(r, 3000));
        const hosts = new Set<string>();
        for (let i = 0; i < 30; i++) hosts.add((await visit(url)).hostname);
        expect([...hosts]).toEqual([other]);
        exec(drained, "rm", "/tmp/drain");
        await until(`${drained} ready again`, () => readyPods("web").some((p) => p.metadata.name === drained), 30_000);
        // Back in both Services' ready endpoints, and kube-proxy given the same time to program it as above.
        await until(`${drained} back in web's and web-published's ready endpoints`, () => inEndpoints().every((x) => x), 30_000);
        await new Promise((r) => setTimeout(r, 3000));
        for (let i = 0; i < 60 && !hosts.has(drained); i++) hosts.add((await visit(url)).hostname);
        expect(hosts.has(drained), `${drained} answers again`).toBe(true);
    });

    it("three rolling updates of web (a new image, an env var, both) under 4 clients fail no request", async () => {
        const server = path.join(branch, "services/web/server.js");
        const changes: [string, () => Promise<void>][] = [
            ["a new image", async () => fs.appendFileSync(server, "// rollout 1\n")],
            ["an env var", () => s.stack.setConfig("berth:services", { value: JSON.stringify({ web: { env: { ROLLOUT: "2" } } }) })],
            [
                "a new image and an env var",
                async () => {
                    fs.appendFileSync(server, "// rollout 3\n");
                    await s.stack.setConfig("berth:services", { value: JSON.stringify({ web: { env: { ROLLOUT: "3" } } }) });
                },
            ],
        ];
        for (const [what, change] of changes) {
            const before = new Set(readyPods("web").map((p) => p.metadata.name));
            await change();
            let updated = false;
            const during = load(visit, url, () => updated, { clients: 4, min: 300, maxMs: 8 * 60_000 });
            try {
                await s.stack.up({ onOutput: progress(`run rollout: ${what}`) });
            } finally {
                updated = true;
            }
            const l = await during;
            const hosts = [...l.hosts].map(([h, n]) => `${h}: ${n}`).join(", ");
            console.log(`[rolling update: ${what}] ${l.sent} requests, ${l.ok} answered, ${l.failed} failed; by pod: ${hosts}${l.errors.length ? `; first errors: ${l.errors.join(" | ")}` : ""}`);
            expect(l.failed, l.errors.join("\n")).toBe(0);
            expect(l.sent).toBeGreaterThanOrEqual(300);
            // The old pods are gone, and new ones answered.
            const after = readyPods("web").map((p) => p.metadata.name);
            expect(after.filter((n) => before.has(n))).toEqual([]);
            expect(after.some((n) => l.hosts.has(n)), `a new pod (${after.join(", ")}) answered`).toBe(true);
        }
    });

    it("a liveness check that fails inside a pod makes the kubelet restart its container", async () => {
        const [worker] = readyPods("worker");
        const restarts = () => pods("worker").find((p) => p.metadata.name === worker.metadata.name)?.status.containerStatuses[0].restartCount ?? 0;
        const before = restarts();
        exec(worker.metadata.name, "touch", "/tmp/wedged");
        await until("the worker's container restarted", () => restarts() > before, 60_000);
        // A restarted container starts from its image: no /tmp/wedged, so it stays up and becomes ready.
        await until("the worker ready again", () => readyPods("worker").some((p) => p.metadata.name === worker.metadata.name), 60_000);
        const events = cluster.kubectl("get", "events", "-n", NS, "--field-selector", `involvedObject.name=${worker.metadata.name}`, "-o", "json");
        expect(JSON.parse(events).items.some((e: any) => /Liveness probe failed/.test(e.message))).toBe(true);
    });

    it("a `healthy` dependency holds a dependent's start until it is ready", async () => {
        cluster.kubectl("scale", "deployment/db", "-n", NS, "--replicas=0");
        try {
            // Not even a terminating one: while it stops (its 5 s preStop) it still serves, and
            // kube-proxy sends a Service's connections to serving terminating pods when no other is ready.
            const anyDb = () => cluster.items("pods", NS).filter((p) => p.metadata.labels["app.kubernetes.io/name"] === "db");
            await until("no db pod, not even a terminating one", () => anyDb().length === 0, 90_000);
            const before = new Set(pods("web").map((p) => p.metadata.name));
            cluster.kubectl("delete", "pod", "-n", NS, [...before][0], "--wait=true");
            // The ReplicaSet replaces it; its wait-for-db init container keeps it from starting.
            const fresh = () => pods("web").find((p) => !before.has(p.metadata.name));
            await until("a new web pod", () => fresh()?.status.initContainerStatuses !== undefined, 60_000);
            const name = fresh()!.metadata.name;
            await new Promise((r) => setTimeout(r, 15_000));
            const held = pods("web").find((p) => p.metadata.name === name)!;
            expect(held.status.initContainerStatuses[0].name).toBe("wait-for-db");
            expect(held.status.initContainerStatuses[0].state.running, "wait-for-db still waiting after 15 s").toBeDefined();
            expect(held.status.containerStatuses[0].state.waiting?.reason).toBe("PodInitializing");
            cluster.kubectl("scale", "deployment/db", "-n", NS, "--replicas=1");
            await until(`${name} ready`, () => readyPods("web").some((p) => p.metadata.name === name), 180_000);
            const started = pods("web").find((p) => p.metadata.name === name)!;
            const dbReady = Date.parse(readyPods("db")[0].status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime);
            const waited = Date.parse(started.status.initContainerStatuses[0].state.terminated.finishedAt);
            // Kubernetes' times are whole seconds.
            expect(waited).toBeGreaterThanOrEqual(dbReady - 1000);
        } finally {
            cluster.kubectl("scale", "deployment/db", "-n", NS, "--replicas=1");
            await until("db ready", () => readyPods("db").length === 1, 120_000);
        }
        await s.stack.preview({ expectNoChanges: true, onOutput: progress("run preview") });
    });

    it("rows written survive deleting the db pod, a rollout of db, and destroy + a second up (the retained claim adopted)", async () => {
        const marker = `row-${RUN_ID}`;
        sql(`CREATE TABLE IF NOT EXISTS e2e_marker (v text); INSERT INTO e2e_marker VALUES ('${marker}')`);
        const claim = () => cluster.items("persistentvolumeclaims", NS).map((p) => [p.metadata.name, p.metadata.uid, p.status.phase]);
        const claimBefore = claim();
        expect(claimBefore).toEqual([["pgdata", expect.any(String), "Bound"]]);

        const first = readyPods("db")[0].metadata.name;
        cluster.kubectl("delete", "pod", "-n", NS, first, "--wait=true");
        await until("a new db pod ready", () => readyPods("db").some((p) => p.metadata.name !== first), 120_000);
        expect(sql("SELECT v FROM e2e_marker")).toBe(marker);

        // A rollout through berth: a changed env var is a new pod template.
        const second = readyPods("db")[0].metadata.name;
        await s.stack.setConfig("berth:services", { value: JSON.stringify({ db: { env: { E2E_ROLLOUT: RUN_ID } } }) });
        await s.stack.up({ onOutput: progress("run rollout") });
        // When up returns, db's rollout is over: one pod, the new one, ready, and
        // nothing of the old one left (db has a volume: a Recreate rollout, which
        // the provider's own await left at "scaled to 0").
        const dbPods = cluster.items("pods", NS).filter((p) => p.metadata.labels["app.kubernetes.io/name"] === "db");
        expect(dbPods.map((p) => ({ replaced: p.metadata.name !== second, ready: ready(p), terminating: p.metadata.deletionTimestamp !== undefined }))).toEqual([
            { replaced: true, ready: true, terminating: false },
        ]);
        expect(sql("SELECT v FROM e2e_marker")).toBe(marker);
        const visits = Number(sql("SELECT count(*) FROM visits"));

        await s.stack.destroy({ onOutput: progress("run destroy") });
        expect(claim()).toEqual(claimBefore);
        const again = await s.stack.up({ onOutput: progress("run up again") });
        expect(claim()).toEqual(claimBefore);
        await until("db ready after the second up", () => readyPods("db").length === 1, 120_000);
        expect(sql("SELECT v FROM e2e_marker")).toBe(marker);
        // The app counts on from where it was.
        const v = await visit(again.outputs.url.value);
        expect(v.visits).toBe(visits + 1);
    });
});
