// What `npm run up` / `npm run down` check around the engine (scripts/lib.sh),
// run for real in bash: a stack other than dev needs the user's passphrase
// before anything starts, and a URL is printed as answering only after it
// answered over HTTP from this machine.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const LIB = path.resolve(__dirname, "../../scripts/lib.sh");

/** Runs `source scripts/lib.sh; <script>` in bash (async, so that an HTTP server in this process can answer). */
function lib(script: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
    const clean = { PATH: process.env.PATH!, HOME: process.env.HOME!, BERTH_URL_WAIT_SECONDS: "3", ...env };
    return new Promise((resolve) => {
        const child = spawn("bash", ["-c", `source "${LIB}"; ${script}`], { env: clean });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ code: code ?? -1, out }));
    });
}

describe("require_passphrase", () => {
    it("refuses staging with no passphrase, saying what to set", async () => {
        const r = await lib(`require_passphrase staging "up staging"; echo went-on`);
        expect(r.code).toBe(1);
        expect(r.out).toContain("FAILED step: up staging");
        expect(r.out).toContain("export PULUMI_CONFIG_PASSPHRASE=");
        expect(r.out).not.toContain("went-on");
    });
    it("lets dev go on with its default, and any stack with the user's passphrase or file", async () => {
        expect((await lib(`require_passphrase dev "up dev" && echo went-on`)).out).toContain("went-on");
        expect((await lib(`require_passphrase prod "up prod" && echo went-on`, { PULUMI_CONFIG_PASSPHRASE: "x" })).out).toContain("went-on");
        expect((await lib(`require_passphrase prod "up prod" && echo went-on`, { PULUMI_CONFIG_PASSPHRASE_FILE: "/f" })).out).toContain("went-on");
    });
});

describe("check_stack_yaml", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-yaml-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    it("fails naming the file, the line and column of a YAML syntax error, before the engine starts", async () => {
        const f = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(f, "config:\n  berth:target: docker\n  berth:services:\n    web: {replicas: 2\n");
        const r = await lib(`cd "${path.resolve(__dirname, "../..")}"; check_stack_yaml "${f}" "up broken"; echo went-on`);
        expect(r.code).toBe(1);
        expect(r.out).toContain("FAILED step: up broken");
        expect(r.out).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid YAML: line 5, column 1: `));
        expect(r.out).not.toContain("went-on");
    });
    it("lets a valid stack file through", async () => {
        const f = path.join(dir, "Pulumi.ok.yaml");
        fs.writeFileSync(f, "config:\n  berth:target: docker\n");
        expect((await lib(`cd "${path.resolve(__dirname, "../..")}"; check_stack_yaml "${f}" "up ok" && echo went-on`)).out).toContain("went-on");
    });
});

describe("report_url", () => {
    let server: http.Server;
    let base = "";
    let status = 200;
    beforeAll(async () => {
        server = http.createServer((_req, res) => res.writeHead(status).end("hi"));
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("prints a URL that answers", async () => {
        status = 200;
        const r = await lib(`report_url dev ${base}/`);
        expect(r.code).toBe(0);
        expect(r.out).toContain(`the app answers at: ${base}/ (HTTP 200)`);
    });
    it("fails, never printing it as answering, when it answers only with an error status", async () => {
        status = 503;
        const r = await lib(`report_url dev ${base}/`);
        expect(r.code).toBe(1);
        expect(r.out).toContain("FAILED step: check dev");
        expect(r.out).toContain("last HTTP status: 503");
        expect(r.out).not.toContain("answers at");
    });
    it("fails when nothing listens", async () => {
        const r = await lib(`report_url staging http://127.0.0.1:9/`);
        expect(r.code).toBe(1);
        expect(r.out).toContain("nothing answered at http://127.0.0.1:9/");
        expect(r.out).not.toContain("answers at");
    });
    it("says a cluster-internal name is one instead of checking it", async () => {
        const r = await lib(`report_url staging http://web.berth-staging.svc.cluster.local:8080`);
        expect(r.code).toBe(0);
        expect(r.out).toContain("not reachable from this machine");
        expect(r.out).not.toContain("answers at");
    });
});
