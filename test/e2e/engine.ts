/**
 * The real Pulumi engine through the Automation API, on the repo's own program
 * folder (index.ts), with berth's environment (scripts/env). Each e2e stack
 * has a per-run name so that leftovers of an earlier run can never make a
 * test pass.
 */
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { execFile, execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "../..");
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

/** berth's environment, as scripts/env sets it, read back from a bash that sources it. */
export function berthEnv(): Record<string, string> {
    const out = execFileSync("bash", ["-c", `source "${REPO}/scripts/env" && env -0`], { encoding: "utf8" });
    const env: Record<string, string> = {};
    for (const line of out.split("\0")) {
        const i = line.indexOf("=");
        if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
    }
    return env;
}

/**
 * The files of a stack in the file backend that hold `secret` in plain text
 * (or base64): its checkpoint and `.bak`, and every history entry and backup
 * the engine kept of it. A secret must never be found (issue 15, item 6).
 */
export function stateFilesHolding(stackName: string, secret: string, project = "berth"): string[] {
    const root = path.join(REPO, ".pulumi-state", ".pulumi");
    const list = (dir: string, keep: (f: string) => boolean = () => true) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter(keep).map((f) => path.join(dir, f)) : []);
    const files = [
        ...list(path.join(root, "stacks", project), (f) => f.startsWith(`${stackName}.json`)),
        ...list(path.join(root, "history", project, stackName)),
        ...list(path.join(root, "backups", project, stackName)),
    ];
    if (files.length === 0) throw new Error(`no state files of stack ${stackName} under ${root}: nothing to scan`);
    const needles = [secret, Buffer.from(secret).toString("base64")];
    return files.filter((f) => {
        const text = fs.readFileSync(f, "utf8");
        return needles.some((n) => text.includes(n));
    });
}

/** Fails (never skips) with what is missing, so a missing engine cannot pass silently. */
export function requireTool(what: string, check: () => unknown, hint: string): void {
    try {
        check();
    } catch (e) {
        throw new Error(`e2e needs ${what}, which is missing: ${(e as Error).message.split("\n")[0]}\n  -> ${hint}`);
    }
}

/** What a Docker e2e stack needs: a Docker engine and the pulumi-resource-docker plugin at the SDK's version (fails, never skips). */
export function requireDockerTarget(): void {
    requireTool("a Docker engine", () => run("docker", ["info"]), "npm run setup starts one (Debian: apt-get install docker.io)");
    const version = require("@pulumi/docker/package.json").pulumi.version as string;
    requireTool(
        `the pulumi-resource-docker ${version} plugin`,
        () => {
            const plugins = JSON.parse(run("pulumi", ["plugin", "ls", "--json"], berthEnv())) as { name: string; version: string; kind: string }[];
            if (!plugins.some((p) => p.kind === "resource" && p.name === "docker" && p.version === version)) throw new Error("not in `pulumi plugin ls`");
        },
        "npm run setup builds it from the archives in BERTH_OFFLINE_SRC (CI: ../shared/offline-src), or downloads it where get.pulumi.com answers",
    );
}

export function run(cmd: string, args: string[], env: Record<string, string> = process.env as Record<string, string>): string {
    return execFileSync(cmd, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * `run` for a command that may take a minute or more (npm run up/down): the
 * test worker keeps its event loop, so it does not miss vitest's own RPC
 * deadline. Rejects with the command's output on a non-zero exit.
 */
export function runLong(cmd: string, args: string[], env: Record<string, string> = process.env as Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(cmd, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
            err ? reject(Object.assign(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`), { stdout, stderr })) : resolve(stdout),
        ),
    );
}

export interface E2eStack {
    stack: Stack;
    name: string;
    env: Record<string, string>;
    /** Removes the stack from the backend and its config file from stacks/. */
    remove(): Promise<void>;
}

/**
 * A pull request's branch: a copy of this repo's program (the demo's spec and
 * services copied, everything else linked, stacks/ included) that `edit`
 * changes. The caller removes it.
 */
export function branchOfProgram(edit: (dir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-branch-"));
    for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    fs.cpSync(path.join(REPO, "services"), path.join(dir, "services"), { recursive: true, filter: (src) => !src.includes("node_modules") });
    for (const d of ["components", "node_modules", "stacks"]) fs.symlinkSync(path.join(REPO, d), path.join(dir, d));
    edit(dir);
    return dir;
}

/** A stack file's `berth:*` config as it is (stacks/Pulumi.<stack>.yaml), keys without the `berth:` prefix, for newStack. */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const file = yaml.load(fs.readFileSync(path.join(REPO, `stacks/Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k.replace(/^berth:/, ""), v]));
}

/** A fresh stack of the repo's program (or of a branch of it) with the given `berth:*` config and secrets. */
export async function newStack(
    name: string,
    config: Record<string, unknown>,
    secrets: Record<string, string>,
    workDir = REPO,
): Promise<E2eStack> {
    const env = { ...berthEnv(), PULUMI_CONFIG_PASSPHRASE: `e2e-${RUN_ID}` };
    const ws = await LocalWorkspace.create({ workDir, envVars: env });
    const existing = (await ws.listStacks()).map((s) => s.name);
    if (existing.includes(name)) throw new Error(`stack ${name} exists before the test started: a per-run name must be new`);
    const stack = await Stack.create(name, ws);
    for (const [k, v] of Object.entries(config)) {
        await stack.setConfig(`berth:${k}`, { value: typeof v === "string" ? v : JSON.stringify(v) });
    }
    const file = path.join(workDir, "stacks", `Pulumi.${name}.yaml`);
    for (const [k, v] of Object.entries(secrets)) await stack.setConfig(`berth:${k}`, { value: v, secret: true });
    return {
        stack,
        name,
        env,
        async remove() {
            await ws.removeStack(name, { force: true });
            fs.rmSync(file, { force: true });
        },
    };
}

/** Output of the engine, streamed to the test log with a prefix, so long deploys show progress. */
export const progress = (label: string) => (line: string) => {
    const l = line.trimEnd();
    if (l) process.stdout.write(`[${label}] ${l}\n`);
};

export interface LocalCluster {
    kubeconfig: string;
    /** The cluster's own kubectl (for a test that runs it asynchronously). */
    kubectlBin: string;
    kubectl(...args: string[]): string;
    /** The items of a kind in a namespace, as the API server holds them. */
    items(kind: string, namespace: string): any[];
    /** An object's bytes as etcd stores them (its v3 JSON gateway on loopback), e.g. `/registry/secrets/<ns>/<name>`. */
    etcdValue(key: string): Promise<Buffer | undefined>;
}

/** The local cluster (scripts/cluster); fails, never skips, when it is not running. */
export function localCluster(): LocalCluster {
    const cluster = path.join(REPO, "scripts/cluster");
    requireTool("the local Kubernetes cluster", () => run("bash", [cluster, "status"]), "start it with `npm run cluster:start` (npm test does)");
    const env = run("bash", [cluster, "env"]);
    const kubeconfig = /KUBECONFIG=(\S+)/.exec(env)![1];
    const bin = /BERTH_KUBECTL=(\S+)/.exec(env)![1];
    const kubectl = (...args: string[]) => run(bin, ["--kubeconfig", kubeconfig, "--context", "berth-local", ...args]);
    const ports = path.join(path.dirname(kubeconfig), "run", "ports.env");
    const etcdPort = /^ETCD_PORT=(\d+)$/m.exec(fs.readFileSync(ports, "utf8"))?.[1];
    if (!etcdPort) throw new Error(`no ETCD_PORT in ${ports} (scripts/cluster start writes it)`);
    const etcdValue = async (key: string) => {
        const res = await fetch(`http://127.0.0.1:${etcdPort}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from(key).toString("base64") }), signal: AbortSignal.timeout(10_000) });
        const kv = ((await res.json()) as { kvs?: { value: string }[] }).kvs?.[0];
        return kv ? Buffer.from(kv.value, "base64") : undefined;
    };
    return { kubeconfig, kubectlBin: bin, kubectl, items: (kind, ns) => JSON.parse(kubectl("get", kind, "-n", ns, "-o", "json")).items, etcdValue };
}

/**
 * Destroys an e2e stack and removes it; then deletes its namespace, which
 * (with its PVCs) berth retains by design, so the test removes it itself.
 */
export async function teardown(s: E2eStack | undefined, cluster: LocalCluster, namespace: string, before?: () => void): Promise<void> {
    if (!s) return;
    try {
        before?.();
        await s.stack.destroy({ onOutput: progress(`${s.name} destroy`) });
    } finally {
        await s.remove();
        try {
            cluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s");
        } catch {
            // already gone
        }
    }
}

/** The images a stack built on the local Docker engine (`berth-<stack>-<service>:<tag>`), which outlive its destroy. */
export function builtImages(stackName: string, project = "berth"): string[] {
    return run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).split("\n").filter((n) => n.startsWith(`${project}-${stackName}-`));
}

/**
 * Destroys an e2e stack on the local Docker engine and removes it; then removes
 * what outlives a destroy there by design (its retained volumes, labelled with
 * the stack, and the images it built, tagged `berth-<stack>-*`), so that no run
 * leaves anything behind.
 */
export async function teardownDocker(s: E2eStack | undefined, stackName: string, project = "berth"): Promise<void> {
    try {
        if (s) {
            try {
                await s.stack.destroy({ onOutput: progress(`${stackName} destroy`) });
            } finally {
                await s.remove();
            }
        }
    } finally {
        for (const v of run("docker", ["volume", "ls", "-q", "--filter", `label=berth.dev/stack=${stackName}`]).split("\n").filter(Boolean)) run("docker", ["volume", "rm", v]);
        const built = builtImages(stackName, project);
        if (built.length) run("docker", ["image", "rm", ...built]);
    }
}

/** Fails, naming the port, when something already listens on 127.0.0.1:PORT (say a dev stack left up). */
export function requirePortFree(port: number): void {
    requireTool(
        `127.0.0.1:${port} free for the demo's published port`,
        () => {
            const listening = run("ss", ["-Hltn", `( sport = :${port} )`]).trim();
            if (listening) throw new Error(`something listens there: ${listening.split("\n")[0]}`);
        },
        "stop what listens there (a dev stack that is still up: npm run down)",
    );
}

/**
 * The port the e2e suites publish the demo's web on, instead of its 8080, so
 * that they run beside a dev stack that `npm run up` left up.
 */
export const E2E_PUBLISH_PORT = 18080;

/** A branch of the demo whose web publishes E2E_PUBLISH_PORT. */
export function branchPublishingE2ePort(): string {
    return branchOfProgram((dir) => {
        const file = path.join(dir, "services/demo.ts");
        const src = fs.readFileSync(file, "utf8");
        if (!src.includes("publish: 8080")) throw new Error("services/demo.ts no longer publishes 8080: update branchPublishingE2ePort");
        fs.writeFileSync(file, src.replace("publish: 8080", `publish: ${E2E_PUBLISH_PORT}`));
    });
}

/** Polls `ok` every half second until it holds; fails naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

export interface Load {
    sent: number;
    ok: number;
    failed: number;
    errors: string[];
    hosts: Map<string, number>;
}
/**
 * CLIENTS concurrent clients send GET / to the app (127.0.0.1 only) with
 * `visit` until `done()` and at least `min` requests are sent; bounded by
 * `max` requests and `maxMs`, so it always stops by itself.
 */
export async function load(
    visit: (url: string) => Promise<{ hostname: string }>,
    url: string,
    done: () => boolean,
    opts: { clients?: number; min: number; max?: number; maxMs?: number },
): Promise<Load> {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`load goes to 127.0.0.1 only, not ${url}`);
    const l: Load = { sent: 0, ok: 0, failed: 0, errors: [], hosts: new Map() };
    const deadline = Date.now() + (opts.maxMs ?? 10 * 60_000);
    const max = opts.max ?? 20_000;
    const client = async () => {
        while (Date.now() < deadline && l.sent < max && (l.sent < opts.min || !done())) {
            l.sent++;
            try {
                const v = await visit(url);
                l.ok++;
                l.hosts.set(v.hostname, (l.hosts.get(v.hostname) ?? 0) + 1);
            } catch (e) {
                l.failed++;
                const cause = (e as { cause?: { code?: string; message?: string } }).cause;
                if (l.errors.length < 10) l.errors.push(`${new Date().toISOString()} ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`);
            }
            // About 20 requests a second per client: enough to see every instant of an update.
            await new Promise((r) => setTimeout(r, 50));
        }
    };
    await Promise.all(Array.from({ length: opts.clients ?? 4 }, client));
    return l;
}
