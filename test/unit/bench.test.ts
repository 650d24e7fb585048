// npm run bench cannot rot: its smallest size runs here (no timed assertion),
// and what it compares is checked to be the same thing on each side: the
// hand-written program registers exactly berth's custom resources (types,
// names, inputs), and the Compose file runs the containers berth renders
// (images' contexts, replicas, health checks, limits, networks, volume, env).
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { demoApp, scaleApp } from "../../bench/apps";
import { constructBench, constructTable } from "../../bench/construct";
import { owner, profileBench, profileTable } from "../../bench/profile";
import { renderProgram } from "../../bench/mocks";
import { demoDocker, scaleDocker, scaleKubernetes } from "../../bench/programs/handwritten/app";
import { touchedNames } from "../../bench/docker";
import { devTable, previewTable, report, scaleTable } from "../../bench/run";
import { haproxyConfig } from "../../components/docker";
import * as pulumi from "@pulumi/pulumi";
import { render } from "./harness";

const REPO = path.resolve(__dirname, "../..");
const SRC = path.join(REPO, "services");
const KUBECONFIG = path.join(__dirname, "fixtures", "kubeconfig-local.yaml");
const custom = (rs: { type: string; name: string; inputs: any }[]) =>
    rs
        .filter((r) => !r.type.startsWith("berth:"))
        .map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }))
        .sort((a, b) => a.name.localeCompare(b.name));

describe("the hand-written program declares berth's resources", () => {
    it("Docker, the demo (web published on a bench port)", async () => {
        const berth = await render(demoApp(SRC, 38080) as any, { target: "docker" }, { stack: "bench-t", secrets: { dbPassword: "pw" } });
        const hand = await renderProgram(
            () => demoDocker({ project: "berth", stack: "bench-t", src: SRC, lbContext: path.join(REPO, "components/lb"), port: 38080, password: pulumi.secret("pw") }),
            {},
            [],
            "bench-t",
        );
        expect(custom(hand)).toEqual(custom(berth.resources));
    });

    it("Docker and Kubernetes, the N-service app", async () => {
        const berthD = await render(scaleApp(3) as any, { target: "docker" }, { stack: "bench-t" });
        expect(custom(await renderProgram(() => scaleDocker({ project: "berth", stack: "bench-t", services: 3 }), {}, [], "bench-t"))).toEqual(custom(berthD.resources));
        const berthK = await render(scaleApp(3) as any, { target: "kubernetes", kubernetes: { namespace: "bench-t" } }, { stack: "bench-t", kubeconfigEnv: KUBECONFIG });
        const kc = process.env.KUBECONFIG;
        process.env.KUBECONFIG = KUBECONFIG;
        try {
            const hand = await renderProgram(() => scaleKubernetes({ project: "berth", stack: "bench-t", services: 3, namespace: "bench-t" }), {}, [], "bench-t");
            expect(custom(hand)).toEqual(custom(berthK.resources));
        } finally {
            if (kc === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = kc;
        }
    });

    it("the HAProxy configuration both use is berth's", () => {
        const svc = { name: "web", ports: [{ port: 8080, publish: 38080, protocol: "tcp" }], health: { readiness: { http: { path: "/healthz", port: 8080 } } } };
        expect(fs.readFileSync(path.join(REPO, "bench/haproxy.cfg"), "utf8")).toBe(haproxyConfig(svc as any));
    });
});

describe("the Compose file runs the containers berth renders", async () => {
    const berth = await render(demoApp(SRC, 38080) as any, { target: "docker" }, { stack: "bench-t", secrets: { dbPassword: "pw" } });
    const compose = yaml.load(fs.readFileSync(path.join(REPO, "bench/compose/compose.yaml"), "utf8")) as any;
    const containers = berth.ofType("docker:index/container:Container");
    const dur = (s: string) => s;

    for (const svc of ["db", "redis", "web", "worker"]) {
        it(svc, () => {
            const mine = containers.filter((c) => c.name.startsWith(`demo-${svc}-`) && c.name !== "demo-web-lb");
            const c = mine[0].inputs;
            const s = compose.services[svc];
            expect(s.deploy?.replicas ?? 1).toBe(mine.length);
            expect(s.build.context).toBe(`\${BENCH_SRC}/${svc}`);
            const test = s.healthcheck.test.map((x: string) => x.replace(/\$\$/g, "$"));
            expect(test).toEqual(c.healthcheck.tests);
            expect([s.healthcheck.interval, s.healthcheck.timeout, s.healthcheck.retries, s.healthcheck.start_period]).toEqual([dur(c.healthcheck.interval), dur(c.healthcheck.timeout), c.healthcheck.retries, c.healthcheck.startPeriod]);
            expect(String(s.cpus)).toBe(c.cpus);
            expect([s.mem_limit, s.memswap_limit, s.mem_reservation]).toEqual([`${c.memory}m`, `${c.memorySwap}m`, `${c.memoryReservation}m`]);
            expect(s.networks).toEqual(c.networksAdvanced.map((n: any) => n.name.replace("berth-bench-t-", "")));
            // berth uploads its checker where the check needs it; Compose bind-mounts the same binary there.
            const checker = "/bin/busybox:/.berth/busybox:ro";
            expect((s.volumes ?? []).includes(checker)).toBe((c.uploads ?? []).some((u: any) => u.file === "/.berth/busybox" && u.source === "/bin/busybox"));
            expect((s.volumes ?? []).filter((v: string) => v !== checker)).toEqual(c.volumes.map((v: any) => `${v.volumeName.replace("berth-bench-t-", "")}:${v.containerPath}`));
            const env = Object.entries(s.environment ?? {}).map(([k, v]) => `${k}=${String(v).replace("${BENCH_PW}", "pw")}`);
            expect(env).toEqual(Array.isArray(c.envs) ? c.envs : c.envs.value);
            expect([s.restart, s.security_opt, s.cap_drop]).toEqual([c.restart, c.securityOpts, c.capabilities.drops]);
        });
    }

    it("the load balancer", () => {
        const lb = berth.byName("demo-web-lb").inputs;
        const s = compose.services.lb;
        expect(s.healthcheck.test.map((x: string) => x.replace(/\$\$/g, "$").replace("${BENCH_PORT}", "38080"))).toEqual(lb.healthcheck.tests);
        expect(s.depends_on).toEqual({ web: { condition: "service_healthy" } });
        expect(s.volumes).toContain("/bin/busybox:/.berth/busybox:ro");
        expect(lb.uploads.map((u: any) => u.file)).toContain("/.berth/busybox");
        expect(s.ports).toEqual(["127.0.0.1:${BENCH_PORT}:${BENCH_PORT}"]);
        expect(compose.networks.backend.internal).toBe(true);
    });
});

describe("npm run bench at its smallest size", () => {
    it("construction: berth and the hand-written program render the same resources, and the table says so", async () => {
        const rows = await constructBench([1], 1);
        expect(rows.map((r) => `${r.target} ${r.mode}`)).toEqual(["docker as-run", "docker no-srcmap", "docker no-stacks", "kubernetes as-run", "kubernetes no-srcmap", "kubernetes no-stacks"]);
        for (const r of rows) {
            // berth adds its components (App, Network, Service) to the same custom resources.
            expect(r.resources.berth - r.resources.handwritten).toBe(3);
            expect(r.berth.n).toBe(1);
        }
        const table = constructTable(rows, 1);
        expect(table.split("\n").filter((l) => l.startsWith("| docker") || l.startsWith("| kubernetes"))).toHaveLength(6);
    }, 120_000);

    it("profile: every sample's self time is charged to one owner, berth's own code by its path", async () => {
        const rows = await profileBench(1);
        expect(rows.map((r) => `${r.target} ${r.side}`)).toEqual(["docker berth", "docker hand-written", "kubernetes berth", "kubernetes hand-written"]);
        for (const r of rows) {
            expect(r.totalMs).toBeGreaterThan(0);
            expect(r.owners.reduce((a, o) => a + o.ms, 0)).toBeCloseTo(r.totalMs, 3);
        }
        expect(owner(`file://${path.join(REPO, "components/kubernetes.ts")}`, "deploy")).toBe("berth (components/)");
        expect(owner(path.join(REPO, "node_modules/zod/v4/core/schemas.js"), "parse")).toBe("zod (berth's spec)");
        expect(owner(path.join(REPO, "node_modules/@pulumi/pulumi/runtime/debuggable.js"), "debuggablePromise")).toBe("Pulumi SDK (@pulumi/pulumi)");
        expect(owner(path.join(REPO, "node_modules/@cspotcode/source-map-support/source-map-support.js"), "wrapCallSite")).toMatch(/^source maps/);
        expect(owner("", "(garbage collector)")).toBe("garbage collector");
        expect(owner("node:inspector", "post")).toBe("the profiler itself (node:inspector)");
        expect(owner("node:events", "emit")).toBe("Node (built-in modules)");
        const table = profileTable(rows);
        expect(table).toContain("| **berth's own code (components/ and zod), per service** |");
    }, 120_000);

    it("the update's touched resources are read from the engine's progress lines", () => {
        const out = [
            " ++  docker:index:Container demo-web-0 creating replacement (3s) [diff: ~image]",
            " +-  docker:index:Container demo-web-0 replaced (0.01s) [diff: ~image]",
            " +-  docker:index:Image demo-web-image replaced (1s)",
            " ~   pulumi:pulumi:Stack berth-bench-dev updated (0.1s)",
            "     docker:index:Container demo-db-0  (0s)",
        ].join("\n");
        expect(touchedNames(out)).toEqual(["demo-web-0 replaced", "demo-web-image replaced", "berth-bench-dev updated"].sort());
    });

    it("the report's tables hold every ratio (from recorded samples)", () => {
        const s = (side: any, round: number, upMs: number, updateMs?: number) => ({ side, round, images: "cached" as const, upMs, updateMs, touchedWhat: updateMs ? "replace 3" : undefined, load: 1 });
        const dev = devTable([s("berth", 0, 40000, 20000), s("compose", 0, 20000, 10000), s("floor", 0, 10000), s("berth", 1, 44000, 22000), s("compose", 1, 22000, 11000), s("floor", 1, 11000)]);
        expect(dev).toContain("| 2.00x (2.00 to 2.00) |");
        expect(dev).toContain("0.50x (0.50 to 0.50)");
        const st = (m: number) => ({ median: m, min: m, max: m, n: 1 });
        const pv = previewTable([{ target: "docker", app: "demo", berth: st(11000), handwritten: st(10000), ratio: st(1.1), transpileOnly: { berth: st(6300), handwritten: st(6000), ratio: st(1.05) }, load: [1] }]);
        expect(pv).toContain("| as run | 11.0 s (11.0 to 11.0) | 10.0 s (10.0 to 10.0) | 1.10x (1.10 to 1.10) |");
        expect(pv).toContain("| no type check | 6.3 s (6.3 to 6.3) | 6.0 s (6.0 to 6.0) | 1.05x (1.05 to 1.05) |");
        expect(scaleTable([{ program: "berth", services: 50, resources: 157, previewMs: 1, upMs: 50000, noopPreviewMs: 1, destroyMs: 1, load: 1 }])).toContain("| 1000 ms |");
        expect(report({})).toBe("");
    });
});
