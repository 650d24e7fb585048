// Real-engine previews and ups beside the hand-written program:
//  - no-op preview: berth's program and the hand-written one, both deployed,
//    `pulumi preview --expect-no-changes` interleaved (Docker: the demo;
//    Kubernetes: the N-service app on the simulated kwok node);
//  - scale: berth's preview (from empty) and up of the N-service app on the
//    local cluster, its pods on the kwok node (berth's spec has no node
//    placement: a transformation in bench/programs/berth adds the node
//    selector and toleration), then its no-op preview and destroy.
import * as fs from "fs";
import * as path from "path";
import { initStack, removeStack } from "./docker";
import { DB_PASSWORD, REPO, Stat, berthEnv, copyServices, load1, log, run, stat } from "./lib";

export const PROGRAMS = { berth: path.join(REPO, "bench/programs/berth"), handwritten: path.join(REPO, "bench/programs/handwritten") };
type Program = keyof typeof PROGRAMS;

function pulumi(args: string[], cwd: string, timeoutS = 3600, allowFail = false, env: Record<string, string> = {}) {
    return run("pulumi", [...args, "--non-interactive"], { cwd, timeoutS, allowFail, env: berthEnv({ ...clusterEnv(), ...env }) });
}

/** ts-node without its type check: what a preview costs once the program's TypeScript is only transpiled. */
const TRANSPILE_ONLY = { PULUMI_NODEJS_TRANSPILE_ONLY: "true" };

let kube: Record<string, string> | undefined;
/** KUBECONFIG of the local cluster (scripts/cluster env). */
export function clusterEnv(): Record<string, string> {
    if (!kube) {
        const out = run("bash", [path.join(REPO, "scripts/cluster"), "env"], { timeoutS: 60 }).out;
        kube = {};
        for (const k of ["KUBECONFIG", "BERTH_KUBECTL"]) {
            const m = new RegExp(`${k}=["']?([^"'\\s;]+)`).exec(out);
            if (m) kube[k] = m[1];
        }
    }
    return kube;
}

export interface PreviewRow {
    target: "docker" | "kubernetes";
    app: string;
    berth: Stat;
    handwritten: Stat;
    ratio: Stat;
    /** The same pair of previews with PULUMI_NODEJS_TRANSPILE_ONLY=true (no type check), interleaved in the same rounds. */
    transpileOnly?: { berth: Stat; handwritten: Stat; ratio: Stat };
    load: number[];
}

function k8sConfig(ns: string, n: number) {
    return {
        "berth:target": "kubernetes",
        "berth:kubernetes.context": "berth-local",
        "berth:kubernetes.namespace": ns,
        "berth:kubernetes.serviceType": "NodePort",
        "bench:app": "scale",
        "bench:services": String(n),
        "bench:fakeNode": "true",
    };
}

/** No-op preview, berth vs hand-written, `runs` pairs interleaved, on one target. */
export async function previewBench(target: "docker" | "kubernetes", runs: number, n = 10): Promise<PreviewRow> {
    const stacks: Record<Program, string> = { berth: `bench-pv-${target}-b`, handwritten: `bench-pv-${target}-h` };
    const srcs: string[] = [];
    try {
        for (const p of ["berth", "handwritten"] as Program[]) {
            if (target === "docker") {
                const src = copyServices(`pv-${p}`);
                srcs.push(src);
                initStack(PROGRAMS[p], stacks[p], { "berth:target": "docker", "berth:docker.publishAddress": "127.0.0.1", "bench:app": "demo", "bench:src": src, "bench:port": p === "berth" ? "38090" : "38092" }, { "berth:dbPassword": DB_PASSWORD });
            } else initStack(PROGRAMS[p], stacks[p], k8sConfig(stacks[p], n));
            log(`preview ${target}: up ${p}`);
            pulumi(["up", "--yes", "--skip-preview", "--stack", stacks[p]], PROGRAMS[p]);
        }
        // Each mode's previews per round: ms by program.
        const modes = { asRun: {}, noCheck: TRANSPILE_ONLY };
        const samples: Record<keyof typeof modes, Record<Program, number>[]> = { asRun: [], noCheck: [] };
        const load: number[] = [];
        for (let r = 0; r < runs; r++) {
            // Both orders alternate between rounds: berth and hand-written, and type-checked and not.
            const order: Program[] = r % 2 === 0 ? ["berth", "handwritten"] : ["handwritten", "berth"];
            const modeOrder: (keyof typeof modes)[] = Math.floor(r / 2) % 2 === 0 ? ["asRun", "noCheck"] : ["noCheck", "asRun"];
            load.push(load1());
            for (const m of modeOrder) {
                const ms = {} as Record<Program, number>;
                for (const p of order) ms[p] = pulumi(["preview", "--expect-no-changes", "--stack", stacks[p]], PROGRAMS[p], 3600, false, modes[m]).ms;
                samples[m].push(ms);
            }
            const s = (m: keyof typeof modes, p: Program) => `${(samples[m][r][p] / 1000).toFixed(1)} s`;
            log(`  preview ${target} ${r + 1}/${runs}: berth ${s("asRun", "berth")}, hand-written ${s("asRun", "handwritten")}; no type check: berth ${s("noCheck", "berth")}, hand-written ${s("noCheck", "handwritten")} (load ${load[r].toFixed(1)})`);
        }
        const stats = (rounds: Record<Program, number>[]) => ({ berth: stat(rounds.map((x) => x.berth)), handwritten: stat(rounds.map((x) => x.handwritten)), ratio: stat(rounds.map((x) => x.berth / x.handwritten)) });
        return { target, app: target === "docker" ? "demo" : `${n} services (kwok node)`, ...stats(samples.asRun), transpileOnly: stats(samples.noCheck), load };
    } finally {
        for (const p of ["berth", "handwritten"] as Program[]) {
            removeStack(PROGRAMS[p], stacks[p]);
            if (target === "docker") run("docker", ["volume", "rm", "-f", `berth-${stacks[p]}-pgdata`], { allowFail: true });
        }
        for (const s of srcs) fs.rmSync(s, { recursive: true, force: true });
    }
}

export interface ScaleRow {
    program: Program;
    services: number;
    resources: number;
    previewMs: number;
    upMs: number;
    noopPreviewMs: number;
    destroyMs: number;
    load: number;
    /** What stopped a run that did not finish. */
    note?: string;
}

/** Preview from empty, up, no-op preview and destroy of the N-service app on the cluster's kwok node. */
export async function scaleBench(sizes: number[], programs: Program[] = ["berth"]): Promise<ScaleRow[]> {
    const rows: ScaleRow[] = [];
    for (const n of sizes)
        for (const p of programs) {
            const stack = `bench-scale-${n}-${p === "berth" ? "b" : "h"}`;
            initStack(PROGRAMS[p], stack, k8sConfig(stack, n));
            const load = load1();
            try {
                log(`scale ${p} ${n}: preview (load ${load.toFixed(1)})`);
                const pv = pulumi(["preview", "--stack", stack], PROGRAMS[p]);
                log(`  preview ${(pv.ms / 1000).toFixed(1)} s; up`);
                const up = pulumi(["up", "--yes", "--skip-preview", "--stack", stack], PROGRAMS[p]);
                const resources = Number(/(\d+) created/.exec(up.out)?.[1] ?? 0);
                log(`  up ${(up.ms / 1000).toFixed(1)} s (${resources} created); no-op preview`);
                const noop = pulumi(["preview", "--expect-no-changes", "--stack", stack], PROGRAMS[p]);
                log(`  no-op preview ${(noop.ms / 1000).toFixed(1)} s; destroy`);
                const d = pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack], PROGRAMS[p]);
                rows.push({ program: p, services: n, resources, previewMs: pv.ms, upMs: up.ms, noopPreviewMs: noop.ms, destroyMs: d.ms, load });
            } finally {
                removeStack(PROGRAMS[p], stack);
                run(clusterEnv().BERTH_KUBECTL ?? "kubectl", ["delete", "namespace", stack, "--ignore-not-found", "--wait=false"], { env: berthEnv(clusterEnv()), allowFail: true });
            }
        }
    return rows;
}
