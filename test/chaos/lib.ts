/**
 * Shared by the chaos suites (npm run chaos): per-run `chaos-` stacks on a
 * branch of the repo's program that publishes in 28000-28999, Postgres rows
 * written and read back with a checksum, the stack's live objects found by
 * berth's labels, and the figures each suite records for the final table.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { E2eStack, REPO, RUN_ID, branchOfProgram, berthEnv, localCluster, newStack, run, stackFileConfig, teardown, teardownDocker } from "../e2e/engine";

export { REPO, RUN_ID };
export const CYCLES = Number(process.env.CHAOS_CYCLES ?? 10);
export const ROWS_PER_CYCLE = Number(process.env.CHAOS_ROWS ?? 200);
export const RESULTS_DIR = path.join(REPO, "test/chaos/results");
/** One id for every suite of one `npm run chaos`, so the report finds their parts. */
export const CHAOS_RUN = process.env.CHAOS_RUN ?? RUN_ID;

/** Appends a suite's figures to this run's part file; scripts/chaos combines them into the table. */
export function record(part: string, figures: unknown): void {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, `.part-${CHAOS_RUN}-${part}.json`), JSON.stringify({ part, figures }, null, 2));
}

/**
 * A branch of the program for chaos stacks: web publishes `port` (28000-28999)
 * and, with `dbOnly`, the app is the demo's own db service with its backend
 * network and pgdata volume (so that 10 cycles of four deploys fit in an
 * hour). scripts/, policies/ and package-lock.json are linked, so that the
 * branch's own `scripts/up` runs berth's recovery on it.
 */
export function chaosBranch(port: number, dbOnly: boolean): string {
    if (port < 28000 || port > 28999) throw new Error(`chaos publishes in 28000-28999, not ${port}`);
    return branchOfProgram((dir) => {
        const demo = path.join(dir, "services/demo.ts");
        const src = fs.readFileSync(demo, "utf8");
        if (!src.includes("publish: 8080")) throw new Error("services/demo.ts no longer publishes 8080: update test/chaos/lib.ts");
        fs.writeFileSync(demo, src.replace("publish: 8080", `publish: ${port}`));
        if (dbOnly) {
            fs.renameSync(demo, path.join(dir, "services/demo-full.ts"));
            fs.writeFileSync(
                demo,
                `// chaos: the demo's db service alone, as the demo defines it.\nimport { demo as full } from "./demo-full";\n` +
                    `export const demo = { services: { db: full.services.db }, networks: { backend: full.networks.backend }, volumes: full.volumes };\n`,
            );
        }
        for (const f of ["scripts", "policies", "package-lock.json"]) fs.symlinkSync(path.join(REPO, f), path.join(dir, f));
    });
}

export type Target = "docker" | "kubernetes";

export interface ChaosStack extends E2eStack {
    target: Target;
    namespace?: string;
    /** Runs a command on the stack's db (Docker: its container; Kubernetes: deploy/db). */
    dbExec(args: string[]): string;
}

export async function chaosStack(name: string, target: Target, branch: string, extra: Record<string, unknown> = {}): Promise<ChaosStack> {
    if (!name.startsWith("chaos-")) throw new Error(`chaos stacks are named chaos-*, not ${name}`);
    const password = `pw-${randomBytes(12).toString("hex")}`;
    if (target === "docker") {
        const s = await newStack(name, { target: "docker", docker: { publishAddress: "127.0.0.1" }, ...extra }, { dbPassword: password }, branch);
        return {
            ...s,
            target,
            dbExec: (args) => {
                const [db] = labelled("container", name, "berth.dev/service=db");
                if (!db) throw new Error(`no db container of ${name}`);
                return run("docker", ["exec", db, ...args]);
            },
        };
    }
    const cluster = localCluster();
    const namespace = name;
    const staging = stackFileConfig("staging") as { kubernetes: Record<string, unknown> };
    const s = await newStack(name, { ...staging, kubernetes: { ...staging.kubernetes, kubeconfig: cluster.kubeconfig, namespace }, ...extra }, { dbPassword: password }, branch);
    s.env.KUBECONFIG = cluster.kubeconfig;
    s.env.BERTH_KUBECTL = cluster.kubectlBin;
    return { ...s, target, namespace, dbExec: (args) => cluster.kubectl("exec", "-n", namespace, "deploy/db", "--", ...args) };
}

/** IDs (containers, networks: full ids; volumes: names) of a stack's Docker objects, by berth's labels. */
export function labelled(kind: "container" | "network" | "volume", stack: string, ...more: string[]): string[] {
    const filters = ["--filter", "label=berth.dev/project=berth", "--filter", `label=berth.dev/stack=${stack}`, ...more.flatMap((l) => ["--filter", `label=${l}`])];
    const args = kind === "container" ? ["ps", "-aq", "--no-trunc", ...filters] : kind === "network" ? ["network", "ls", "-q", "--no-trunc", ...filters] : ["volume", "ls", "-q", ...filters];
    return run("docker", args).split("\n").filter(Boolean);
}

/** Kubernetes objects of berth in a namespace (kind/name), by the part-of label. */
export function kubeLabelled(namespace: string): string[] {
    const kinds = "deployment,statefulset,service,secret,configmap,networkpolicy,horizontalpodautoscaler,ingress,persistentvolumeclaim";
    const got = JSON.parse(localCluster().kubectl("get", kinds, "-n", namespace, "-l", "app.kubernetes.io/part-of=berth", "-o", "json"));
    return (got.items as any[]).map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** The state's resources (`pulumi stack export`), for comparing with what lives on the target. */
export function stateResources(s: E2eStack): { urn: string; id?: string; type: string; inputs?: unknown; outputs?: any }[] {
    const dep = JSON.parse(run("pulumi", ["stack", "export", "--stack", s.name], s.env)).deployment;
    return dep.resources ?? [];
}

/** Live labelled objects that the state does not hold: what the chaos suites call orphans (goal: none). */
export function orphans(s: ChaosStack): string[] {
    const res = stateResources(s);
    const ids = new Set(res.map((r) => r.id).filter(Boolean));
    if (s.target === "docker") {
        return (["container", "network", "volume"] as const).flatMap((k) => labelled(k, s.name).filter((id) => !ids.has(id)).map((id) => `${k} ${id.slice(0, 24)}`));
    }
    const held = new Set(res.filter((r) => r.type.startsWith("kubernetes:") && r.id).map((r) => `${r.type.split(":").pop()}/${r.id!.split("/").pop()}`));
    return kubeLabelled(s.namespace!).filter((k) => !held.has(k));
}

export function sha256(lines: string[]): string {
    return createHash("sha256").update(lines.join("\n")).digest("hex");
}

const psql = (sql: string) => ["psql", "-h", "/tmp", "-U", "app", "-d", "app", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql];

/** Writes `n` new rows (ids from `first`) with random payloads, and returns them as `id:cycle:payload` lines. */
export function writeRows(s: ChaosStack, cycle: number, first: number, n: number): string[] {
    const rows = Array.from({ length: n }, (_, i) => ({ id: first + i, payload: randomBytes(24).toString("hex") }));
    const values = rows.map((r) => `(${r.id}, ${cycle}, '${r.payload}')`).join(",");
    s.dbExec(psql(`CREATE TABLE IF NOT EXISTS chaos_rows (id bigint PRIMARY KEY, cycle int NOT NULL, payload text NOT NULL); INSERT INTO chaos_rows VALUES ${values};`));
    return rows.map((r) => `${r.id}:${cycle}:${r.payload}`);
}

/** Every row in the table, in id order, as `id:cycle:payload` lines. */
export function readRows(s: ChaosStack): string[] {
    return s.dbExec(psql("SELECT id || ':' || cycle || ':' || payload FROM chaos_rows ORDER BY id")).split("\n").filter(Boolean);
}

/** Polls `ok` (bounded by `ms`), returning whether it held: for waits on the target, never for timed assertions. */
export async function waitFor(ok: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
        try {
            if (ok()) return true;
        } catch {
            // not yet
        }
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/** berth's environment for the branch's own scripts (scripts/up, scripts/down): BERTH_REPO unset, so they take the branch. */
export function scriptEnv(s: E2eStack): Record<string, string> {
    const env = { ...s.env };
    delete env.BERTH_REPO;
    return env;
}

export { berthEnv, run };

/**
 * Destroys and removes a chaos stack, then what outlives a destroy by design
 * (Docker: its retained volumes and built images; Kubernetes: its namespace),
 * and its branch of the program.
 */
export async function chaosTeardown(s: ChaosStack | undefined, name: string, target: Target, branch: string): Promise<void> {
    try {
        if (target === "docker") await teardownDocker(s, name);
        else if (s) await teardown(s, localCluster(), name);
        else {
            try {
                localCluster().kubectl("delete", "namespace", name, "--wait=true", "--timeout=180s");
            } catch {
                // never created
            }
        }
    } finally {
        fs.rmSync(branch, { recursive: true, force: true });
    }
}
