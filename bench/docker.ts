// The real-engine bench on Docker (the dev stack's target), side by side in
// one run, A/B interleaved round after round:
//   berth       `pulumi up --refresh --yes --skip-preview` with the policy pack,
//               as `npm run up` runs it (its TypeScript program compiled by
//               ts-node inside the clock; image builds inside the clock)
//   berth-bare  `pulumi up --yes --skip-preview`, no policy pack, no refresh, and
//               no type check (PULUMI_NODEJS_TRANSPILE_ONLY=true): berth's floor
//   compose     `docker compose up --wait --build` of bench/compose/compose.yaml
//               (Compose v2.40.3 built by bench/compose.sh; builds inside the clock)
//   docker run  the floor: the same `docker build`s (cached), networks, volume,
//               and `docker run -d` of the same containers in dependency waves,
//               each wave started in parallel and awaited healthy
// Each clock starts from nothing of the app (no container, network or volume;
// stack created and configured before the clock) and stops when every
// container is healthy; the app is then checked to answer on 127.0.0.1 (outside
// the clock). Then the update: web's build context edited (one line added to
// server.js), brought up again the same way; berth's resources touched read
// from the stack's history, compose's from the containers it recreated.
import * as fs from "fs";
import * as path from "path";
import { DB_PASSWORD, REPO, Stat, answers, berthEnv, bustCache, copyServices, load1, log, run, stat } from "./lib";

const BERTH_DIR = path.join(REPO, "bench/programs/berth");
const COMPOSE_FILE = path.join(REPO, "bench/compose/compose.yaml");
const COMPOSE_PROJECT = "bench-compose";
const PORTS = { berth: 38080, "berth-bare": 38080, compose: 38082, floor: 38084 } as const;
const STACK = "bench-dev";

export type Side = "berth" | "berth-bare" | "compose" | "floor";
export interface Sample {
    side: Side;
    round: number;
    images: "cached" | "cold";
    upMs: number;
    updateMs?: number;
    touched?: number;
    touchedWhat?: string;
    load: number;
}

function compose(args: string[], env: Record<string, string>, allowFail = false) {
    return run("bash", [path.join(REPO, "bench/compose.sh"), "-f", COMPOSE_FILE, "-p", COMPOSE_PROJECT, ...args], { env, timeoutS: 1200, allowFail });
}

function composeEnv(src: string, port: number, tag: string) {
    const cfg = path.join(src, "haproxy.cfg");
    fs.writeFileSync(cfg, fs.readFileSync(path.join(REPO, "bench/haproxy.cfg"), "utf8").replace(/38080/g, String(port)));
    return berthEnv({ BENCH_SRC: src, BENCH_LB: path.join(REPO, "components/lb"), BENCH_PORT: String(port), BENCH_PW: DB_PASSWORD, BENCH_HAPROXY_CFG: cfg, BENCH_TAG: tag, DOCKER_API_VERSION: "1.41" });
}

function pulumi(args: string[], cwd = BERTH_DIR, timeoutS = 1200, allowFail = false, env: Record<string, string> = {}) {
    return run("pulumi", [...args, "--non-interactive"], { cwd, timeoutS, allowFail, env: berthEnv(env) });
}

/** Creates (or reuses) a bench stack of a program and sets its config. Not timed. */
export function initStack(cwd: string, stack: string, config: Record<string, string>, secrets: Record<string, string> = {}) {
    pulumi(["stack", "init", stack], cwd, 120, true);
    const args = ["config", "set-all", "--path", "--stack", stack];
    for (const [k, v] of Object.entries(config)) args.push("--plaintext", `${k}=${v}`);
    for (const [k, v] of Object.entries(secrets)) args.push("--secret", `${k}=${v}`);
    pulumi(args, cwd, 120);
}

export function removeStack(cwd: string, stack: string) {
    pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack], cwd, 1200, true);
    pulumi(["stack", "rm", "--yes", "--force", "--stack", stack], cwd, 120, true);
    fs.rmSync(path.join(cwd, `Pulumi.${stack}.yaml`), { force: true });
}

/** berth's changes in the last update, from the stack's history: how many resources were not left the same. */
function lastChanges(stack: string): { touched: number; what: string } {
    const h = JSON.parse(pulumi(["stack", "history", "--json", "--stack", stack, "--show-secrets=false"], BERTH_DIR, 120).out) as { resourceChanges?: Record<string, number> }[];
    const c = h[0].resourceChanges ?? {};
    const touched = Object.entries(c).filter(([k]) => k !== "same").reduce((a, [, v]) => a + v, 0);
    return { touched, what: Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ") };
}

/** The resources an engine run's progress lines say were replaced, updated, created or deleted. */
export function touchedNames(out: string): string[] {
    const names = new Set<string>();
    for (const m of out.matchAll(/^\s*[-+~]+\s+\S+\s+(\S+)\s+(?:\*\*)?(replaced|updated|created|deleted|creating replacement|deleting original)\b/gm)) names.add(`${m[1]} ${m[2] === "creating replacement" || m[2] === "deleting original" ? "replaced" : m[2]}`);
    return [...names].sort();
}

async function check(url: string, who: string) {
    if (!(await answers(url))) throw new Error(`${who}: the app did not answer at ${url}`);
}

async function berthRound(round: number, images: Sample["images"], bare: boolean, withUpdate: boolean): Promise<Sample> {
    const side: Side = bare ? "berth-bare" : "berth";
    const src = copyServices(side);
    if (images === "cold") bustCache(src, `${side}-${Date.now()}`);
    initStack(BERTH_DIR, STACK, { "berth:target": "docker", "berth:docker.publishAddress": "127.0.0.1", "bench:app": "demo", "bench:src": src, "bench:port": String(PORTS[side]) }, { "berth:dbPassword": DB_PASSWORD });
    const policy = ["--policy-pack", path.join(REPO, "policies"), "--policy-pack-config", path.join(REPO, "policies/config/dev.json")];
    const upArgs = ["up", "--yes", "--skip-preview", "--stack", STACK, ...(bare ? [] : ["--refresh", ...policy])];
    const load = load1();
    try {
        // berth-bare: ts-node without type checking too (the program is not type-checked at each up).
        const up = pulumi(upArgs, BERTH_DIR, 1200, false, bare ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {});
        await check(`http://127.0.0.1:${PORTS[side]}/`, side);
        const sample: Sample = { side, round, images, upMs: up.ms, load };
        if (withUpdate) {
            fs.appendFileSync(path.join(src, "web/server.js"), `\n// bench update ${Date.now()}\n`);
            const upd = pulumi(upArgs);
            await check(`http://127.0.0.1:${PORTS[side]}/`, side);
            const c = lastChanges(STACK);
            Object.assign(sample, { updateMs: upd.ms, touched: c.touched, touchedWhat: `${c.what}: ${touchedNames(upd.out).join(", ")}` });
        }
        return sample;
    } finally {
        pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], BERTH_DIR, 1200, true);
        run("docker", ["volume", "rm", "-f", `berth-${STACK}-pgdata`], { allowFail: true });
        fs.rmSync(src, { recursive: true, force: true });
    }
}

const composeIds = (env: Record<string, string>) =>
    run("docker", ["ps", "-aq", "--no-trunc", "--filter", `label=com.docker.compose.project=${COMPOSE_PROJECT}`], { env }).out.split("\n").filter(Boolean);

async function composeRound(round: number, images: Sample["images"], withUpdate: boolean): Promise<Sample> {
    const src = copyServices("compose");
    if (images === "cold") bustCache(src, `compose-${Date.now()}`);
    const env = composeEnv(src, PORTS.compose, images === "cold" ? `cold${Date.now()}` : "latest");
    const load = load1();
    try {
        const up = compose(["up", "--detach", "--wait", "--build", "--quiet-pull"], env);
        await check(`http://127.0.0.1:${PORTS.compose}/`, "compose");
        const sample: Sample = { side: "compose", round, images, upMs: up.ms, load };
        if (withUpdate) {
            const before = new Set(composeIds(env));
            fs.appendFileSync(path.join(src, "web/server.js"), `\n// bench update ${Date.now()}\n`);
            const upd = compose(["up", "--detach", "--wait", "--build", "--quiet-pull"], env);
            await check(`http://127.0.0.1:${PORTS.compose}/`, "compose");
            const after = composeIds(env);
            const recreated = after.filter((id) => !before.has(id)).length;
            // Compose's resources: containers (it keeps the image tag, rebuilt in place); the image rebuilt counts as one.
            Object.assign(sample, { updateMs: upd.ms, touched: recreated + 1, touchedWhat: `web image rebuilt 1, containers recreated ${recreated}` });
        }
        return sample;
    } finally {
        compose(["down", "--volumes", "--remove-orphans", "--timeout", "10"], env, true);
        fs.rmSync(src, { recursive: true, force: true });
    }
}

// ---- the floor: plain docker, same images and containers ----
const FLOOR = "bench-floor";
function dockerRunArgs(name: string, image: string, o: { env?: string[]; health: string[]; interval: string; timeout: string; retries: number; start?: string; cpus: string; mem: number; res?: number; net: string; alias?: string; extra?: string[] }) {
    return [
        "run", "-d", "--name", name, "--label", `berth.bench=${FLOOR}`, "--restart", "always", "--security-opt", "no-new-privileges", "--cap-drop", "ALL",
        "--cpus", o.cpus, "--memory", `${o.mem}m`, "--memory-swap", `${o.mem}m`, ...(o.res ? ["--memory-reservation", `${o.res}m`] : []),
        "--health-cmd", o.health.join(" "), "--health-interval", o.interval, "--health-timeout", o.timeout, "--health-retries", String(o.retries), "--health-start-period", o.start ?? "50s",
        "--network", o.net, ...(o.alias ? ["--network-alias", o.alias] : []), ...(o.env ?? []).flatMap((e) => ["-e", e]), ...(o.extra ?? []), image,
    ];
}

function shq(s: string) {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function waitHealthy(names: string[]) {
    for (let i = 0; i < 600; i++) {
        const st = run("docker", ["inspect", "--format", "{{.State.Health.Status}}", ...names], { allowFail: true }).out.split("\n").filter(Boolean);
        if (st.length === names.length && st.every((s) => s === "healthy")) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`floor: ${names.join(", ")} not healthy within 120 s`);
}

/** Runs commands in parallel (each a docker CLI call), resolves when all exit 0. */
async function parallel(cmds: string[][]) {
    const { spawn } = await import("child_process");
    await Promise.all(
        cmds.map(
            (args) =>
                new Promise<void>((res, rej) => {
                    const p = spawn("docker", args, { stdio: ["ignore", "ignore", "pipe"], env: berthEnv() });
                    let err = "";
                    p.stderr.on("data", (d) => (err += d));
                    p.on("exit", (c) => (c === 0 ? res() : rej(new Error(`docker ${args.slice(0, 4).join(" ")}: ${err}`))));
                }),
        ),
    );
}

async function floorRound(round: number): Promise<Sample> {
    const src = copyServices("floor");
    const cfg = path.join(src, "haproxy.cfg");
    fs.writeFileSync(cfg, fs.readFileSync(path.join(REPO, "bench/haproxy.cfg"), "utf8").replace(/38080/g, String(PORTS.floor)));
    const img = (s: string) => `bench-floor-${s}:latest`;
    // berth's checker (components/checker.ts), bind-mounted where berth uploads it (docker run cannot upload before start).
    const checker = ["-v", "/bin/busybox:/.berth/busybox:ro"];
    const http = (port: number, p: string) => ["/.berth/busybox", "wget", "-q", "-Y", "off", "-O", "/dev/null", `http://127.0.0.1:${port}${p}`];
    const tcp = (port: number, timeout: number) => ["/.berth/busybox", "nc", "-w", String(timeout), "127.0.0.1", String(port), "-e", "/.berth/busybox", "true"];
    const appEnv = ["REDIS_URL=redis://redis:6379", "PGHOST=db", "PGUSER=app", "PGDATABASE=app", `PGPASSWORD=${DB_PASSWORD}`];
    const load = load1();
    const t0 = process.hrtime.bigint();
    try {
        await parallel([
            ...["db", "redis", "web", "worker"].map((s) => ["build", "-q", "-t", img(s), path.join(src, s)]),
            ["build", "-q", "-t", img("lb"), path.join(REPO, "components/lb")],
            ["network", "create", "--label", `berth.bench=${FLOOR}`, `${FLOOR}-frontend`],
            ["network", "create", "--internal", "--label", `berth.bench=${FLOOR}`, `${FLOOR}-backend`],
            ["volume", "create", "--label", `berth.bench=${FLOOR}`, `${FLOOR}-pgdata`],
        ]);
        const back = `${FLOOR}-backend`;
        await parallel([
            dockerRunArgs(`${FLOOR}-db`, img("db"), { env: [`POSTGRES_PASSWORD=${DB_PASSWORD}`], health: ["pg_isready", "-h", "127.0.0.1", "-U", "app"], interval: "2s", timeout: "5s", retries: 10, cpus: "0.5", mem: 512, res: 128, net: back, alias: "db", extra: ["-v", `${FLOOR}-pgdata:/var/lib/postgresql/data`] }),
            dockerRunArgs(`${FLOOR}-redis`, img("redis"), { health: tcp(6379, 5), interval: "2s", timeout: "5s", retries: 3, cpus: "0.25", mem: 128, res: 32, net: back, alias: "redis", extra: checker }),
        ]);
        await waitHealthy([`${FLOOR}-db`, `${FLOOR}-redis`]);
        const webOpts = (i: number) => dockerRunArgs(`${FLOOR}-web-${i}`, img("web"), { env: appEnv, health: http(8080, "/healthz"), interval: "2s", timeout: "5s", retries: 3, cpus: "0.5", mem: 256, res: 64, net: `${FLOOR}-frontend`, alias: "web", extra: checker });
        await parallel([
            webOpts(0),
            webOpts(1),
            dockerRunArgs(`${FLOOR}-worker`, img("worker"), { env: appEnv, health: ["bash", "-c", shq("test $(( $(date +%s) - $(stat -c %Y /tmp/worker-alive) )) -lt 10")], interval: "5s", timeout: "5s", retries: 3, cpus: "0.25", mem: 128, res: 64, net: back, alias: "worker" }),
        ]);
        // A second network needs `docker network connect` (docker run takes one), as Compose and the provider do.
        await parallel([0, 1].map((i) => ["network", "connect", "--alias", "web", back, `${FLOOR}-web-${i}`]));
        await waitHealthy([`${FLOOR}-web-0`, `${FLOOR}-web-1`, `${FLOOR}-worker`]);
        await parallel([
            dockerRunArgs(`${FLOOR}-lb`, img("lb"), { health: tcp(PORTS.floor, 2), interval: "2s", timeout: "2s", retries: 3, start: "0s", cpus: "0.5", mem: 256, net: `${FLOOR}-frontend`, extra: ["-p", `127.0.0.1:${PORTS.floor}:${PORTS.floor}`, "-v", `${cfg}:/etc/haproxy/haproxy.cfg:ro`, ...checker] }),
        ]);
        await parallel([["network", "connect", back, `${FLOOR}-lb`]]);
        await waitHealthy([`${FLOOR}-lb`]);
        const upMs = Number(process.hrtime.bigint() - t0) / 1e6;
        await check(`http://127.0.0.1:${PORTS.floor}/`, "floor");
        return { side: "floor", round, images: "cached", upMs, load };
    } finally {
        floorCleanup();
        fs.rmSync(src, { recursive: true, force: true });
    }
}

function floorCleanup() {
    const ids = run("docker", ["ps", "-aq", "--filter", `label=berth.bench=${FLOOR}`], { allowFail: true }).out.split("\n").filter(Boolean);
    if (ids.length) run("docker", ["rm", "-f", "-v", ...ids], { allowFail: true });
    for (const n of ["frontend", "backend"]) run("docker", ["network", "rm", `${FLOOR}-${n}`], { allowFail: true });
    run("docker", ["volume", "rm", "-f", `${FLOOR}-pgdata`], { allowFail: true });
}

/** Runs that failed in the last devBench (reported beside the samples). */
export const failures: { side: Side; round: number; images: string; error: string }[] = [];

/** Rounds of berth, compose, berth-bare and the floor, interleaved. */
export async function devBench(o: { rounds: number; images: "cached" | "cold"; sides?: Side[] }): Promise<Sample[]> {
    const sides = o.sides ?? (o.images === "cold" ? ["berth", "compose"] : ["berth", "compose", "floor", "berth-bare"]);
    if (sides.includes("compose")) run("bash", [path.join(REPO, "bench/compose.sh"), "version"], { timeoutS: 3600 });
    const samples: Sample[] = [];
    failures.length = 0;
    try {
        for (let r = 0; r < o.rounds; r++) {
            const order = r % 2 === 0 ? sides : [...sides].reverse();
            for (const side of order) {
                log(`dev ${o.images} round ${r + 1}/${o.rounds}: ${side} (load ${load1().toFixed(2)})`);
                let s: Sample;
                try {
                    s =
                    side === "compose" ? await composeRound(r, o.images, o.images === "cached")
                    : side === "floor" ? await floorRound(r)
                    : await berthRound(r, o.images, side === "berth-bare", o.images === "cached" && side === "berth");
                } catch (e) {
                    // One failed run is reported, and the others go on.
                    log(`  ${side} failed: ${(e as Error).message}`);
                    failures.push({ side, round: r, images: o.images, error: (e as Error).message.slice(0, 4000) });
                    continue;
                }
                log(`  up ${(s.upMs / 1000).toFixed(1)} s${s.updateMs ? `, update ${(s.updateMs / 1000).toFixed(1)} s (${s.touchedWhat})` : ""}`);
                samples.push(s);
            }
        }
    } finally {
        pulumi(["stack", "rm", "--yes", "--force", "--stack", STACK], BERTH_DIR, 120, true);
        fs.rmSync(path.join(BERTH_DIR, `Pulumi.${STACK}.yaml`), { force: true });
    }
    return samples;
}

export function summarize(samples: Sample[]) {
    const by = (side: Side, images: string, f: (s: Sample) => number | undefined) =>
        samples.filter((s) => s.side === side && s.images === images && f(s) !== undefined).map((s) => f(s)!);
    const out: Record<string, Stat | undefined> = {};
    for (const images of ["cached", "cold"])
        for (const side of ["berth", "berth-bare", "compose", "floor"] as Side[]) {
            const up = by(side, images, (s) => s.upMs);
            if (up.length) out[`${side} up ${images}`] = stat(up);
            const upd = by(side, images, (s) => s.updateMs);
            if (upd.length) out[`${side} update ${images}`] = stat(upd);
        }
    return out;
}
