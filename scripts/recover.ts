/**
 * Recovery after an engine that died mid-deploy (SIGKILL, a closed laptop, an
 * OOM kill), run by `npm run up` and `npm run down` before the engine starts:
 *
 *  1. a lock on the stack (the file backend's `.pulumi/locks/...`) is removed
 *     only when it was taken on this machine by a process that no longer runs;
 *     a live one is left alone (the engine then says the stack is locked);
 *  2. pending operations in the state (a create, update or delete the engine
 *     started and never saw finish) are dropped: `pulumi stack export`, the same
 *     deployment minus `pending_operations`, `pulumi stack import`;
 *  3. after either, what the dead engine made but never recorded is found by
 *     berth's labels (Docker: `berth.dev/project` and `berth.dev/stack`;
 *     Kubernetes: `app.kubernetes.io/part-of` in the stack's namespace) and
 *     removed when the state does not hold it, so the next create of the same
 *     name does not fail. A volume or claim labelled `berth.dev/retain=true`
 *     and the namespace are never removed (the next up adopts them).
 *
 * `node -r ts-node/register/transpile-only scripts/recover.ts STACK`, with
 * berth's environment (scripts/env). Prints one line per thing it does and
 * nothing when there was nothing to recover.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export interface LockInfo {
    file: string;
    pid: number;
    hostname: string;
}

/** The locks the file backend holds for a stack: `<backend>/.pulumi/locks/<org>/<project>/<stack>/*.json`. */
export function readLocks(backendDir: string, project: string, stack: string): LockInfo[] {
    const locks: LockInfo[] = [];
    const root = path.join(backendDir, ".pulumi", "locks");
    if (!fs.existsSync(root)) return locks;
    for (const org of fs.readdirSync(root)) {
        const dir = path.join(root, org, project, stack);
        if (!fs.existsSync(dir)) continue;
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
            const file = path.join(dir, f);
            try {
                const c = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
                const get = (k: string) => Object.entries(c).find(([key]) => key.toLowerCase() === k)?.[1];
                locks.push({ file, pid: Number(get("pid")), hostname: String(get("hostname") ?? "") });
            } catch {
                // an unreadable lock is not ours to judge: leave it
            }
        }
    }
    return locks;
}

export const processAlive = (pid: number): boolean => {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
};

/** The locks that may be removed: taken on this host, by a process that is dead. */
export function staleLocks(locks: LockInfo[], host: string, alive: (pid: number) => boolean): LockInfo[] {
    return locks.filter((l) => l.hostname === host && Number.isInteger(l.pid) && l.pid > 0 && !alive(l.pid));
}

export interface PendingOp {
    type: string;
    resource: { urn: string; id?: string; type?: string };
}
export interface Exported {
    version: number;
    deployment: { resources?: { urn: string; id?: string; type: string }[]; pending_operations?: PendingOp[]; [k: string]: unknown };
}

/** The exported state without its pending operations (the rest as it is), and what was dropped. */
export function withoutPending(state: Exported): { state: Exported; dropped: PendingOp[] } {
    const dropped = state.deployment.pending_operations ?? [];
    const { pending_operations: _, ...rest } = state.deployment;
    return { state: { ...state, deployment: rest }, dropped };
}

export interface DockerObject {
    kind: "container" | "network" | "volume";
    id: string;
    name: string;
    labels: Record<string, string>;
}

/** berth's Docker objects of a stack that the state does not hold; never a retained volume. Containers first, then networks, then volumes. */
export function dockerOrphans(state: Exported, live: DockerObject[]): DockerObject[] {
    const ids = new Set((state.deployment.resources ?? []).map((r) => r.id).filter(Boolean));
    const order = { container: 0, network: 1, volume: 2 };
    return live
        .filter((o) => !ids.has(o.id) && !ids.has(o.name))
        .filter((o) => !(o.kind === "volume" && o.labels["berth.dev/retain"] === "true"))
        .sort((a, b) => order[a.kind] - order[b.kind]);
}

export interface KubeObject {
    kind: string;
    namespace: string;
    name: string;
    labels: Record<string, string>;
}
/** The kinds berth creates in a stack's namespace (not ReplicaSets or Pods, which their owners remove). */
export const KUBE_KINDS = ["Deployment", "StatefulSet", "Service", "Secret", "ConfigMap", "NetworkPolicy", "HorizontalPodAutoscaler", "Ingress", "PersistentVolumeClaim"];

/** berth's Kubernetes objects in a stack's namespace that the state does not hold (by kind and name); never a retained claim. */
export function kubeOrphans(state: Exported, live: KubeObject[]): KubeObject[] {
    const held = new Set(
        (state.deployment.resources ?? [])
            .filter((r) => r.type.startsWith("kubernetes:") && r.id)
            .map((r) => `${r.type.split(":").pop()}/${r.id}`),
    );
    return live
        .filter((o) => KUBE_KINDS.includes(o.kind))
        .filter((o) => !held.has(`${o.kind}/${o.namespace}/${o.name}`))
        .filter((o) => !(o.kind === "PersistentVolumeClaim" && o.labels["berth.dev/retain"] === "true"));
}

// ---------------------------------------------------------------------------

const say = (msg: string) => process.stdout.write(`[berth recover] ${msg}\n`);
const sh = (cmd: string, args: string[], input?: string) =>
    execFileSync(cmd, args, { encoding: "utf8", input, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });

function liveDocker(project: string, stack: string): DockerObject[] {
    const filters = ["--filter", `label=berth.dev/project=${project}`, "--filter", `label=berth.dev/stack=${stack}`];
    const out: DockerObject[] = [];
    const lists: [DockerObject["kind"], string[]][] = [
        ["container", ["ps", "-aq", "--no-trunc", ...filters]],
        ["network", ["network", "ls", "-q", "--no-trunc", ...filters]],
        ["volume", ["volume", "ls", "-q", ...filters]],
    ];
    for (const [kind, args] of lists) {
        const ids = sh("docker", args).split("\n").filter(Boolean);
        if (!ids.length) continue;
        const inspect = kind === "container" ? ["inspect", "--type", "container"] : [kind, "inspect"];
        for (const o of JSON.parse(sh("docker", [...inspect, ...ids])) as { Id?: string; Name: string; Config?: { Labels: Record<string, string> }; Labels?: Record<string, string> }[]) {
            out.push({ kind, id: o.Id ?? o.Name, name: o.Name.replace(/^\//, ""), labels: (o.Config?.Labels ?? o.Labels) || {} });
        }
    }
    return out;
}

function kubectlArgs(config: Record<string, any>): string[] {
    const k = config["berth:kubernetes"] ?? {};
    return [...(k.kubeconfig ? ["--kubeconfig", k.kubeconfig] : []), ...(k.context ? ["--context", k.context] : [])];
}

function liveKube(config: Record<string, any>, project: string): KubeObject[] {
    const ns = config["berth:kubernetes"]?.namespace as string;
    const kubectl = process.env.BERTH_KUBECTL || "kubectl";
    const got = JSON.parse(sh(kubectl, [...kubectlArgs(config), "get", KUBE_KINDS.map((k) => k.toLowerCase()).join(","), "-n", ns, "-l", `app.kubernetes.io/part-of=${project}`, "-o", "json"]));
    return (got.items as any[]).map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, labels: o.metadata.labels ?? {} }));
}

export function main(stack: string, repo = path.resolve(__dirname, "..")): void {
    const project = String((yaml.load(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8")) as { name: string }).name);
    const backend = process.env.PULUMI_BACKEND_URL ?? "";
    let recovered = false;
    if (backend.startsWith("file://")) {
        for (const l of staleLocks(readLocks(backend.slice("file://".length), project, stack), os.hostname(), processAlive)) {
            fs.rmSync(l.file, { force: true });
            fs.rmSync(`${l.file}.attrs`, { force: true }); // the file backend's metadata beside it
            say(`removed the lock of stack ${stack} held by process ${l.pid}, which no longer runs (${l.file})`);
            recovered = true;
        }
    }
    let exported: Exported;
    try {
        exported = JSON.parse(sh("pulumi", ["stack", "export", "--stack", stack]));
    } catch {
        return; // no such stack yet, or no state: nothing to recover
    }
    const { state, dropped } = withoutPending(exported);
    if (dropped.length) {
        for (const op of dropped) say(`pending ${op.type} of ${op.resource.urn} left by an engine that stopped mid-deploy: dropped from the state`);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-recover-"));
        try {
            fs.writeFileSync(path.join(tmp, "state.json"), JSON.stringify(state));
            sh("pulumi", ["stack", "import", "--stack", stack, "--file", path.join(tmp, "state.json")]);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
        recovered = true;
    }
    if (!recovered) return;
    // What the dead engine made and never recorded: found by berth's labels, removed when the state does not hold it.
    const configFile = path.join(repo, "stacks", `Pulumi.${stack}.yaml`);
    const config = ((yaml.load(fs.readFileSync(configFile, "utf8")) as { config?: Record<string, any> })?.config ?? {}) as Record<string, any>;
    if (config["berth:target"] === "docker") {
        for (const o of dockerOrphans(state, liveDocker(project, stack))) {
            sh("docker", o.kind === "container" ? ["rm", "-f", o.id] : [o.kind, "rm", o.id]);
            say(`removed ${o.kind} ${o.name}: made by the stopped engine, not in the state`);
        }
    } else if (config["berth:target"] === "kubernetes") {
        const kubectl = process.env.BERTH_KUBECTL || "kubectl";
        for (const o of kubeOrphans(state, liveKube(config, project))) {
            sh(kubectl, [...kubectlArgs(config), "delete", o.kind.toLowerCase(), o.name, "-n", o.namespace, "--wait=true", "--timeout=120s"]);
            say(`removed ${o.kind} ${o.namespace}/${o.name}: made by the stopped engine, not in the state`);
        }
    }
    say(`stack ${stack} recovered: the engine can run again`);
}

if (require.main === module) {
    const stack = process.argv[2];
    if (!stack) {
        process.stderr.write("usage: recover.ts STACK\n");
        process.exit(2);
    }
    try {
        main(stack);
    } catch (e) {
        const err = e as Error & { stderr?: string };
        process.stderr.write(`[berth recover] failed: ${err.message.split("\n")[0]}${err.stderr ? `\n${err.stderr}` : ""}\n`);
        process.exit(1);
    }
}
