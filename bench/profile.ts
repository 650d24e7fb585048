// Where program construction's time goes: a V8 CPU profile (node:inspector) of
// berth's render and the hand-written program's render of the same N-service
// app, as `pulumi up` runs them (ts-node, source-map-support), each sample's
// self time charged to the code that owns the function: berth (components/),
// the Pulumi SDK, its Kubernetes/Docker SDKs, zod, source-map-support (the
// stack traces the SDK captures, rewritten), the test harness and mocks, Node
// itself, the garbage collector. Answers issue 14's "find where the time goes,
// fix what is berth's, and say what is the SDK's or the harness's".
import * as inspector from "inspector";
import * as path from "path";
import { TARGETS, renderBerth, renderHandwritten } from "./construct";
import { log } from "./lib";

type Target = keyof typeof TARGETS;
const REPO = path.resolve(__dirname, "..");

/** Who owns a function, by its script's path. */
export function owner(url: string, functionName: string): string {
    if (!url) return functionName === "(garbage collector)" ? "garbage collector" : functionName === "(program)" || functionName === "(idle)" ? "V8 and idle" : "Node (native)";
    const p = url.replace(/^file:\/\//, "");
    // The inspector session that takes the profile: its time is the profiler's, not the render's.
    if (p === "node:inspector") return "the profiler itself (node:inspector)";
    if (p.startsWith("node:") || !p.startsWith("/")) return "Node (built-in modules)";
    const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (nm) {
        const pkg = nm[1];
        if (pkg === "@pulumi/pulumi") return "Pulumi SDK (@pulumi/pulumi)";
        if (pkg === "@pulumi/kubernetes" || pkg === "@pulumi/docker") return `Pulumi provider SDK (${pkg})`;
        if (["source-map-support", "@cspotcode/source-map-support", "source-map", "@jridgewell/trace-mapping", "@jridgewell/sourcemap-codec"].includes(pkg)) return "source maps (ts-node rewriting the SDK's stack traces)";
        if (pkg === "ts-node" || pkg === "typescript") return "ts-node / TypeScript";
        if (pkg === "@grpc/grpc-js" || pkg === "google-protobuf" || pkg === "protobufjs") return "gRPC / protobuf";
        return pkg === "zod" ? "zod (berth's spec)" : `other packages (${pkg})`;
    }
    const rel = path.relative(REPO, p);
    if (rel.startsWith("components/")) return "berth (components/)";
    if (rel.startsWith("test/") || rel.startsWith("bench/")) return "harness and mocks (test/, bench/)";
    return `other (${rel})`;
}

interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
}
interface Profile {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
}

export interface ProfileRow {
    target: Target;
    side: "berth" | "hand-written";
    services: number;
    totalMs: number;
    /** ms of self time per owner, largest first */
    owners: { owner: string; ms: number; share: number }[];
    /** the functions with the most self time */
    top: { fn: string; owner: string; ms: number }[];
}

function post<T>(s: inspector.Session, method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

/** Self time per owner and per function, from a profile's samples. */
export function summarise(p: Profile): { totalMs: number; owners: Map<string, number>; fns: Map<string, { owner: string; ms: number }> } {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const owners = new Map<string, number>();
    const fns = new Map<string, { owner: string; ms: number }>();
    let totalMs = 0;
    p.samples.forEach((id, i) => {
        const ms = (p.timeDeltas[i] ?? 0) / 1000;
        const n = byId.get(id);
        if (!n) return;
        const { functionName, url, lineNumber } = n.callFrame;
        if (functionName === "(idle)") return;
        totalMs += ms;
        const o = owner(url, functionName);
        owners.set(o, (owners.get(o) ?? 0) + ms);
        const key = `${functionName || "(anonymous)"} ${url ? `${path.relative(REPO, url.replace(/^file:\/\//, ""))}:${lineNumber + 1}` : ""}`.trim();
        const f = fns.get(key) ?? { owner: o, ms: 0 };
        f.ms += ms;
        fns.set(key, f);
    });
    return { totalMs, owners, fns };
}

async function profiled(s: inspector.Session, work: () => Promise<unknown>): Promise<Profile> {
    await post(s, "Profiler.enable");
    await post(s, "Profiler.setSamplingInterval", { interval: 200 });
    await post(s, "Profiler.start");
    try {
        await work();
        return (await post<{ profile: Profile }>(s, "Profiler.stop")).profile;
    } finally {
        await post(s, "Profiler.disable");
    }
}

export async function profileBench(services: number): Promise<ProfileRow[]> {
    const s = new inspector.Session();
    s.connect();
    const rows: ProfileRow[] = [];
    try {
        for (const target of Object.keys(TARGETS) as Target[]) {
            await renderBerth(target, 1); // modules loaded and compiled before profiling
            await renderHandwritten(target, 1);
            for (const side of ["berth", "hand-written"] as const) {
                const profile = await profiled(s, () => (side === "berth" ? renderBerth(target, services) : renderHandwritten(target, services)));
                const { totalMs, owners, fns } = summarise(profile);
                const row: ProfileRow = {
                    target,
                    side,
                    services,
                    totalMs,
                    owners: [...owners].sort((a, b) => b[1] - a[1]).map(([o, ms]) => ({ owner: o, ms, share: ms / totalMs })),
                    top: [...fns].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8).map(([fn, v]) => ({ fn, owner: v.owner, ms: v.ms })),
                };
                rows.push(row);
                log(`profile ${target} ${side} ${services}: ${totalMs.toFixed(0)} ms busy; ${row.owners.slice(0, 3).map((o) => `${o.owner} ${(o.share * 100).toFixed(0)}%`).join(", ")}`);
            }
        }
    } finally {
        s.disconnect();
    }
    return rows;
}

/** Self time in berth's own code: its components and the zod schemas that are its spec. */
export const berthOwn = (r: ProfileRow) => r.owners.filter((o) => o.owner === "berth (components/)" || o.owner === "zod (berth's spec)").reduce((a, o) => a + o.ms, 0);

export function profileTable(rows: ProfileRow[]): string {
    const out: string[] = [];
    const n = rows[0]?.services;
    out.push(`### Where construction's time goes: CPU profile of one render of ${n} services, self time by owner (ms, share of busy time)`, "");
    const owners = [...new Set(rows.flatMap((r) => r.owners.map((o) => o.owner)))];
    const total = (o: string) => rows.reduce((a, r) => a + (r.owners.find((x) => x.owner === o)?.ms ?? 0), 0);
    owners.sort((a, b) => total(b) - total(a));
    out.push(`| owner | ${rows.map((r) => `${r.target} ${r.side}`).join(" | ")} |`, `|---|${rows.map(() => "---").join("|")}|`);
    for (const o of owners) {
        out.push(`| ${o} | ${rows.map((r) => { const x = r.owners.find((y) => y.owner === o); return x ? `${x.ms.toFixed(0)} (${(x.share * 100).toFixed(0)}%)` : "-"; }).join(" | ")} |`);
    }
    out.push(`| **busy, per service** | ${rows.map((r) => `**${r.totalMs.toFixed(0)}, ${(r.totalMs / r.services).toFixed(2)} ms**`).join(" | ")} |`);
    out.push(`| **berth's own code (components/ and zod), per service** | ${rows.map((r) => (r.side === "berth" ? `**${(berthOwn(r) / r.services).toFixed(2)} ms**` : "-")).join(" | ")} |`, "");
    for (const r of rows.filter((x) => x.side === "berth")) {
        out.push(`Top functions by self time, ${r.target}, berth: ${r.top.map((t) => `\`${t.fn}\` (${t.owner}) ${t.ms.toFixed(0)} ms`).join("; ")}.`, "");
    }
    return out.join("\n");
}
