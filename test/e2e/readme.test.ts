// The README's "Deploy to Kubernetes" sequence, read from README.md itself and
// run as written, in one bash, on a fresh copy of this repo (the files a clone
// would have: tracked and new ones, nothing ignored, so no node_modules and no
// state), from an environment like a newcomer's shell (none of berth's
// variables, no pulumi or kubectl of ours on PATH). Every command must
// succeed, and the URL it prints must answer; so the README cannot drift from
// what works.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, localCluster, REPO, run } from "./engine";

const MARKER = "<!-- test/e2e/readme.test.ts runs the block below, as written, on a fresh clone -->";
const NS = "berth-staging"; // the namespace stacks/Pulumi.staging.yaml names, as the README's commands use it

/** The fenced block right after the marker in README.md. */
function readmeSequence(readme: string): string {
    const at = readme.indexOf(MARKER);
    if (at < 0) throw new Error(`README.md has no line ${MARKER}`);
    const m = /^```sh\n([\s\S]*?)^```$/m.exec(readme.slice(at + MARKER.length));
    if (!m || readme.slice(at + MARKER.length, at + MARKER.length + m.index).trim() !== "")
        throw new Error("README.md: the line after the test marker must open a ```sh block");
    return m[1];
}

/** The files a fresh clone of the working tree would have, copied into a temp folder. */
function freshCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-readme-"));
    const files = run("git", ["-C", REPO, "ls-files", "-co", "--exclude-standard", "--deduplicate"])
        .split("\n")
        .filter((f) => f && fs.existsSync(path.join(REPO, f)));
    fs.writeFileSync(path.join(dir, ".files"), files.join("\n"));
    run("bash", ["-c", `tar -C "${REPO}" -cf - -T "${dir}/.files" | tar -C "${dir}" -xf -`]);
    fs.rmSync(path.join(dir, ".files"));
    return dir;
}

/** A newcomer's shell: this process's environment without berth's, npm's, Pulumi's or Kubernetes' variables and PATH entries. */
function newcomerEnv(): Record<string, string> {
    const keep = new Set(["BERTH_OFFLINE_SRC", "BERTH_CACHE"]);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (v === undefined) continue;
        if (/^(BERTH_|PULUMI_|npm_|NODE_|VITEST|KUBECONFIG$|INIT_CWD$)/.test(k) && !keep.has(k)) continue;
        env[k] = v;
    }
    env.PATH = (process.env.PATH ?? "")
        .split(":")
        .filter((p) => p && !p.startsWith(REPO) && !p.includes("node_modules") && !p.includes("/.cache/berth/"))
        .join(":");
    return env;
}

describe("the README's Kubernetes sequence, pasted in order on a fresh clone", () => {
    let cluster: LocalCluster;
    let dir = "";
    let out = "";
    let code: number | null = null;

    beforeAll(async () => {
        cluster = localCluster();
        expect(() => cluster.kubectl("get", "namespace", NS), `namespace ${NS} exists before the test: the README's sequence deploys there, remove it first`).toThrow(/NotFound/);
        const script = readmeSequence(fs.readFileSync(path.join(REPO, "README.md"), "utf8"));
        dir = freshCopy();
        // As pasted: one shell, each command echoed (-x), stopping at the first that fails (-e).
        const child = spawn("bash", ["--noprofile", "--norc", "-c", `set -e -o pipefail -x\n${script}`], { cwd: dir, env: newcomerEnv() });
        const collect = (d: Buffer) => {
            out += d;
            for (const l of d.toString().split("\n")) if (l.trim()) process.stdout.write(`[readme] ${l}\n`);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        code = await new Promise<number | null>((r) => child.on("close", r));
    });

    afterAll(() => {
        // The sequence ends with `npm run down`, which keeps the namespace and the claim by design; the test removes them.
        try {
            cluster?.kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=180s");
        } finally {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs every command to the end", () => {
        expect(code, `the sequence stopped; its output ends with:\n${out.slice(-3000)}`).toBe(0);
    });

    it("prints a URL only after it answered, and it answers the app", () => {
        expect(out).toMatch(/the app answers at: http:\/\/127\.0\.0\.1:\d+ \(HTTP 200\)/);
        // curl's output: the visit counted in Postgres by a web pod.
        expect(out).toMatch(/\{"visits":\d+,"hostname":"web-[^"]+"\}/);
    });

    it("shows every pod running on the real node", () => {
        for (const svc of ["db", "redis", "web", "worker"]) {
            expect(out, `kubectl get pods shows no running ${svc} pod on berth-node`).toMatch(new RegExp(`^${svc}-\\S+\\s+1/1\\s+Running\\s+\\d+.*berth-node`, "m"));
        }
        expect(out.match(/^web-\S+\s+1\/1\s+Running\s+\d+.*berth-node/gm)?.length).toBeGreaterThanOrEqual(2);
    });

    it("leaves only what is meant to be kept after down: the namespace and the Postgres claim", () => {
        expect(cluster.items("deployments", NS)).toEqual([]);
        expect(cluster.items("pods", NS).filter((p) => p.metadata.deletionTimestamp === undefined)).toEqual([]);
        expect(cluster.items("persistentvolumeclaims", NS).map((c) => c.metadata.name)).toEqual(["pgdata"]);
    });
});
