// Issue 15, item 2: crash mid-deploy. `pulumi up` of the demo (Docker: the
// whole demo; Kubernetes: the demo on the local cluster) is started in its
// own process group and the whole group is SIGKILLed at a point where some
// resources exist and others are being created; two points per target:
//   - "first container": when the first service's container/workload is
//     being created (networks, volume, images done);
//   - "web": when web's replicas are being created (db and redis done).
// Then the branch's own `scripts/up` (npm run up) must recover with no
// manual step (a stale lock whose process is dead removed, pending creates
// dropped, what they made found by berth's labels and removed), converge
// (a preview then shows no change; the app answers) and leave no orphan: no
// labelled container, network, volume or Kubernetes object the state does
// not hold. Finally `scripts/down` leaves only the retained volume/claim.
//
// CHAOS_TARGETS=docker (or kubernetes) runs one target. A missing engine or
// cluster FAILS this suite with what is missing.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { localCluster, progress, requireDockerTarget } from "../e2e/engine";
import { ChaosStack, RUN_ID, Target, chaosBranch, chaosStack, kubeLabelled, labelled, orphans, record, run, scriptEnv } from "./lib";

const TARGETS = (process.env.CHAOS_TARGETS ?? "docker,kubernetes").split(",").filter(Boolean) as Target[];

interface CrashPoint {
    target: Target;
    point: string;
    killedAfterSeconds: number;
    /** Resources in the state when the engine was killed (besides the stack and providers). */
    inStateAtKill: number;
    pendingAtKill: number;
    lockLeft: boolean;
    recovery: string[];
    recovered: boolean;
    converged: boolean;
    answered: boolean;
    orphans: string[];
}
const figures: CrashPoint[] = [];
afterAll(() => record("crash", figures));

const POINTS: Record<Target, { point: string; when: RegExp }[]> = {
    docker: [
        { point: "first container", when: /docker:index:Container\s+\S+\s+creating/ },
        { point: "web", when: /docker:index:Container\s+demo-web-\d\s+creating/ },
    ],
    kubernetes: [
        { point: "first workload", when: /kubernetes:apps\/v1:Deployment\s+\S+\s+creating/ },
        { point: "web", when: /kubernetes:apps\/v1:Deployment\s+demo-web-deployment\s+creating/ },
    ],
};

/**
 * `pulumi up` in its own process group, SIGKILLed (the whole group: the CLI,
 * the language host, the providers) once a line of its output matches
 * `when`. Bounded: killed after 15 minutes whatever happens.
 */
function upAndKill(s: ChaosStack, dir: string, when: RegExp): Promise<{ matched: boolean; seconds: number; output: string }> {
    return new Promise((resolve) => {
        const t0 = Date.now();
        const child = spawn("pulumi", ["up", "--stack", s.name, "--yes", "--skip-preview", "--non-interactive"], { cwd: dir, env: s.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let matched = false;
        const kill = () => {
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
        };
        const bound = setTimeout(kill, 15 * 60_000);
        const onData = (d: Buffer) => {
            out += d;
            progress(`${s.name} up (to be killed)`)(d.toString());
            if (!matched && when.test(out)) {
                matched = true;
                // The create has been sent: the object exists (or is being made) and the state holds a pending create.
                setTimeout(kill, 1500);
            }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.on("close", () => {
            clearTimeout(bound);
            resolve({ matched, seconds: Math.round((Date.now() - t0) / 1000), output: out });
        });
    });
}

function lockFiles(stack: string, env: Record<string, string>): string[] {
    const dir = path.join(env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""), ".pulumi/locks/organization/berth", stack);
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe.each(TARGETS)("crash mid-deploy on %s", (target) => {
    const branch = chaosBranch(target === "docker" ? 28083 : 28084, false);
    const made: ChaosStack[] = [];

    afterAll(async () => {
        try {
            for (const s of made) {
                try {
                    run("bash", [path.join(branch, "scripts/down"), s.name], scriptEnv(s));
                } finally {
                    await s.remove();
                    if (target === "docker") {
                        for (const v of labelled("volume", s.name)) run("docker", ["volume", "rm", v]);
                        const images = run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).split("\n").filter((n) => n.startsWith(`berth-${s.name}-`));
                        if (images.length) run("docker", ["image", "rm", ...images]);
                    } else {
                        try {
                            localCluster().kubectl("delete", "namespace", s.namespace!, "--wait=true", "--timeout=180s");
                        } catch {
                            // never created
                        }
                    }
                }
            }
        } finally {
            fs.rmSync(branch, { recursive: true, force: true });
        }
    });

    it.each(POINTS[target].map((p, i) => ({ ...p, i })))("SIGKILL at $point: npm run up recovers, converges and leaves no orphan", async ({ point, when, i }) => {
        if (target === "docker") requireDockerTarget();
        else localCluster();
        const name = `chaos-crash-${target === "docker" ? "d" : "k"}${i}-${RUN_ID}`;
        const s = await chaosStack(name, target, branch);
        made.push(s);

        const killed = await upAndKill(s, branch, when);
        expect(killed.matched, `the engine's output reached "${point}" before it ended:\n${killed.output.slice(-3000)}`).toBe(true);
        const dep = JSON.parse(run("pulumi", ["stack", "export", "--stack", name], s.env)).deployment;
        const fig: CrashPoint = {
            target,
            point,
            killedAfterSeconds: killed.seconds,
            inStateAtKill: (dep.resources ?? []).filter((r: { type: string }) => !r.type.startsWith("pulumi:")).length,
            pendingAtKill: (dep.pending_operations ?? []).length,
            lockLeft: lockFiles(name, s.env).length > 0,
            recovery: [],
            recovered: false,
            converged: false,
            answered: false,
            orphans: [],
        };
        figures.push(fig);

        // npm run up, as a user runs it after the crash: the branch's own scripts/up.
        const out = run("bash", [path.join(branch, "scripts/up"), name], scriptEnv(s));
        process.stdout.write(out.split("\n").filter((l) => l.startsWith("[berth")).map((l) => `[${name} npm run up] ${l}\n`).join(""));
        fig.recovery = out.split("\n").filter((l) => l.startsWith("[berth recover]"));
        fig.recovered = true;
        fig.answered = /the app answers at: http:\/\/127\.0\.0\.1:\d+ \(HTTP 2\d\d\)/.test(out);
        await s.stack.preview({ expectNoChanges: true, onOutput: progress(`${name} preview after recovery`) });
        fig.converged = true;
        fig.orphans = orphans(s);
        process.stdout.write(`[chaos crash] ${JSON.stringify(fig)}\n`);
        record("crash", figures);

        expect(fig.pendingAtKill + (fig.lockLeft ? 1 : 0), "the kill left something to recover").toBeGreaterThan(0);
        expect(fig.recovery.join("\n")).toContain("recovered");
        expect(fig.answered).toBe(true);
        expect(fig.orphans).toEqual([]);

        // npm run down: only the retained data is left.
        run("bash", [path.join(branch, "scripts/down"), name], scriptEnv(s));
        if (target === "docker") {
            expect(labelled("container", name)).toEqual([]);
            expect(labelled("network", name)).toEqual([]);
            expect(labelled("volume", name)).toEqual([`berth-${name}-pgdata`]);
        } else {
            expect(kubeLabelled(s.namespace!)).toEqual(["PersistentVolumeClaim/pgdata"]);
        }
    });
});
