// Program construction with Pulumi mocks (no engine, no provider): berth's
// App.create against the hand-written program (bench/programs/handwritten)
// declaring the same resources, at 1, 10, 50 and 200 services on each target,
// each figure the median of RUNS runs with min and max, berth and hand-written
// interleaved run by run. Three modes side by side in this one process:
//   as-run      as `pulumi up` runs a program through ts-node, whose
//               source-map-support rewrites every captured stack trace
//   no-srcmap   without source-map-support's rewriting (what precompiled JS
//               run by plain node does)
//   no-stacks   no stack traces captured at all (Error.stackTraceLimit = 0)
// The Pulumi SDK captures a stack trace per promise (runtime/debuggable.js)
// and per resource (its source position): the gap between the modes is the
// SDK's cost. berth's own cost per service is (berth - hand-written) / N.
import * as path from "path";
import { scaleApp } from "./apps";
import { renderProgram } from "./mocks";
import { scaleDocker, scaleKubernetes } from "./programs/handwritten/app";
import { render } from "../test/unit/harness";
import { Stat, log, stat } from "./lib";

const KUBECONFIG = path.join(__dirname, "../test/unit/fixtures/kubeconfig-local.yaml");
export const TARGETS = {
    docker: { target: "docker" },
    kubernetes: { target: "kubernetes", kubernetes: { namespace: "bench", registry: "127.0.0.1:5000" } },
} as const;
type Target = keyof typeof TARGETS;
export type Mode = "as-run" | "no-srcmap" | "no-stacks";
export const MODES: Mode[] = ["as-run", "no-srcmap", "no-stacks"];

const original = { prepare: (Error as any).prepareStackTrace, limit: Error.stackTraceLimit };
function setMode(m: Mode) {
    (Error as any).prepareStackTrace = m === "as-run" ? original.prepare : undefined;
    Error.stackTraceLimit = m === "no-stacks" ? 0 : original.limit;
}

/** berth's render of the N-service app: the number of resources registered (components included). */
export async function renderBerth(target: Target, n: number): Promise<number> {
    return (await render(scaleApp(n) as any, TARGETS[target], { stack: "bench" })).resources.length;
}

/** The hand-written program's render of the same app. */
export async function renderHandwritten(target: Target, n: number): Promise<number> {
    const kc = process.env.KUBECONFIG;
    process.env.KUBECONFIG = KUBECONFIG;
    try {
        const fn = target === "docker" ? () => scaleDocker({ project: "berth", stack: "bench", services: n }) : () => scaleKubernetes({ project: "berth", stack: "bench", services: n, namespace: "bench" });
        return (await renderProgram(fn, {}, [], "bench")).length;
    } finally {
        if (kc === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = kc;
    }
}

export interface ConstructRow {
    target: Target;
    services: number;
    mode: Mode;
    resources: { berth: number; handwritten: number };
    /** ms per service */
    berth: Stat;
    handwritten: Stat;
    /** (berth - hand-written) / N, per run pair */
    berthOwn: Stat;
}

export async function constructBench(sizes: number[], runs: number): Promise<ConstructRow[]> {
    if (typeof original.prepare !== "function") throw new Error("run through ts-node (npm run bench): the as-run mode needs its source-map-support");
    const rows: ConstructRow[] = [];
    for (const target of Object.keys(TARGETS) as Target[]) {
        setMode("as-run");
        await renderBerth(target, 1); // modules loaded and compiled before any timing
        await renderHandwritten(target, 1);
        for (const n of sizes) {
            for (const mode of MODES) {
                const b: number[] = [];
                const h: number[] = [];
                const own: number[] = [];
                let rb = 0;
                let rh = 0;
                for (let r = 0; r < runs; r++) {
                    // A/B, then B/A on the next run.
                    const order = r % 2 === 0 ? ["b", "h"] : ["h", "b"];
                    const t: Record<string, number> = {};
                    for (const w of order) {
                        setMode(mode);
                        const t0 = process.hrtime.bigint();
                        if (w === "b") rb = await renderBerth(target, n);
                        else rh = await renderHandwritten(target, n);
                        t[w] = Number(process.hrtime.bigint() - t0) / 1e6;
                        setMode("as-run");
                    }
                    b.push(t.b / n);
                    h.push(t.h / n);
                    own.push((t.b - t.h) / n);
                }
                const row: ConstructRow = { target, services: n, mode, resources: { berth: rb, handwritten: rh }, berth: stat(b), handwritten: stat(h), berthOwn: stat(own) };
                rows.push(row);
                log(`construct ${target} ${n} ${mode}: berth ${row.berth.median.toFixed(1)}, hand-written ${row.handwritten.median.toFixed(1)}, berth's own ${row.berthOwn.median.toFixed(2)} ms/service`);
            }
        }
    }
    return rows;
}

const f = (x: number, d = 1) => x.toFixed(d);
const cell = (s: Stat, d = 1) => `${f(s.median, d)} (${f(s.min, d)} to ${f(s.max, d)})`;

export function constructTable(rows: ConstructRow[], runs: number): string {
    const lines = [
        `### Program construction with mocks, ms per service (median of ${runs}; min to max)`,
        "",
        "berth = App.create; hand-written = bench/programs/handwritten declaring the same custom resources; berth's own = (berth - hand-written) / N, per run pair.",
        "",
        "| target | services | resources berth / hand-written | mode | berth | hand-written | berth / hand-written | berth's own |",
        "|---|---|---|---|---|---|---|---|",
    ];
    for (const r of rows)
        lines.push(
            `| ${r.target} | ${r.services} | ${r.resources.berth} / ${r.resources.handwritten} | ${r.mode} | ${cell(r.berth)} | ${cell(r.handwritten)} | ${f(r.berth.median / r.handwritten.median, 2)}x | ${cell(r.berthOwn, 2)} |`,
        );
    lines.push("", "Each render waits for registrations to settle (about 25 ms), which weighs on the 1-service figures.");
    return lines.join("\n");
}
