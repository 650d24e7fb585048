// npm run bench: what it costs to build the app (the program's construction,
// with Pulumi mocks: no engine, no provider), per service, at 1, 10, 50 and
// 200 services on each target, each figure the median of RUNS runs with min
// and max. Three modes are measured side by side in this one process, so that
// the ratios say where the time goes:
//   as-run      the program as `pulumi up` runs it through ts-node, whose
//               source-map-support rewrites every captured stack trace
//   no-srcmap   the same without source-map-support's stack rewriting
//   no-stacks   no stack traces captured at all (Error.stackTraceLimit = 0)
// The Pulumi SDK captures a stack trace per promise (runtime/debuggable.js)
// and per resource (its source position): the gap between the modes is the
// SDK's cost, not berth's. Writes bench/results/<date>-construct.json.
import * as fs from "fs";
import * as path from "path";
import { render } from "../test/unit/harness";

const SIZES = (process.env.BERTH_BENCH_SIZES ?? "1,10,50,200").split(",").map(Number);
const RUNS = Number(process.env.BERTH_BENCH_RUNS ?? 3);
const TARGETS = {
    docker: { target: "docker" },
    kubernetes: { target: "kubernetes", kubernetes: { namespace: "bench", registry: "127.0.0.1:5000" } },
} as const;

/** N services, each with an image, a port, an HTTP readiness check, 2 replicas, resources and one network (the shape). */
function app(n: number) {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
        services[`svc${i}`] = {
            image: "nginx:1.27",
            ports: [{ port: 80 }],
            health: { readiness: { http: { path: "/", port: 80 } } },
            replicas: 2,
            resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "64Mi", limit: "128Mi" } },
            networks: ["backend"],
        };
    }
    return { services, networks: { backend: {} } };
}

type Mode = "as-run" | "no-srcmap" | "no-stacks";
const original = { prepare: (Error as any).prepareStackTrace, limit: Error.stackTraceLimit };
function setMode(m: Mode) {
    (Error as any).prepareStackTrace = m === "as-run" ? original.prepare : undefined;
    Error.stackTraceLimit = m === "no-stacks" ? 0 : original.limit;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
    if (typeof original.prepare !== "function") throw new Error("run through ts-node (npm run bench): the as-run mode needs its source-map-support");
    const rows: { target: string; services: number; mode: Mode; resources: number; msPerService: { median: number; min: number; max: number } }[] = [];
    for (const [target, config] of Object.entries(TARGETS)) {
        setMode("as-run");
        await render(app(1) as any, config); // modules loaded and compiled before any timing
        for (const n of SIZES) {
            for (const mode of ["as-run", "no-srcmap", "no-stacks"] as Mode[]) {
                const times: number[] = [];
                let resources = 0;
                for (let r = 0; r < RUNS; r++) {
                    setMode(mode);
                    const t0 = process.hrtime.bigint();
                    const out = await render(app(n) as any, config);
                    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
                    setMode("as-run");
                    resources = out.resources.length;
                    times.push(ms / n);
                }
                const row = { target, services: n, mode, resources, msPerService: { median: median(times), min: Math.min(...times), max: Math.max(...times) } };
                rows.push(row);
                process.stderr.write(`[bench] ${target} ${n} services ${mode}: ${row.msPerService.median.toFixed(1)} ms/service (${resources} resources)\n`);
            }
        }
    }
    const f = (x: number) => x.toFixed(1);
    const lines = [
        `## Program construction with mocks, ms per service (median of ${RUNS}; min-max)`,
        "",
        "| target | services | resources | as-run | no-srcmap | no-stacks | as-run / no-stacks |",
        "|---|---|---|---|---|---|---|",
    ];
    for (const [target] of Object.entries(TARGETS)) {
        for (const n of SIZES) {
            const get = (m: Mode) => rows.find((r) => r.target === target && r.services === n && r.mode === m)!;
            const cell = (m: Mode) => `${f(get(m).msPerService.median)} (${f(get(m).msPerService.min)}-${f(get(m).msPerService.max)})`;
            lines.push(`| ${target} | ${n} | ${get("as-run").resources} | ${cell("as-run")} | ${cell("no-srcmap")} | ${cell("no-stacks")} | ${f(get("as-run").msPerService.median / get("no-stacks").msPerService.median)}x |`);
        }
    }
    lines.push("", "The harness waits for registrations to settle (about 25 ms per render), which weighs on the 1-service figures.");
    console.log(lines.join("\n"));
    const dir = path.join(__dirname, "results");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-construct.json`);
    fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, runs: RUNS, rows }, null, 2) + "\n");
    process.stderr.write(`[bench] wrote ${file}\n`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
