// The checks berth generates, run for real, in images with no shell at all.
// The Docker target's health checks: each check's command, exactly as berth
// puts it in a container's healthcheck, runs in a `FROM scratch` image that
// holds nothing but the checker where berth places it (/.berth/busybox, from
// Debian's busybox-static), on the local Docker engine (host network), against
// a server on 127.0.0.1 that answers 2xx, 3xx, 4xx and 5xx, or is not there.
// Healthy must mean what the spec says: a 2xx answer, or a redirect to one
// (HTTP), an open port (TCP). The Kubernetes target's dependency wait runs in
// berth's checker image (components/checker), built here as a cluster gets it.
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKER, CHECKER_CONTEXT, checkerBinary } from "../../components/checker";
import { healthcheck } from "../../components/docker";
import { waitContainer } from "../../components/kubernetes";
import { ResolvedService } from "../../components/target";
import { RUN_ID, requireTool, run } from "./engine";

/** A FROM scratch image with only the checker at CHECKER: no shell, no libraries. */
const IMAGE = `berth-e2e-scratch-checker:${RUN_ID}`;
/** berth's checker image, as Kubernetes runs it for a dependency wait. */
const WAIT_IMAGE = `berth-e2e-checker:${RUN_ID}`;

function buildImages(): void {
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "berth-scratch-checker-"));
    try {
        fs.copyFileSync(checkerBinary(), path.join(ctx, "busybox"));
        fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM scratch\nCOPY busybox ${CHECKER}\n`);
        run("docker", ["build", "--quiet", "--tag", IMAGE, ctx]);
    } finally {
        fs.rmSync(ctx, { recursive: true, force: true });
    }
}
const seen: string[] = [];
let server: http.Server;
let port = 0;
let closedPort = 0;

/** A port on 127.0.0.1 that nothing listens on: bound, then released. */
async function unusedPort(): Promise<number> {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const p = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    return p;
}

/**
 * Runs a generated check in a container; its exit code (0: healthy). Async:
 * the server it checks runs in this process.
 */
function runCheck(check: Parameters<typeof healthcheck>[0]): Promise<number> {
    const tests = healthcheck(check).tests as string[];
    expect(tests[0]).toBe("CMD");
    return new Promise((resolve, reject) => {
        const p = spawn("docker", ["run", "--rm", "--network", "host", IMAGE, ...tests.slice(1)], { stdio: "ignore" });
        const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
        p.on("error", reject);
        p.on("exit", (code, signal) => {
            clearTimeout(timer);
            code === null ? reject(new Error(`docker run did not finish: ${signal}`)) : resolve(code);
        });
    });
}
const http_ = (path: string, p = port) => runCheck({ http: { path, port: p }, intervalSeconds: 2, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 });
const tcp = (p: number) => runCheck({ tcp: { port: p }, intervalSeconds: 2, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 });

describe("the Docker target's generated health checks, run in a container", () => {
    beforeAll(async () => {
        requireTool("a Docker engine", () => run("docker", ["info"]), "npm run setup starts one");
        requireTool("berth's checker binary (Debian's busybox-static)", () => fs.accessSync(checkerBinary()), "npm run setup installs it");
        buildImages();
        server = http.createServer((req, res) => {
            seen.push(req.url!);
            const status = Number(/^\/status\/(\d{3})/.exec(req.url!)?.[1] ?? 200);
            res.writeHead(status, status >= 300 && status < 400 ? { location: "/" } : {});
            res.end("ok\n");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as AddressInfo).port;
        closedPort = await unusedPort();
    });
    afterAll(async () => {
        await new Promise((r) => server?.close(r));
        run("docker", ["image", "rm", IMAGE]);
    });

    it.each([200, 204, 302])("HTTP: healthy on %i", async (status) => expect(await http_(`/status/${status}`)).toBe(0));
    it.each([404, 500, 503])("HTTP: unhealthy on %i", async (status) => expect(await http_(`/status/${status}`)).not.toBe(0));
    it("HTTP: unhealthy when nothing listens", async () => expect(await http_("/status/200", closedPort)).not.toBe(0));
    it("HTTP: sends a path with quotes, %, $ and an encoded space as it is", async () => {
        const path = `/status/200/it's/"100%"/%s/%25/$(id)/$HOME/a%20b`;
        expect(await http_(path)).toBe(0);
        expect(seen).toContain(path);
    });
    it("TCP: healthy when the port is open, unhealthy when it is not", async () => {
        expect(await tcp(port)).toBe(0);
        expect(await tcp(closedPort)).not.toBe(0);
    });
});

/** Starts a listener on 127.0.0.1:port after `delayMs`; returns a closer. */
function listenLater(p: number, delayMs: number): () => Promise<void> {
    const srv = http.createServer((_, res) => res.end());
    const timer = setTimeout(() => srv.listen(p, "127.0.0.1"), delayMs);
    return () => new Promise((r) => (clearTimeout(timer), srv.listening ? srv.close(() => r()) : r()));
}

/** Runs the wait-for command in a container for at most `limitMs`: whether it finished, and when. */
function runWaitFor(p: number, limitMs: number): Promise<{ finished: boolean; code: number | null; ms: number }> {
    const started = Date.now();
    const name = `berth-waitfor-${process.pid}-${p}`;
    return new Promise((resolve, reject) => {
        const wait = waitContainer({ name: "127.0.0.1", ports: [{ port: p, protocol: "tcp" }], health: {} } as unknown as ResolvedService, WAIT_IMAGE);
        const argv = wait.command as string[];
        const c = spawn("docker", ["run", "--rm", "--name", name, "--network", "host", "--read-only", "--user", "65534:65534", "--cap-drop", "ALL", "--entrypoint", argv[0], WAIT_IMAGE, ...argv.slice(1)], { stdio: "ignore" });
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            spawn("docker", ["rm", "-f", name], { stdio: "ignore" });
        }, limitMs);
        c.on("error", reject);
        c.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ finished: !timedOut, code, ms: Date.now() - started });
        });
    });
}

describe("the Kubernetes target's wait-for init container, run from berth's checker image as the pod runs it", () => {
    let freePort = 0;
    beforeAll(async () => {
        requireTool("the base image berth/debian:bookworm", () => run("docker", ["image", "inspect", "berth/debian:bookworm"]), "npm run setup builds it");
        run("docker", ["build", "--quiet", "--tag", WAIT_IMAGE, CHECKER_CONTEXT]);
        freePort = await unusedPort();
    }, 300_000);
    afterAll(() => void run("docker", ["image", "rm", WAIT_IMAGE]));

    it("returns at once when the dependency answers", async () => {
        const close = listenLater(freePort, 0);
        try {
            await new Promise((r) => setTimeout(r, 200));
            const r = await runWaitFor(freePort, 20_000);
            expect(r).toMatchObject({ finished: true, code: 0 });
        } finally {
            await close();
        }
    });
    it("waits for a dependency that comes up late, then returns", async () => {
        const close = listenLater(freePort, 4000);
        try {
            const r = await runWaitFor(freePort, 30_000);
            expect(r).toMatchObject({ finished: true, code: 0 });
            expect(r.ms).toBeGreaterThanOrEqual(4000);
        } finally {
            await close();
        }
    });
    it("keeps waiting while nothing answers", async () => {
        const r = await runWaitFor(freePort, 5000);
        expect(r.finished).toBe(false);
    });
});
