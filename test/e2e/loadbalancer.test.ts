// The load balancer the Docker target generates, run for real: HAProxy from
// components/lb with the configuration berth writes for a published service,
// in front of stand-in replicas on a Docker network of its own (each replica
// answers its own hostname under the service's network alias, as berth's
// containers do). It must spread requests over the replicas, find a replica
// that starts later by DNS, and fail no request when one disappears.
import { randomBytes } from "crypto";
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LB_CONTEXT, haproxyConfig } from "../../components/docker";
import { contextHash } from "../../components/images";
import { ResolvedService } from "../../components/target";
import { requirePortFree, requireTool, run } from "./engine";

const ID = randomBytes(3).toString("hex");
const NET = `berth-lbtest-${ID}`;
const PORT = 18090;
// Kept between runs as the build cache of this test (tagged by its context's hash).
const IMAGE = `berth-test/lb:${contextHash(LB_CONTEXT)}`;
const started: string[] = [];

/** A container of the LB image on the test network, running HAProxy with `config`. */
function haproxy(name: string, config: string, extra: string[] = []): string {
    const cfg = Buffer.from(config).toString("base64");
    run("docker", ["run", "-d", "--name", name, "--hostname", name, "--network", NET, ...extra, "-e", `CFG=${cfg}`, IMAGE, "bash", "-c", 'echo "$CFG" | base64 -d >/tmp/h.cfg && exec haproxy -W -db -f /tmp/h.cfg']);
    started.push(name);
    return name;
}

/** A stand-in replica of service "web": answers 200 with its hostname on 8080, under the alias web. */
const replica = (n: number) =>
    haproxy(`${NET}-web-${n}`, ["defaults", "  mode http", "  timeout connect 2s", "  timeout client 10s", "  timeout server 10s", "frontend f", "  bind *:8080", '  http-request return status 200 content-type text/plain lf-string "%[hostname]"', ""].join("\n"), [
        "--network-alias",
        "web",
    ]);

const svc = {
    name: "web",
    ports: [{ port: 8080, publish: PORT, protocol: "tcp" }],
    health: { readiness: { http: { path: "/healthz", port: 8080 }, intervalSeconds: 2, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 } },
} as unknown as ResolvedService;

async function get(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${PORT}/`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return (await res.text()).trim();
}

/** Sends up to `max` requests (one at a time, to 127.0.0.1) until `enough` holds; the hostnames seen and the failures. */
async function send(max: number, enough: (seen: Set<string>) => boolean = () => false): Promise<{ seen: Set<string>; failed: string[] }> {
    const seen = new Set<string>();
    const failed: string[] = [];
    for (let i = 0; i < max && !enough(seen); i++) {
        try {
            seen.add(await get());
        } catch (e) {
            failed.push((e as Error).message);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    return { seen, failed };
}

describe("the generated HAProxy load balancer, run in front of replicas", () => {
    beforeAll(async () => {
        requireTool("a Docker engine", () => run("docker", ["info"]), "npm run setup starts one");
        requirePortFree(PORT);
        try {
            run("docker", ["image", "inspect", IMAGE]);
        } catch {
            run("docker", ["build", "-q", "-t", IMAGE, LB_CONTEXT], { ...(process.env as Record<string, string>), DOCKER_BUILDKIT: "0" });
        }
        run("docker", ["network", "create", "--label", "berth.dev/test=loadbalancer", NET]);
        replica(1);
        replica(2);
        haproxy(`${NET}-lb`, haproxyConfig(svc), ["-p", `127.0.0.1:${PORT}:${PORT}`]);
        // Up when it answers at all.
        const first = await send(100, (s) => s.size > 0);
        if (first.seen.size === 0) throw new Error(`the load balancer never answered: ${first.failed.slice(-3).join("; ")}\n${run("docker", ["logs", `${NET}-lb`])}`);
    });

    afterAll(() => {
        if (started.length) run("docker", ["rm", "-f", ...started]);
        try {
            run("docker", ["network", "rm", NET]);
        } catch {
            // never created
        }
    });

    it("spreads requests over both replicas", async () => {
        const r = await send(40, (s) => s.size === 2);
        expect(r.failed).toEqual([]);
        expect([...r.seen].sort()).toEqual([`${NET}-web-1`, `${NET}-web-2`]);
    });

    it("finds a replica that starts later, by DNS", async () => {
        replica(3);
        const r = await send(400, (s) => s.has(`${NET}-web-3`));
        expect(r.failed).toEqual([]);
        expect(r.seen).toContain(`${NET}-web-3`);
    });

    it("fails no request when a replica disappears", async () => {
        let done = false;
        const during = (async () => {
            const r = { n: 0, failed: [] as string[] };
            while (!done && r.n < 2000) {
                r.n++;
                try {
                    await get();
                } catch (e) {
                    r.failed.push((e as Error).message);
                }
                await new Promise((res) => setTimeout(res, 20));
            }
            return r;
        })();
        await new Promise((r) => setTimeout(r, 1000));
        run("docker", ["rm", "-f", `${NET}-web-1`]);
        await new Promise((r) => setTimeout(r, 4000));
        done = true;
        const r = await during;
        console.log(`replica removed under load: ${r.n} requests, ${r.failed.length} failed`);
        expect(r.failed).toEqual([]);
        const after = await send(40, (s) => s.size === 2);
        expect([...after.seen].sort()).toEqual([`${NET}-web-2`, `${NET}-web-3`]);
    });
    it("passes a published port without an HTTP check through as TCP (mode tcp): a server that speaks first reaches the client, from both replicas", async () => {
        const PORT3 = PORT + 2;
        requirePortFree(PORT3);
        // Stand-in replicas of a database-like service "db": on connect they send a line (as SMTP or MySQL do) and close.
        for (const n of [1, 2]) {
            const name = `${NET}-db-${n}`;
            const server = 'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 5432, Listen => 16, ReuseAddr => 1) or die $!; while (my $c = $s->accept) { print $c "hello from $ENV{HOSTNAME}\\n"; close $c }';
            run("docker", ["run", "-d", "--name", name, "--hostname", name, "--network", NET, "--network-alias", "db", IMAGE, "perl", "-e", server]);
            started.push(name);
        }
        const db = { name: "db", ports: [{ port: 5432, publish: PORT3, protocol: "tcp" }], health: { readiness: { tcp: { port: 5432 }, intervalSeconds: 2, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 } } } as unknown as ResolvedService;
        haproxy(`${NET}-db-lb`, haproxyConfig(db), ["-p", `127.0.0.1:${PORT3}:${PORT3}`]);
        const greet = () =>
            new Promise<string>((resolve, reject) => {
                const sock = net.connect(PORT3, "127.0.0.1");
                let got = "";
                sock.setTimeout(3000, () => (sock.destroy(), reject(new Error(`no line within 3 s (got ${JSON.stringify(got)})`))));
                sock.on("data", (d) => (got += d));
                sock.on("end", () => resolve(got.trim()));
                sock.on("error", reject);
            });
        const seen = new Set<string>();
        let last = "";
        for (let i = 0; i < 100 && seen.size < 2; i++) {
            try {
                const line = await greet();
                if (line.startsWith("hello from ")) seen.add(line);
                else last = line;
            } catch (e) {
                last = (e as Error).message;
            }
            if (seen.size < 2) await new Promise((r) => setTimeout(r, 200));
        }
        expect([...seen].sort(), `last: ${last}; ${run("docker", ["logs", "--tail", "5", `${NET}-db-lb`])}`).toEqual([`hello from ${NET}-db-1`, `hello from ${NET}-db-2`]);
    });
    it("checks a health path holding HAProxy's own syntax (quotes, backslash, #) as that path, percent-encoded", async () => {
        const PORT2 = PORT + 1;
        requirePortFree(PORT2);
        const path = `/he"al'th#x\\y`;
        const onTheWire = "/he%22al%27th%23x%5Cy"; // the path as an HTTP request line carries it
        // A replica of service "odd" that is healthy only for that exact request path; / answers its hostname.
        haproxy(
            `${NET}-odd-1`,
            [
                "defaults", "  mode http", "  timeout connect 2s", "  timeout client 10s", "  timeout server 10s",
                "frontend f", "  bind *:8080",
                `  http-request return status 200 content-type text/plain string ok if { path ${onTheWire} }`,
                '  http-request return status 200 content-type text/plain lf-string "%[hostname]" if { path / }',
                "  http-request return status 503",
                "",
            ].join("\n"),
            ["--network-alias", "odd"],
        );
        const odd = { ...svc, name: "odd", ports: [{ port: 8080, publish: PORT2, protocol: "tcp" }], health: { readiness: { ...svc.health.readiness!, http: { path, port: 8080 } } } } as ResolvedService;
        // Unencoded, HAProxy refuses the quotes and never starts; a path cut at # or \ fails the check and no server is up (503).
        haproxy(`${NET}-odd-lb`, haproxyConfig(odd), ["-p", `127.0.0.1:${PORT2}:${PORT2}`]);
        let last = "";
        for (let i = 0; i < 100 && last !== `${NET}-odd-1`; i++) {
            try {
                const res = await fetch(`http://127.0.0.1:${PORT2}/`, { signal: AbortSignal.timeout(3000) });
                last = res.status === 200 ? (await res.text()).trim() : `HTTP ${res.status}`;
            } catch (e) {
                last = (e as Error).message;
            }
            if (last !== `${NET}-odd-1`) await new Promise((r) => setTimeout(r, 200));
        }
        expect(last, `the load balancer with check path ${JSON.stringify(path)}: ${run("docker", ["logs", "--tail", "5", `${NET}-odd-lb`])}`).toBe(`${NET}-odd-1`);
    });
});
