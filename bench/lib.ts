// Helpers of the real-engine bench: bounded commands with their wall time,
// berth's environment (scripts/env), the machine's load, medians.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..");
export const PASSPHRASE = "bench-local-only"; // bench stacks hold no real secret; their state stays in .pulumi-state
export const DB_PASSWORD = "bench-db-password";

let cachedEnv: Record<string, string> | undefined;
/** berth's environment, as scripts/env sets it (pulumi and Node 22 on PATH, the local state backend). */
export function berthEnv(extra: Record<string, string> = {}): Record<string, string> {
    if (!cachedEnv) {
        const out = execFileSync("bash", ["-c", `source "${REPO}/scripts/env" && env -0`], { encoding: "utf8" });
        cachedEnv = {};
        for (const line of out.split("\0")) {
            const i = line.indexOf("=");
            if (i > 0) cachedEnv[line.slice(0, i)] = line.slice(i + 1);
        }
        cachedEnv.PULUMI_CONFIG_PASSPHRASE = PASSPHRASE;
    }
    return { ...cachedEnv, ...extra };
}

export interface Ran {
    code: number;
    out: string;
    err: string;
    ms: number;
}

/** Runs a command (bounded by timeoutS), returns its exit code, output and wall time; throws on failure unless allowFail. */
export function run(cmd: string, args: string[], o: { env?: Record<string, string>; cwd?: string; timeoutS?: number; allowFail?: boolean; quiet?: boolean } = {}): Ran {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: o.env ?? berthEnv(), cwd: o.cwd ?? REPO, encoding: "utf8", timeout: (o.timeoutS ?? 900) * 1000, maxBuffer: 256 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const res = { code: r.status ?? -1, out: r.stdout ?? "", err: (r.stderr ?? "") + (r.error ? String(r.error) : ""), ms };
    if (res.code !== 0 && !o.allowFail) {
        const all = (res.out + res.err).split("\n");
        const errors = all.filter((l) => /error|failed/i.test(l)).slice(0, 25);
        throw new Error(`${cmd} ${args.join(" ")} failed (${res.code}) after ${(ms / 1000).toFixed(1)} s:\n${errors.join("\n")}\n...\n${all.slice(-12).join("\n")}`);
    }
    return res;
}

export const load1 = () => os.loadavg()[0];

export function log(msg: string) {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export interface Stat {
    median: number;
    min: number;
    max: number;
    n: number;
}
export function stat(xs: number[]): Stat {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

/** GET url until it answers 200, at most `tries` times a second apart (never timed). */
export async function answers(url: string, tries = 60): Promise<boolean> {
    for (let i = 0; i < tries; i++) {
        try {
            const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
            if (r.status === 200) return true;
        } catch {
            /* not yet */
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    return false;
}

/** A fresh copy of the demo's build contexts (services/<svc>), to edit without touching the repo. */
export function copyServices(tag: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-bench-${tag}-`));
    for (const s of ["db", "redis", "web", "worker"]) fs.cpSync(path.join(REPO, "services", s), path.join(dir, s), { recursive: true, filter: (p) => !p.includes("node_modules") });
    return dir;
}

/** Makes every Dockerfile under dir build without the layer cache (a unique step right after FROM), keeping the base image. */
export function bustCache(dir: string, nonce: string) {
    for (const s of fs.readdirSync(dir)) {
        const f = path.join(dir, s, "Dockerfile");
        if (!fs.existsSync(f)) continue;
        const lines = fs.readFileSync(f, "utf8").split("\n");
        const i = lines.findIndex((l) => l.startsWith("FROM "));
        lines.splice(i + 1, 0, `RUN echo ${nonce} >/etc/berth-bench-cold`);
        fs.writeFileSync(f, lines.join("\n"));
    }
}
