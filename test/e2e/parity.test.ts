// Live parity: the demo's one spec deployed by the real engine to both
// targets at once (a dev-like stack on the local Docker engine, a
// staging-like stack on the local cluster), then read back from the LIVE
// objects (docker inspect; the API server), not from Pulumi's state or
// inputs: both must mean the same services, replica counts, published ports,
// health checks, volumes and mounts, networks (and which are internal), and
// who may reach whom.
import { randomBytes } from "crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demo } from "../../services/demo";
import * as fs from "fs";
import { E2E_PUBLISH_PORT, E2eStack, LocalCluster, RUN_ID, branchPublishingE2ePort, localCluster, newStack, progress, requirePortFree, requireTool, run, teardown, teardownDocker } from "./engine";

const DOCKER_STACK = `e2e-par-d-${RUN_ID}`;
const K8S_STACK = `e2e-par-k-${RUN_ID}`;
const NS = `berth-e2e-par-${RUN_ID}`;
const PREFIX = `berth-${DOCKER_STACK}-`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;

interface Meaning {
    replicas: number;
    published: number[];
    health?: { kind: string; interval: number; timeout: number; retries: number; startPeriod: number };
    mounts: string[];
    networks: string[];
}
interface Live {
    services: Record<string, Meaning>;
    volumes: string[];
    /** network -> internal */
    networks: Record<string, boolean>;
    /** "a -> b" for every pair of services where a may open a connection to b. */
    reach: string[];
}

// An http or tcp check runs berth's checker (components/checker.ts): its wget or its nc.
const kindOf = (test: string) => (test.startsWith("CMD /.berth/busybox wget ") ? "http" : test.startsWith("CMD /.berth/busybox nc ") ? "tcp" : "command");
const pairs = (svcs: string[]) => svcs.flatMap((a) => svcs.filter((b) => b !== a).map((b) => [a, b] as const));

function dockerLive(): Live {
    const ids = run("docker", ["ps", "-q", "--filter", `label=berth.dev/stack=${DOCKER_STACK}`]).split("\n").filter(Boolean);
    const all = JSON.parse(run("docker", ["inspect", ...ids])) as any[];
    const ns = (n: number) => n / 1e9;
    const services: Record<string, Meaning> = {};
    const replicasOf = (svc: string) => all.filter((c) => c.Config.Labels["berth.dev/service"] === svc && c.Config.Labels["berth.dev/role"] !== "load-balancer");
    const names = [...new Set(all.map((c) => c.Config.Labels["berth.dev/service"] as string))].sort();
    for (const svc of names) {
        const reps = replicasOf(svc);
        const c = reps[0];
        const lb = all.find((x) => x.Config.Labels["berth.dev/service"] === svc && x.Config.Labels["berth.dev/role"] === "load-balancer");
        const hc = c.Config.Healthcheck;
        services[svc] = {
            replicas: reps.length,
            published: lb ? Object.values(lb.HostConfig.PortBindings as Record<string, { HostPort: string }[]>).flat().map((b) => Number(b.HostPort)) : [],
            health: hc && { kind: kindOf(hc.Test.join(" ")), interval: ns(hc.Interval), timeout: ns(hc.Timeout), retries: hc.Retries, startPeriod: ns(hc.StartPeriod ?? 0) },
            mounts: (c.Mounts as any[]).filter((m) => m.Type === "volume").map((m) => `${m.Name.replace(PREFIX, "")}:${m.Destination}`).sort(),
            networks: Object.keys(c.NetworkSettings.Networks).map((n) => n.replace(PREFIX, "")).sort(),
        };
    }
    const volumes = run("docker", ["volume", "ls", "-q", "--filter", `label=berth.dev/stack=${DOCKER_STACK}`]).split("\n").filter(Boolean).map((v) => v.replace(PREFIX, "")).sort();
    const netIds = run("docker", ["network", "ls", "-q", "--filter", `label=berth.dev/stack=${DOCKER_STACK}`]).split("\n").filter(Boolean);
    const networks = Object.fromEntries((JSON.parse(run("docker", ["network", "inspect", ...netIds])) as any[]).map((n) => [n.Name.replace(PREFIX, ""), n.Internal as boolean]));
    // On Docker a container reaches another when they share a network (the generated
    // load balancer publishes on the host only, which no container reaches).
    const reach = pairs(names)
        .filter(([a, b]) => services[a].networks.some((n) => services[b].networks.includes(n)))
        .map(([a, b]) => `${a} -> ${b}`);
    return { services, volumes, networks, reach };
}

type Labels = Record<string, string>;
const selects = (sel: { matchLabels?: Labels; matchExpressions?: unknown[] } | undefined, labels: Labels) => {
    if (sel?.matchExpressions?.length) throw new Error("matchExpressions: this reader knows matchLabels only");
    return Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
};

function k8sLive(cluster: LocalCluster): Live {
    const items = (kind: string) => cluster.items(kind, NS);
    const workloads = [...items("deployments"), ...items("statefulsets")];
    const hpas = items("horizontalpodautoscalers.autoscaling");
    const svcObjs = items("services");
    const policies = items("networkpolicies");
    const services: Record<string, Meaning> = {};
    const podLabels: Record<string, Labels> = {};
    for (const w of workloads) {
        const name = w.metadata.name as string;
        const pod = w.spec.template;
        const c = pod.spec.containers[0];
        const p = c.readinessProbe ?? c.startupProbe ?? c.livenessProbe;
        const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === name);
        const svc = svcObjs.find((s) => s.metadata.name === `${name}-published`);
        const claims = Object.fromEntries((pod.spec.volumes ?? []).map((v: any) => [v.name, v.persistentVolumeClaim?.claimName]));
        podLabels[name] = pod.metadata.labels;
        services[name] = {
            // An autoscaled service runs the HPA's minimum when idle; Docker runs that many.
            replicas: hpa ? hpa.spec.minReplicas : w.spec.replicas,
            published: svc ? svc.spec.ports.map((x: any) => x.port) : [],
            health: p && {
                kind: p.httpGet ? "http" : p.tcpSocket ? "tcp" : "command",
                interval: p.periodSeconds,
                timeout: p.timeoutSeconds,
                retries: p.failureThreshold,
                startPeriod: p.initialDelaySeconds ?? 0,
            },
            mounts: (c.volumeMounts ?? []).filter((m: any) => claims[m.name]).map((m: any) => `${claims[m.name]}:${m.mountPath}`).sort(),
            networks: Object.keys(pod.metadata.labels)
                .filter((l) => l.startsWith("berth.dev/net-") && pod.metadata.labels[l] === "true")
                .map((l) => l.slice("berth.dev/net-".length))
                .sort(),
        };
    }
    const volumes = items("persistentvolumeclaims").map((p) => p.metadata.name as string).sort();
    // A network is internal when its policy lets members send nowhere but to members.
    const networks: Record<string, boolean> = {};
    for (const np of policies.filter((x) => x.metadata.name.startsWith("net-"))) {
        networks[np.metadata.name.slice(4)] = !(np.spec.egress ?? []).some((r: any) => (r.to ?? []).some((peer: any) => peer.ipBlock));
    }
    // NetworkPolicy semantics: a connection a -> b is allowed when b's ingress and a's
    // egress both allow it (each side: no policy of that type selects the pod, or one
    // of the policies that do has a rule admitting the peer). An ipBlock of 0.0.0.0/0
    // is counted as admitting pods too (whether it does depends on the network plugin).
    const admits = (peers: any[] | undefined, labels: Labels) =>
        peers === undefined || peers.length === 0 || peers.some((peer) => (peer.podSelector && !peer.namespaceSelector && selects(peer.podSelector, labels)) || peer.ipBlock?.cidr === "0.0.0.0/0");
    const allowed = (type: "Ingress" | "Egress", self: Labels, other: Labels) => {
        const mine = policies.filter((np) => (np.spec.policyTypes ?? ["Ingress"]).includes(type) && selects(np.spec.podSelector, self));
        if (mine.length === 0) return true;
        return mine.some((np) => (np.spec[type === "Ingress" ? "ingress" : "egress"] ?? []).some((rule: any) => admits(type === "Ingress" ? rule.from : rule.to, other)));
    };
    const names = Object.keys(services).sort();
    const reach = pairs(names)
        .filter(([a, b]) => allowed("Egress", podLabels[a], podLabels[b]) && allowed("Ingress", podLabels[b], podLabels[a]))
        .map(([a, b]) => `${a} -> ${b}`);
    return { services: Object.fromEntries(names.map((n) => [n, services[n]])), volumes, networks, reach };
}

describe("live parity: one spec on Docker and on Kubernetes means the same", () => {
    let onDocker: E2eStack;
    let onK8s: E2eStack;
    let cluster: LocalCluster;
    // One program for both stacks: the demo, its web published on E2E_PUBLISH_PORT.
    const branch = branchPublishingE2ePort();

    beforeAll(async () => {
        requireTool("a Docker engine", () => run("docker", ["info"]), "npm run setup starts one");
        requirePortFree(E2E_PUBLISH_PORT);
        cluster = localCluster();
        onDocker = await newStack(DOCKER_STACK, { target: "docker", docker: { publishAddress: "127.0.0.1" } }, { dbPassword: PASSWORD }, branch);
        onK8s = await newStack(
            K8S_STACK,
            { target: "kubernetes", kubernetes: { kubeconfig: cluster.kubeconfig, context: "berth-local", namespace: NS, serviceType: "NodePort", registry: "127.0.0.1:5000" } },
            { dbPassword: PASSWORD },
            branch,
        );
        await onDocker.stack.up({ onOutput: progress("parity docker up") });
        await onK8s.stack.up({ onOutput: progress("parity k8s up") });
    });

    afterAll(async () => {
        try {
            await teardownDocker(onDocker, DOCKER_STACK);
        } finally {
            try {
                await teardown(onK8s, cluster, NS);
            } finally {
                fs.rmSync(branch, { recursive: true, force: true });
            }
        }
    });

    it("reads back the same services, replicas, published ports, health checks, volumes, networks and reachability", () => {
        const d = dockerLive();
        const k = k8sLive(cluster);
        console.log(`live meaning (docker):\n${JSON.stringify(d, null, 1)}`);
        expect(d).toEqual(k);
        // What both agree on is the spec, not an accident of both being empty.
        expect(Object.keys(d.services)).toEqual(Object.keys(demo.services).sort());
        expect(d.services.web).toMatchObject({ replicas: 2, published: [E2E_PUBLISH_PORT], networks: ["backend", "frontend"], health: { kind: "http", interval: 2 } });
        expect(d.services.db.mounts).toEqual(["pgdata:/var/lib/postgresql/data"]);
        expect(d.networks).toEqual({ backend: true, frontend: false });
        expect(d.reach).toContain("worker -> db");
        expect(d.reach.length).toBe(12); // every service shares the backend network
    });
});
