// The app of checks.test.ts (servers in a FROM scratch image and a
// busybox-based one, http checks on a path with `'`, `%` and `$`, a tcp
// check, a dependent that waits for all three healthy) on the local cluster,
// deployed by the real engine in namespace `checks-k8s-<run>`: the kubelet's
// httpGet/tcpSocket probes pass (so the path reached the server as written),
// and the dependent's wait-for init containers ran from berth's checker image
// (never the dependent's) and passed before its container started.
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { program } from "./checks-app";
import { E2eStack, LocalCluster, RUN_ID, branchOfProgram, localCluster, newStack, progress, run, teardown } from "./engine";

const STACK = `checks-k8s-${RUN_ID}`;
const NS = STACK;

describe("kubernetes target: probes and waits in images without a shell", () => {
    let cluster: LocalCluster;
    let s: E2eStack | undefined;
    let dir = "";

    beforeAll(async () => {
        cluster = localCluster();
        expect(() => cluster.kubectl("get", "namespace", NS)).toThrow(/NotFound/);
        dir = branchOfProgram(program);
        s = await newStack(
            STACK,
            { target: "kubernetes", kubernetes: { kubeconfig: cluster.kubeconfig, context: "berth-local", namespace: NS, serviceType: "NodePort", registry: "127.0.0.1:5000" } },
            {},
            dir,
        );
        await s.stack.up({ onOutput: progress(STACK) });
    });
    afterAll(async () => {
        try {
            await teardown(s, cluster, NS);
        } finally {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
            // The images this run built and pushed, as the local engine tagged them (the registry keeps its copies).
            const mine = run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
                .split("\n")
                .filter((i) => /^127\.0\.0\.1:5000\/berth-(scratch|scratch-tcp|bb|client):/.test(i));
            if (mine.length) run("docker", ["image", "rm", ...mine]);
        }
    });

    const pod = (name: string) => {
        const pods = cluster.items("pods", NS).filter((p) => p.metadata.labels["app.kubernetes.io/name"] === name);
        expect(pods, name).toHaveLength(1);
        return pods[0];
    };

    it("every server's pod is ready: the kubelet's httpGet on the exact path and tcpSocket pass", () => {
        for (const svc of ["scratch", "scratch-tcp", "bb"]) {
            const p = pod(svc);
            expect(p.status.conditions.find((c: any) => c.type === "Ready")?.status, svc).toBe("True");
            const probe = p.spec.containers[0].readinessProbe;
            if (svc === "scratch-tcp") expect(probe.tcpSocket).toEqual({ port: 8080 });
            else expect(probe.httpGet).toMatchObject({ path: "/ready/it's/100%25/$HOME", port: 8080 });
            expect(probe.exec).toBeUndefined();
        }
    });

    it("the dependent waited in init containers from berth's checker image, which passed before it started", () => {
        const p = pod("client");
        expect(p.status.phase).toBe("Running");
        const image = p.spec.containers[0].image;
        expect(p.spec.initContainers.map((c: any) => c.name)).toEqual(["wait-for-scratch", "wait-for-scratch-tcp", "wait-for-bb"]);
        for (const c of p.spec.initContainers) {
            expect(c.image).toMatch(/^127\.0\.0\.1:5000\/berth\/checker@sha256:[0-9a-f]{64}$/);
            expect(c.image).not.toBe(image);
            expect(c.command.slice(0, 3)).toEqual(["/busybox", "sh", "-c"]);
        }
        for (const st of p.status.initContainerStatuses) {
            expect(st.state.terminated, st.name).toMatchObject({ exitCode: 0, reason: "Completed" });
        }
        const started = Date.parse(p.status.containerStatuses[0].state.running.startedAt);
        const waited = Math.max(...p.status.initContainerStatuses.map((st: any) => Date.parse(st.state.terminated.finishedAt)));
        expect(started).toBeGreaterThanOrEqual(waited);
    });
});
