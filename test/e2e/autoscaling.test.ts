// Autoscaling end to end on the local cluster's real node: metrics-server
// (scripts/cluster.d/addons.yaml) serves metrics.k8s.io from the kubelet, the
// HPA that berth makes for web reads web's cpu there, and the Deployment
// follows it. A bounded load (2 clients, at least 2 minutes, stopping by
// itself, to 127.0.0.1 only, through web's NodePort) on web's CPU endpoint
// (GET /burn) drives web over its cpu target: replicas go above `min`; after
// the load stops they come back to `min`, once the stack's short scale-down
// stabilization window has passed. The replica count over time is printed.
//
// stacks/Pulumi.staging.yaml as it is (pointed at a per-run namespace), with
// web's scaling overridden: min 2, max 4 (the node has 2 cores), the demo's
// 70 % cpu target, and a 30 s scale-down window instead of 300 s.
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as http from "http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, LocalCluster, RUN_ID, load, localCluster, newStack, progress, requireTool, stackFileConfig, teardown, until } from "./engine";

const NS = `berth-e2e-hpa-${RUN_ID}`;
const STACK = `e2e-hpa-${RUN_ID}`;
const NODE = "berth-node";
const SCALING = { min: 2, max: 4, cpuPercent: 70, scaleDownStabilizationSeconds: 30 };
/** CPU each request burns in web: 2 clients of about 13 requests a second make about 0.5 cpu, 2.5 times the 2 pods' 70 % of 100m. */
const BURN_MS = 20;
const LOAD_AT_LEAST_MS = 120_000;
let cluster: LocalCluster;
let s: E2eStack;
let url = "";

/** GET /burn on a new connection each time (kube-proxy picks a pod per connection), 127.0.0.1 only. */
function burn(target: string): Promise<{ hostname: string }> {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(target)) throw new Error(`test traffic goes to 127.0.0.1 only, not ${target}`);
    return new Promise((resolve, reject) => {
        const req = http.get(`${target}/burn?ms=${BURN_MS}`, { agent: false, timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`GET /burn: HTTP ${res.statusCode} ${body}`))));
        });
        req.on("timeout", () => req.destroy(new Error("GET /burn: no answer in 10 s")));
        req.on("error", reject);
    });
}

/** kubectl without blocking the event loop (the load's clients run on it meanwhile). */
function kubectlJson(...args: string[]): Promise<any> {
    return new Promise((resolve, reject) =>
        execFile(cluster.kubectlBin, ["--kubeconfig", cluster.kubeconfig, "--context", "berth-local", ...args, "-o", "json"], { maxBuffer: 16 * 1024 * 1024 }, (e, out) =>
            e ? reject(e) : resolve(JSON.parse(out)),
        ),
    );
}

interface Sample {
    at: number;
    load: boolean;
    /** web's pods: the Deployment's status.replicas (what the HPA set, as running pods). */
    replicas: number;
    ready: number;
    desired: number;
    cpu?: number;
}
async function sample(loadOn: boolean): Promise<Sample> {
    const [hpa, dep] = await Promise.all([kubectlJson("get", "hpa", "web", "-n", NS), kubectlJson("get", "deployment", "web", "-n", NS)]);
    const cpu = hpa.status.currentMetrics?.find((m: any) => m.resource?.name === "cpu")?.resource.current.averageUtilization;
    return { at: Date.now(), load: loadOn, replicas: dep.status.replicas ?? 0, ready: dep.status.readyReplicas ?? 0, desired: hpa.status.desiredReplicas ?? 0, cpu };
}

beforeAll(async () => {
    cluster = localCluster();
    const node = JSON.parse(cluster.kubectl("get", "node", NODE, "-o", "json"));
    expect(node.status.conditions.find((c: any) => c.type === "Ready")?.status, `node ${NODE} Ready (npm run cluster:start)`).toBe("True");
    requireTool(
        "metrics.k8s.io on the local cluster (metrics-server: the HPA reads pods' cpu there)",
        () => cluster.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods"),
        "restart the cluster (scripts/cluster stop, then start): a start deploys metrics-server and waits until it answers",
    );
    const config = stackFileConfig("staging");
    config.kubernetes = { ...(config.kubernetes as object), kubeconfig: cluster.kubeconfig, namespace: NS };
    config.services = { web: { scaling: SCALING } };
    expect(() => cluster.kubectl("get", "namespace", NS)).toThrow(/NotFound/);
    s = await newStack(STACK, config, { dbPassword: `pw-${randomBytes(12).toString("hex")}` });
});

afterAll(async () => {
    await teardown(s, cluster, NS);
});

describe("autoscaling on the local cluster's real node", () => {
    it("up: web runs its min of 2 behind an HPA with the stack's 30 s scale-down window, which reads web's cpu from metrics-server", async () => {
        const up = await s.stack.up({ onOutput: progress("hpa up") });
        expect(up.summary.result).toBe("succeeded");
        url = up.outputs.url.value;
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
        const hpa = JSON.parse(cluster.kubectl("get", "hpa", "web", "-n", NS, "-o", "json"));
        expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } });
        await until("two ready web pods", () => JSON.parse(cluster.kubectl("get", "deployment", "web", "-n", NS, "-o", "json")).status.readyReplicas === 2, 120_000);
        // The metrics pipeline reaches this HPA: it has a current cpu utilization (not <unknown>).
        await until(
            "the HPA's first cpu reading of web (metrics-server scrapes every 15 s)",
            () => JSON.parse(cluster.kubectl("get", "hpa", "web", "-n", NS, "-o", "json")).status.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined,
            180_000,
        );
        const burned = await burn(url);
        expect(burned.hostname).toMatch(/^web-/);
    });

    it("a bounded load on web's CPU endpoint raises replicas above min; after it stops they come back to min", async () => {
        const curve: Sample[] = [];
        const t0 = Date.now();
        const say = (line: string) => process.stdout.write(`${line}\n`);
        const print = (x: Sample) =>
            say(
                `[replicas] ${new Date(x.at).toISOString().slice(11, 19)} +${String(Math.round((x.at - t0) / 1000)).padStart(3)}s load ${x.load ? "on " : "off"}  web replicas ${x.replicas} (ready ${x.ready}), HPA wants ${x.desired}, cpu ${x.cpu ?? "?"}% of request`,
            );
        let loadOn = true;
        let sampling = true;
        const sampler = (async () => {
            while (sampling) {
                try {
                    const x = await sample(loadOn);
                    curve.push(x);
                    print(x);
                } catch (e) {
                    say(`[replicas] sample failed: ${(e as Error).message.split("\n")[0]}`);
                }
                await new Promise((r) => setTimeout(r, 5000));
            }
        })();
        const scaledUp = () => curve.some((x) => x.load && x.replicas > SCALING.min);
        // At least 2 minutes, and until the HPA has added pods; never past 6 minutes.
        const l = await load(burn, url, () => Date.now() - t0 >= LOAD_AT_LEAST_MS && scaledUp(), { clients: 2, min: 1, maxMs: 6 * 60_000 }).finally(() => (loadOn = false));
        const loadEnd = Date.now();
        const hosts = [...l.hosts].map(([h, n]) => `${h}: ${n}`).join(", ");
        say(`[load] ${Math.round((loadEnd - t0) / 1000)} s, ${l.sent} requests of ${BURN_MS} ms cpu, ${l.ok} answered, ${l.failed} failed; by pod: ${hosts}${l.errors.length ? `; first errors: ${l.errors.join(" | ")}` : ""}`);
        try {
            // Back to min: the 30 s window, the HPA's 15 s period and metrics-server's 15 s resolution; bounded.
            const end = Date.now() + 5 * 60_000;
            while (!(curve.length && curve[curve.length - 1].at > loadEnd && curve[curve.length - 1].replicas === SCALING.min) && Date.now() < end) {
                await new Promise((r) => setTimeout(r, 1000));
            }
        } finally {
            sampling = false;
            await sampler;
        }
        const during = curve.filter((x) => x.load);
        const after = curve.filter((x) => x.at > loadEnd);
        const peak = Math.max(...during.map((x) => x.replicas));
        say(`[replicas] min ${SCALING.min}, peak under load ${peak}, at the end ${after[after.length - 1]?.replicas}`);
        // Up: the cpu went over the target and the HPA added pods, which took requests.
        expect(Math.max(...during.map((x) => x.cpu ?? 0))).toBeGreaterThan(SCALING.cpuPercent);
        expect(peak).toBeGreaterThan(SCALING.min);
        expect(peak).toBeLessThanOrEqual(SCALING.max);
        expect(l.hosts.size, `pods that answered: ${hosts}`).toBeGreaterThan(SCALING.min);
        // Down: still above min when the load stopped, then back to min.
        expect(during[during.length - 1].replicas).toBeGreaterThan(SCALING.min);
        expect(after[after.length - 1]?.replicas).toBe(SCALING.min);
        const hpa = JSON.parse(cluster.kubectl("get", "hpa", "web", "-n", NS, "-o", "json"));
        expect(hpa.status.desiredReplicas).toBe(SCALING.min);
    });
});
