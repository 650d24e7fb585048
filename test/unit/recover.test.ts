// What scripts/recover.ts (run by npm run up/down) decides after an engine that
// died mid-deploy: which locks are stale, what the state keeps once its
// pending operations are dropped, and which labelled objects are leftovers to
// remove (never a retained volume or claim). The chaos run (npm run chaos)
// proves it on the real engine with SIGKILL.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerObject, Exported, KubeObject, dockerOrphans, kubeOrphans, processAlive, readLocks, staleLocks, withoutPending } from "../../scripts/recover";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-recover-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("locks", () => {
    it("reads the file backend's locks of one stack and removes only a dead process's on this host", () => {
        const dir = path.join(tmp, ".pulumi/locks/organization/berth/chaos-x");
        fs.mkdirSync(dir, { recursive: true });
        fs.mkdirSync(path.join(tmp, ".pulumi/locks/organization/berth/other"), { recursive: true });
        fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify({ pid: 111, username: "u", hostname: "here", timestamp: "t" }));
        fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ pid: 222, username: "u", hostname: "here", timestamp: "t" }));
        fs.writeFileSync(path.join(dir, "c.json"), JSON.stringify({ pid: 333, username: "u", hostname: "elsewhere", timestamp: "t" }));
        fs.writeFileSync(path.join(tmp, ".pulumi/locks/organization/berth/other/d.json"), JSON.stringify({ pid: 444, hostname: "here" }));
        const locks = readLocks(tmp, "berth", "chaos-x");
        expect(locks.map((l) => l.pid).sort()).toEqual([111, 222, 333]);
        const stale = staleLocks(locks, "here", (pid) => pid === 222);
        expect(stale.map((l) => l.pid)).toEqual([111]); // 222 runs; 333 is another machine's
    });
    it("knows this process is alive and a reaped pid is not", () => {
        expect(processAlive(process.pid)).toBe(true);
        expect(processAlive(2 ** 22 + 12345)).toBe(false);
    });
});

const state: Exported = {
    version: 3,
    deployment: {
        manifest: { time: "t" },
        resources: [
            { urn: "urn:c", id: "c1", type: "docker:index/container:Container" },
            { urn: "urn:n", id: "n1", type: "docker:index/network:Network" },
            { urn: "urn:v", id: "berth-s-pgdata", type: "docker:index/volume:Volume" },
            { urn: "urn:d", id: "ns/db", type: "kubernetes:apps/v1:Deployment" },
        ],
        pending_operations: [{ type: "creating", resource: { urn: "urn:c2" } }],
    },
};

describe("pending operations", () => {
    it("are dropped, everything else kept as it was", () => {
        const { state: s, dropped } = withoutPending(state);
        expect(dropped).toEqual([{ type: "creating", resource: { urn: "urn:c2" } }]);
        expect(s.deployment.pending_operations).toBeUndefined();
        expect(s.deployment.resources).toEqual(state.deployment.resources);
        expect(s.deployment.manifest).toEqual({ time: "t" });
        expect(s.version).toBe(3);
    });
});

describe("leftovers", () => {
    it("Docker: containers, networks and volumes not in the state, containers first; never a retained volume", () => {
        const live: DockerObject[] = [
            { kind: "volume", id: "berth-s-cache", name: "berth-s-cache", labels: { "berth.dev/retain": "false" } },
            { kind: "volume", id: "berth-s-other", name: "berth-s-other", labels: { "berth.dev/retain": "true" } },
            { kind: "volume", id: "berth-s-pgdata", name: "berth-s-pgdata", labels: {} },
            { kind: "network", id: "n2", name: "berth-s-frontend", labels: {} },
            { kind: "network", id: "n1", name: "berth-s-backend", labels: {} },
            { kind: "container", id: "c1", name: "berth-s-db-0", labels: {} },
            { kind: "container", id: "c2", name: "berth-s-web-0", labels: {} },
        ];
        expect(dockerOrphans(state, live).map((o) => o.name)).toEqual(["berth-s-web-0", "berth-s-frontend", "berth-s-cache"]);
    });
    it("Kubernetes: by kind and name, so a Service db is a leftover though the Deployment db is held; never a retained claim", () => {
        const o = (kind: string, name: string, labels: Record<string, string> = {}): KubeObject => ({ kind, namespace: "ns", name, labels });
        const live = [o("Deployment", "db"), o("Service", "db"), o("ReplicaSet", "db-123"), o("PersistentVolumeClaim", "pgdata", { "berth.dev/retain": "true" }), o("PersistentVolumeClaim", "scratch")];
        expect(kubeOrphans(state, live).map((x) => `${x.kind}/${x.name}`)).toEqual(["Service/db", "PersistentVolumeClaim/scratch"]);
    });
});
