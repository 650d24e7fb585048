// Issue 15, item 4: a Docker engine restart with a dev-like stack up (the
// demo; web, worker and redis with restart `always`, db overridden to
// `unless-stopped`). dockerd is stopped (SIGTERM to its pid, as a reboot or a
// package upgrade would) and started again exactly as scripts/setup starts it
// (setup finds no engine answering and runs `nohup dockerd`). Then: every
// container of the stack runs again (restarted by the engine, by its restart
// policy), the app answers on 127.0.0.1, and `pulumi refresh` changes no
// input of any resource (outputs may change: container IPs, see
// docs/reference.md#drift-after-a-docker-engine-restart); a preview after it
// shows no change. The local registry and the cluster are checked to still
// answer afterwards.
//
// It stops every container of the engine for a moment (other stacks' too):
// scripts/chaos runs it alone, last. A missing engine FAILS it.
import { execFileSync } from "child_process";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { E2E_PUBLISH_PORT, localCluster, progress, requireDockerTarget } from "../e2e/engine";
import { ChaosStack, REPO, RUN_ID, chaosBranch, chaosStack, chaosTeardown, labelled, record, run, stateResources, waitFor } from "./lib";

interface Restart {
    stack: string;
    containers: number;
    policies: Record<string, string>;
    runningAfter: number;
    restartedByEngine: number;
    answeredBefore: boolean;
    answeredAfter: boolean;
    refreshChanges: Record<string, number>;
    inputsChanged: string[];
    outputsChanged: string[];
    previewNoChanges: boolean;
    registryAnswers: boolean;
    clusterRunning: boolean;
}
let fig: Partial<Restart> = {};
afterAll(() => record("restart", fig));

const dockerAnswers = () => {
    try {
        execFileSync("timeout", ["10", "docker", "info"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
};

async function answers(url: string): Promise<boolean> {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`only 127.0.0.1, not ${url}`);
    try {
        return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status === 200;
    } catch {
        return false;
    }
}

describe("Docker engine restart with a dev-like stack up", () => {
    const name = `chaos-restart-${RUN_ID}`;
    const branch = chaosBranch(28085, false);
    let s: ChaosStack | undefined;

    afterAll(() => chaosTeardown(s, name, "docker", branch));

    it("comes back by its restart policies, answers, and refresh changes no input", async () => {
        requireDockerTarget();
        expect(E2E_PUBLISH_PORT).not.toBe(28085);
        s = await chaosStack(name, "docker", branch, { services: { db: { restart: "unless-stopped" } } });
        const out = await s.stack.up({ onOutput: progress(`${name} up`) });
        const url = out.outputs.url.value as string;
        fig = { stack: name };
        const inspect = () => JSON.parse(run("docker", ["inspect", ...labelled("container", name)])) as any[];
        const before = inspect();
        fig.containers = before.length;
        fig.policies = Object.fromEntries(before.map((c) => [c.Name.replace(/^\//, ""), c.HostConfig.RestartPolicy.Name]));
        expect(await waitFor(() => true, 0)).toBe(true);
        fig.answeredBefore = await answers(url);
        expect(fig.answeredBefore).toBe(true);
        const stateBefore = stateResources(s);

        // Stop the engine: SIGTERM to dockerd's pid (one engine on this machine), bounded wait until it is gone.
        const pids = run("pgrep", ["-x", "dockerd"]).split("\n").filter(Boolean);
        expect(pids, "one dockerd runs on this machine").toHaveLength(1);
        process.kill(Number(pids[0]), "SIGTERM");
        const stopped = await waitFor(() => {
            try {
                process.kill(Number(pids[0]), 0);
                return false;
            } catch {
                return true;
            }
        }, 120_000);
        expect(stopped, "dockerd stopped after SIGTERM").toBe(true);
        expect(dockerAnswers()).toBe(false);

        // Start it again exactly as setup does: setup finds no engine answering and starts dockerd itself.
        const setup = run("bash", [path.join(REPO, "scripts/setup")]);
        expect(setup).toMatch(/starting dockerd in the background/);
        expect(dockerAnswers()).toBe(true);

        // Every container of the stack runs again (and is healthy where it has a check): restarted by the engine.
        const allBack = await waitFor(() => inspect().every((c) => c.State.Running && (!c.State.Health || c.State.Health.Status === "healthy")), 300_000);
        const after = inspect();
        fig.runningAfter = after.filter((c) => c.State.Running).length;
        fig.restartedByEngine = after.filter((c) => before.some((b) => b.Id === c.Id) && c.State.StartedAt !== before.find((b) => b.Id === c.Id).State.StartedAt).length;
        fig.answeredAfter = await waitFor(() => false, 0).then(async () => {
            const end = Date.now() + 120_000;
            while (Date.now() < end) {
                if (await answers(url)) return true;
                await new Promise((r) => setTimeout(r, 2000));
            }
            return false;
        });

        // refresh reads every resource back: it may record new outputs (IPs), never a new input.
        const refreshed = await s.stack.refresh({ onOutput: progress(`${name} refresh`) });
        fig.refreshChanges = refreshed.summary.resourceChanges as Record<string, number>;
        const stateAfter = stateResources(s);
        const byUrn = new Map(stateBefore.map((r) => [r.urn, r]));
        fig.inputsChanged = [];
        fig.outputsChanged = [];
        for (const r of stateAfter) {
            const b = byUrn.get(r.urn);
            if (!b) {
                fig.inputsChanged.push(`${r.urn} (new)`);
                continue;
            }
            if (JSON.stringify(b.inputs) !== JSON.stringify(r.inputs)) fig.inputsChanged.push(r.urn);
            for (const k of new Set([...Object.keys(b.outputs ?? {}), ...Object.keys(r.outputs ?? {})])) {
                if (JSON.stringify(b.outputs?.[k]) !== JSON.stringify(r.outputs?.[k])) fig.outputsChanged.push(`${r.urn.split("::").pop()}.${k}`);
            }
        }
        await s.stack.preview({ expectNoChanges: true, onOutput: progress(`${name} preview after refresh`) });
        fig.previewNoChanges = true;

        // What setup's engine restart must not have broken for others: the cluster's registry and the cluster.
        fig.registryAnswers = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:5000/v2/"]) === "200";
        try {
            localCluster();
            fig.clusterRunning = true;
        } catch {
            fig.clusterRunning = false;
        }
        process.stdout.write(`[chaos restart] ${JSON.stringify(fig)}\n`);

        expect(allBack, "every container of the stack runs again").toBe(true);
        expect(fig.runningAfter).toBe(fig.containers);
        expect(fig.answeredAfter).toBe(true);
        // refresh found every resource the same (an "update" would be drift of an input). The raw
        // state's inputs are rewritten by the provider's read (secret ciphertexts, normalised empty
        // fields), so inputsChanged lists rewritten records, not drift; the preview above proves none.
        expect(Object.keys(fig.refreshChanges!).filter((k) => k !== "same")).toEqual([]);
        expect(fig.registryAnswers).toBe(true);
        expect(fig.clusterRunning).toBe(true);
    });
});
