// npm run bench [-- PART...]: berth side by side with Docker Compose, plain
// `docker run` and a hand-written Pulumi program. PARTs (default: all, in
// this order; 42 minutes on the quiet 2-core machine with BERTH_BENCH_RUNS=3,
// two hours or more when it is loaded; each part's time below is from that run):
//   construct    program construction with mocks, berth vs hand-written (7 min)
//   profile      a CPU profile of one render of 200 services per target and side: self time by owner (2 min)
//   dev          Docker, images cached: up from empty to all healthy, and the
//                update of web's image, berth / compose / docker run (3 rounds, 8 min)
//   cold         Docker, cold images (layer cache busted after the base image), berth / compose (1 round, 4 min)
//   preview      no-op preview, berth vs hand-written, Docker (the demo), type-checked and not (4 min)
//   preview-k8s  no-op preview, berth vs hand-written, Kubernetes (10 services, kwok node), the same (3 min)
//   scale        real-engine preview and up of 10, 50 and 200 services on the local cluster's kwok node (15 min)
// Env: BERTH_BENCH_RUNS (construct, preview: default 5), BERTH_BENCH_ROUNDS
// (dev: default 3), BERTH_BENCH_SIZES (construct: 1,10,50,200),
// BERTH_BENCH_SCALE (scale: 10,50,200), BERTH_BENCH_PROFILE (profile: 200). Prints the markdown tables and merges
// this run's parts into bench/results/<date>.json (each part with the time,
// the machine and the load average).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { constructBench, constructTable } from "./construct";
import { profileBench, profileTable } from "./profile";
import { Sample, devBench, failures } from "./docker";
import { PreviewRow, ScaleRow, previewBench, scaleBench } from "./engine";
import { Stat, load1, log, stat } from "./lib";

const PARTS = ["construct", "profile", "dev", "cold", "preview", "preview-k8s", "scale"] as const;
type Part = (typeof PARTS)[number];
const num = (v: string | undefined, d: number) => (v ? Number(v) : d);
const list = (v: string | undefined, d: string) => (v ?? d).split(",").map(Number);
const s1 = (ms: number) => (ms / 1000).toFixed(1);
const sec = (s: Stat) => `${s1(s.median)} s (${s1(s.min)} to ${s1(s.max)})`;
const rat = (s: Stat) => `${s.median.toFixed(2)}x (${s.min.toFixed(2)} to ${s.max.toFixed(2)})`;

export function machine() {
    return { host: os.hostname(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release() };
}

/** Per round: side / other side, from samples of the same round (interleaved). */
function pairRatios(samples: Sample[], a: Sample["side"], b: Sample["side"], images: string, f: (s: Sample) => number | undefined): Stat | undefined {
    const rs: number[] = [];
    for (const r of new Set(samples.map((s) => s.round))) {
        const x = samples.find((s) => s.side === a && s.round === r && s.images === images);
        const y = samples.find((s) => s.side === b && s.round === r && s.images === images);
        if (x && y && f(x) !== undefined && f(y) !== undefined) rs.push(f(x)! / f(y)!);
    }
    return rs.length ? stat(rs) : undefined;
}

export function devTable(samples: Sample[], failed: { side: string; round: number; images: string; error: string }[] = []): string {
    const lines: string[] = [];
    for (const images of ["cached", "cold"]) {
        const of = (side: Sample["side"], f: (s: Sample) => number | undefined) => {
            const xs = samples.filter((s) => s.side === side && s.images === images).map(f).filter((x): x is number => x !== undefined);
            return xs.length ? stat(xs) : undefined;
        };
        if (!samples.some((s) => s.images === images)) continue;
        const rounds = new Set(samples.filter((s) => s.images === images).map((s) => s.round)).size;
        lines.push(`### Docker, images ${images}: up from empty to all healthy (median of ${rounds} interleaved rounds; min to max)`, "");
        lines.push("| side | runs | up | / compose | update of web's image | / compose | resources touched by the update |", "|---|---|---|---|---|---|---|");
        for (const side of ["berth", "berth-bare", "compose", "floor"] as Sample["side"][]) {
            const up = of(side, (s) => s.upMs);
            if (!up) continue;
            const upd = of(side, (s) => s.updateMs);
            const r = side === "compose" ? undefined : pairRatios(samples, side, "compose", images, (s) => s.upMs);
            const ru = side === "compose" ? undefined : pairRatios(samples, side, "compose", images, (s) => s.updateMs);
            const touched = samples.find((s) => s.side === side && s.images === images && s.touchedWhat)?.touchedWhat ?? "";
            const name = { berth: "berth (`npm run up`'s command: refresh, policy pack, type check)", "berth-bare": "berth (`pulumi up`, no refresh, no policy pack, no type check)", compose: "compose `up --wait --build`", floor: "docker run, in parallel waves" }[side];
            lines.push(`| ${name} | ${up.n} | ${sec(up)} | ${r ? rat(r) : ""} | ${upd ? sec(upd) : ""} | ${ru ? rat(ru) : ""} | ${touched} |`);
        }
        const loads = samples.filter((s) => s.images === images).map((s) => s.load);
        lines.push("", `Load average (1 min) at the start of each run: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}. A ratio is taken only within a round where both sides finished.`);
        for (const f of failed.filter((x) => x.images === images))
            lines.push(`Failed: ${f.side}, round ${f.round + 1}: ${([/container \S+ is unhealthy/, /\S+ creating \(\d+s\) error: .*container failed to be in healthy state/, /container failed to be in healthy state/, /address already in use/, /[^\n]*error[^\n]*/].map((re) => re.exec(f.error)?.[0]).find(Boolean) ?? f.error.split("\n")[0]).replace(/\s+/g, " ").replace(/sdk-v2\S+ sdk.helper_schema: /, "").trim().slice(0, 160)}`);
        lines.push("");
    }
    return lines.join("\n");
}

export function previewTable(rows: PreviewRow[]): string {
    const lines = [
        "### No-op preview, berth vs the hand-written program (pairs interleaved; median, min to max)",
        "",
        "As run: ts-node type-checks each program, as `pulumi preview` does by default. No type check: the same previews with `PULUMI_NODEJS_TRANSPILE_ONLY=true`, in the same rounds.",
        "",
        "| target | app | ts-node | berth | hand-written | berth / hand-written |",
        "|---|---|---|---|---|---|",
    ];
    for (const r of rows) {
        lines.push(`| ${r.target} | ${r.app} | as run | ${sec(r.berth)} | ${sec(r.handwritten)} | ${rat(r.ratio)} |`);
        if (r.transpileOnly) lines.push(`| ${r.target} | ${r.app} | no type check | ${sec(r.transpileOnly.berth)} | ${sec(r.transpileOnly.handwritten)} | ${rat(r.transpileOnly.ratio)} |`);
    }
    const loads = rows.flatMap((r) => r.load);
    if (loads.length) lines.push("", `Load average (1 min): ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}.`);
    return lines.join("\n") + "\n";
}

export function scaleTable(rows: ScaleRow[]): string {
    const lines = [
        "### Scale: the N-service app on the local cluster (pods on the kwok node), real engine, one run each",
        "",
        "| program | services | resources | preview (empty) | up | no-op preview | destroy | up per service | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ];
    const t = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? "-" : `${s1(ms)} s`);
    for (const r of rows)
        lines.push(
            `| ${r.program} | ${r.services} | ${r.resources} | ${t(r.previewMs)} | ${t(r.upMs)} | ${t(r.noopPreviewMs)} | ${t(r.destroyMs)} | ${r.upMs && Number.isFinite(r.upMs) ? `${(r.upMs / r.services).toFixed(0)} ms` : "-"} | ${r.load.toFixed(1)} |`,
        );
    const notes = rows.filter((r) => r.note).map((r) => `${r.services} services: ${r.note}`);
    if (notes.length) lines.push("", ...notes);
    return lines.join("\n") + "\n";
}

async function main() {
    const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"));
    if (process.argv.includes("--report")) {
        // Print the tables of a results file (the day's by default) without running anything.
        const f = process.argv.find((a) => a.endsWith(".json")) ?? path.join(__dirname, "results", `${new Date().toISOString().slice(0, 10)}.json`);
        console.log(report(JSON.parse(fs.readFileSync(f, "utf8"))));
        return;
    }
    for (const a of asked) if (!PARTS.includes(a as Part)) throw new Error(`unknown part ${a}; parts: ${PARTS.join(", ")}`);
    const parts = (asked.length ? asked : PARTS) as Part[];
    const runs = num(process.env.BERTH_BENCH_RUNS, 5);
    const file = path.join(__dirname, "results", `${new Date().toISOString().slice(0, 10)}.json`);
    const read = () => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, any>) : {});
    let results = read();
    const save = (part: string, data: unknown, t0: number) => {
        // Read again before writing: parts may run in two processes at once (Docker and the cluster).
        results = { ...read(), [part]: { at: new Date().toISOString(), wallSeconds: Math.round((Date.now() - t0) / 1000), machine: machine(), loadAtEnd: load1(), data } };
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
        fs.writeFileSync(file.replace(/\.json$/, `-${part}.json`), JSON.stringify(results[part], null, 2) + "\n");
        log(`${part} done in ${Math.round((Date.now() - t0) / 1000)} s; wrote ${file}`);
    };
    for (const part of parts) {
        const t0 = Date.now();
        log(`part ${part} (load ${load1().toFixed(1)})`);
        if (part === "construct") save(part, { runs, rows: await constructBench(list(process.env.BERTH_BENCH_SIZES, "1,10,50,200"), runs) }, t0);
        else if (part === "profile") save(part, { rows: await profileBench(num(process.env.BERTH_BENCH_PROFILE, 200)) }, t0);
        else if (part === "dev") save(part, { samples: await devBench({ rounds: num(process.env.BERTH_BENCH_ROUNDS, 3), images: "cached" }), failures }, t0);
        else if (part === "cold") save(part, { samples: await devBench({ rounds: 1, images: "cold" }), failures }, t0);
        else if (part === "preview") save(part, { rows: [await previewBench("docker", runs)] }, t0);
        else if (part === "preview-k8s") save(part, { rows: [await previewBench("kubernetes", runs)] }, t0);
        else if (part === "scale") save(part, { rows: await scaleBench(list(process.env.BERTH_BENCH_SCALE, "10,50,200")) }, t0);
    }
    console.log(report(results));
}

/** The markdown of every part a results file holds. */
export function report(results: Record<string, any>): string {
    const out: string[] = [];
    const m = Object.values(results)[0]?.machine;
    if (m) out.push(`Machine: ${m.cpus} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}.`, "");
    const when = (p: string) => `_${p}: ${results[p].at.slice(0, 16).replace("T", " ")} UTC, ${results[p].wallSeconds} s, load at end ${results[p].loadAtEnd.toFixed(1)}_\n`;
    if (results.dev || results.cold) out.push(devTable([...(results.dev?.data.samples ?? []), ...(results.cold?.data.samples ?? [])], [...(results.dev?.data.failures ?? []), ...(results.cold?.data.failures ?? [])]), ...["dev", "cold"].filter((p) => results[p]).map(when));
    const pv = [...(results.preview?.data.rows ?? []), ...(results["preview-k8s"]?.data.rows ?? [])];
    if (pv.length) out.push(previewTable(pv), ...["preview", "preview-k8s"].filter((p) => results[p]).map(when));
    if (results.scale) out.push(scaleTable(results.scale.data.rows), when("scale"));
    if (results.construct) out.push(constructTable(results.construct.data.rows, results.construct.data.runs), "", when("construct"));
    if (results.profile) out.push(profileTable(results.profile.data.rows), when("profile"));
    return out.join("\n");
}

if (require.main === module)
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
