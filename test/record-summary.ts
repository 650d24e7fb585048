/**
 * Records the engine events that test/unit/summary-recorded.test.ts runs the
 * summary on: real previews of the demo (the repo's program, on a branch whose
 * web publishes RECORD_PORT), deployed first to local Docker and to the local
 * cluster, then edited through its stack config or its program as a pull
 * request would, each preview collected as review/preview.ts collects it.
 *
 *   npm run record:summary [-- docker|kubernetes]   (default: both)
 *
 * Writes test/unit/fixtures/summary/<target>-<case>.json. What is trimmed, by
 * this script only (a fixture is never edited by hand): the engine's state
 * bodies of each step (`old`/`new`, which the summary does not read and which
 * hold machine-specific ids), its progress text (stdoutEvent) and debug
 * diagnostics, timestamps and durations; and this run's names and paths are replaced by fixed ones. A
 * fixture that still holds the stack's secret value fails the recording.
 *
 * Makes, and removes at the end: stacks review-rec-<run>-docker and
 * review-rec-<run>-k8s, namespace review-rec-<run>, Docker containers,
 * networks, the retained volume and the built images of the Docker stack.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { previewStack } from "../review/preview";
import { policyConfigFor } from "../review/stack";
import type { StackPreview } from "../review/summary";
import { E2eStack, REPO, RUN_ID, branchOfProgram, localCluster, newStack, progress, requireDockerTarget, requirePortFree, teardown, teardownDocker } from "./e2e/engine";

export const FIXTURES = path.join(REPO, "test/unit/fixtures/summary");
const RECORD_PORT = Number(process.env.BERTH_RECORD_PORT ?? 48080);
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `pw-${randomBytes(12).toString("hex")}`;

/** The demo as a pull request's branch: web publishes RECORD_PORT, and `edit` changes more. */
function branch(edit: (dir: string) => void = () => {}): string {
    return branchOfProgram((dir) => {
        const file = path.join(dir, "services/demo.ts");
        const src = fs.readFileSync(file, "utf8");
        if (!src.includes("publish: 8080")) throw new Error("services/demo.ts no longer publishes 8080: update test/record-summary.ts");
        fs.writeFileSync(file, src.replace("publish: 8080", `publish: ${RECORD_PORT}`));
        edit(dir);
    });
}

/** The preview without this run's noise (see the header). */
function trim(p: StackPreview, names: [string, string][]): unknown {
    const events = p.events
        .filter((e) => !e.stdoutEvent && (e.diagnosticEvent?.severity as string | undefined) !== "debug")
        .map((e) => {
            const out: Record<string, unknown> = { ...e, timestamp: 0 };
            for (const k of ["resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"] as const) {
                const m = e[k]?.metadata;
                if (m) out[k] = { ...e[k], metadata: { ...m, old: undefined, new: undefined } };
            }
            if (e.summaryEvent) out.summaryEvent = { ...e.summaryEvent, durationSeconds: 0 };
            return out;
        });
    let json = JSON.stringify({ ...p, events }, null, 1);
    for (const [from, to] of names) json = json.split(from).join(to);
    json = json.replace(/Duration: \d+(\.\d+)?m?s/g, "Duration: 0s");
    json = json.replace(/--event-log tcp:\/\/127\.0\.0\.1:\d+/g, "--event-log tcp://127.0.0.1:0");
    for (const secret of [PASSWORD, NEW_PASSWORD]) if (json.includes(secret)) throw new Error(`a recorded preview holds the stack's secret value: not written`);
    return JSON.parse(json);
}

async function record(target: string, s: E2eStack, dir: string, names: [string, string][], name: string, policyStack: string): Promise<void> {
    process.stderr.write(`[record] ${target}-${name}: previewing...\n`);
    const p = await previewStack(s.name, s.env, policyConfigFor(policyStack), dir);
    const file = path.join(FIXTURES, `${target}-${name}.json`);
    fs.writeFileSync(file, JSON.stringify(trim(p, [[dir, "<program>"], ...names]), null, 1) + "\n");
    process.stderr.write(`[record] wrote ${path.relative(REPO, file)} (${p.events.length} events${p.error ? ", preview failed" : ""})\n`);
}

const setServices = (s: E2eStack, v: unknown) => s.stack.setConfig("berth:services", { value: JSON.stringify(v) });

async function docker(): Promise<void> {
    requireDockerTarget();
    requirePortFree(RECORD_PORT);
    const stack = `review-rec-${RUN_ID}-docker`;
    const dir = branch();
    const names: [string, string][] = [[stack, "recorded-docker"], [REPO, "<repo>"], [os.homedir(), "<home>"], [RUN_ID, "<run>"]];
    let s: E2eStack | undefined;
    try {
        s = await newStack(stack, { target: "docker", docker: { publishAddress: "127.0.0.1" }, services: {} }, { dbPassword: PASSWORD }, dir);
        await s.stack.up({ onOutput: progress("record docker up") });
        const rec = (name: string, policyStack = "dev", at = dir) => record("docker", s!, at, names, name, policyStack);
        await rec("no-change");
        await setServices(s, { web: { env: { FEATURE_GREETING: "hello" } } });
        await rec("update-env");
        await setServices(s, {});
        const changed = branch((d) => fs.appendFileSync(path.join(d, "services/web/server.js"), "\n// changed on the branch\n"));
        try {
            await rec("update-image", "dev", changed);
        } finally {
            fs.rmSync(changed, { recursive: true, force: true });
        }
        await s.stack.setConfig("berth:docker", { value: JSON.stringify({ publishAddress: "0.0.0.0" }) });
        await rec("policy-advisory", "dev");
        await rec("policy-mandatory", "staging");
        await s.stack.setConfig("berth:docker", { value: JSON.stringify({ publishAddress: "127.0.0.1" }) });
        await setServices(s, { nosuch: { replicas: 1 } });
        await rec("failed");
        await setServices(s, {});
    } finally {
        await teardownDocker(s, stack);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function kubernetes(): Promise<void> {
    const cluster = localCluster();
    const stack = `review-rec-${RUN_ID}-k8s`;
    const ns = `review-rec-${RUN_ID}`;
    const dir = branch();
    const names: [string, string][] = [[stack, "recorded-kubernetes"], [ns, "berth-recorded"], [cluster.kubeconfig, "<kubeconfig>"], [REPO, "<repo>"], [os.homedir(), "<home>"], [RUN_ID, "<run>"]];
    const k8s = { kubeconfig: cluster.kubeconfig, context: "berth-local", namespace: ns, serviceType: "NodePort", registry: "127.0.0.1:5000" };
    let s: E2eStack | undefined;
    try {
        s = await newStack(stack, { target: "kubernetes", kubernetes: k8s }, { dbPassword: PASSWORD }, dir);
        await s.stack.up({ onOutput: progress("record k8s up") });
        // The stack plays staging: staging's policy config makes every policy mandatory.
        const rec = (name: string) => record("kubernetes", s!, dir, names, name, "staging");
        await rec("no-change");
        await setServices(s, { web: { scaling: { min: 4, max: 6, cpuPercent: 70 }, env: { FEATURE_GREETING: "hello" } } });
        await s.stack.setConfig("berth:dbPassword", { value: NEW_PASSWORD, secret: true });
        await rec("update-env-secret");
        await s.stack.setConfig("berth:dbPassword", { value: PASSWORD, secret: true });
        await setServices(s, {});
        await s.stack.setConfig("berth:volumes", { value: JSON.stringify({ pgdata: { access: "ReadWriteMany" } }) });
        await rec("volume-refused");
        await s.stack.setConfig("berth:volumes", { value: JSON.stringify({ pgdata: { access: "ReadWriteMany", allowDataLoss: true } }) });
        await rec("volume-allowed");
        await s.stack.removeConfig("berth:volumes");
        await s.stack.setConfig("berth:kubernetes", { value: JSON.stringify({ ...k8s, serviceType: "LoadBalancer" }) });
        await setServices(s, { worker: { replicas: 0 } });
        await rec("policy-mandatory");
        await s.stack.setConfig("berth:kubernetes", { value: JSON.stringify(k8s) });
        await setServices(s, { nosuch: { replicas: 1 } });
        await rec("failed");
        await setServices(s, {});
    } finally {
        await teardown(s, cluster, ns);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(which: string[]): Promise<void> {
    if (which[0] === "--retrim") {
        // The recordings again through today's trim (no engine): for a trim rule added after they were made.
        for (const f of fs.readdirSync(FIXTURES).filter((n) => n.endsWith(".json"))) {
            const file = path.join(FIXTURES, f);
            fs.writeFileSync(file, JSON.stringify(trim(JSON.parse(fs.readFileSync(file, "utf8")) as StackPreview, []), null, 1) + "\n");
            process.stderr.write(`[record] retrimmed ${path.relative(REPO, file)}\n`);
        }
        return;
    }
    const targets = which.length ? which : ["docker", "kubernetes"];
    for (const t of targets) if (t !== "docker" && t !== "kubernetes") throw new Error(`usage: npm run record:summary [-- docker|kubernetes]; not ${t}`);
    fs.mkdirSync(FIXTURES, { recursive: true });
    if (targets.includes("docker")) await docker();
    if (targets.includes("kubernetes")) await kubernetes();
}

main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
        console.error(`record:summary: ${(e as Error).stack ?? e}`);
        process.exit(1);
    },
);
