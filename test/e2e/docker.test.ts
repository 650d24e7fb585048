// The demo app on the local Docker engine (the dev stack's target), deployed
// by the real Pulumi engine with pulumi-resource-docker. One deployed stack
// is shared by the checks, in order: up (with berth's policy pack, by folder);
// the app answers through the generated load balancer on 127.0.0.1 from both
// web replicas; preview and refresh show no changes (built images included);
// the live containers carry berth's security defaults; a replica killed from
// the host is restarted while the app keeps answering; three rolling updates
// of web under load fail no request; db's data survives an image update (a
// stop-first replacement) and destroy + up; destroy leaves only the retained
// volume (and the images it built, which the test removes). web publishes
// E2E_PUBLISH_PORT, so that the suite runs beside a dev stack left up. What is checked
// is read from `docker` and from the app, not from Pulumi's state.
//
// A missing Docker engine or plugin FAILS this suite with what is missing.
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POLICY_PACK, previewStack } from "../../review/preview";
import { policyConfigFor } from "../../review/stack";
import { summarize } from "../../review/summary";
import { E2E_PUBLISH_PORT, E2eStack, REPO, RUN_ID, branchPublishingE2ePort, builtImages, newStack, progress, requireDockerTarget, requirePortFree, run, runLong, stateFilesHolding, teardownDocker, until, load } from "./engine";

const STACK = `e2e-docker-${RUN_ID}`;
const PREFIX = `berth-${STACK}`;

interface Inspected {
    Id: string;
    Name: string;
    RestartCount: number;
    State: { Pid: number; Running: boolean; Health?: { Status: string } };
    Config: { Env: string[]; Image: string; Labels: Record<string, string> };
    HostConfig: { SecurityOpt: string[] | null; CapDrop: string[] | null; CapAdd: string[] | null; Privileged: boolean; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null; ReadonlyRootfs: boolean };
}

/** The stack's containers, as the engine holds them, by label (not by Pulumi's state). */
function containers(service?: string): Inspected[] {
    const filters = ["--filter", `label=berth.dev/stack=${STACK}`, ...(service ? ["--filter", `label=berth.dev/service=${service}`] : [])];
    const ids = run("docker", ["ps", "-aq", ...filters]).split("\n").filter(Boolean);
    return ids.length ? (JSON.parse(run("docker", ["inspect", ...ids])) as Inspected[]) : [];
}
const replicas = (service: string) => containers(service).filter((c) => c.Config.Labels["berth.dev/role"] !== "load-balancer");
const dockerNames = (kind: "network" | "volume") => run("docker", [kind, "ls", "--format", "{{.Name}}"]).split("\n").filter((n) => n.startsWith(PREFIX));

interface Visit {
    visits: number;
    hostname: string;
}
async function visit(url: string): Promise<Visit> {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Visit;
}

describe("docker target: dev stack on the local engine", () => {
    let s: E2eStack;
    let url: string;
    // The program deployed: a branch of the repo's, so that tests can change web and db as a pull request would.
    const branch = branchPublishingE2ePort();
    const password = `pw-${randomBytes(12).toString("hex")}`;
    /** Every engine event of this suite's runs (the event log the engine streams), scanned for the secret at the end. */
    const events: string[] = [];
    const onEvent = (e: unknown) => events.push(JSON.stringify(e));
    const up = (label: string) => s.stack.up({ onOutput: progress(label), onEvent });

    beforeAll(async () => {
        requireDockerTarget();
        requirePortFree(E2E_PUBLISH_PORT);
        expect([...containers().map((c) => c.Name), ...dockerNames("network"), ...dockerNames("volume")]).toEqual([]);
        s = await newStack(STACK, { target: "docker", docker: { publishAddress: "127.0.0.1" }, services: {} }, { dbPassword: password }, branch);
    });

    afterAll(async () => {
        try {
            await teardownDocker(s, STACK);
        } finally {
            fs.rmSync(branch, { recursive: true, force: true });
        }
    });

    it("up (with berth's policy pack, by folder) deploys the app; it answers through its load balancer from both replicas", async () => {
        const out = await s.stack.up({ onOutput: progress("up"), onEvent, policyPacks: [POLICY_PACK], policyPackConfigs: [policyConfigFor("dev")!] });
        expect(out.stdout).toMatch(/Policies:[\s\S]*berth@v0\.1\.0/);
        url = out.outputs.url.value as string;
        expect(url).toBe(`http://127.0.0.1:${E2E_PUBLISH_PORT}`);
        const hosts = new Set<string>();
        let last = 0;
        for (let i = 0; i < 40 && hosts.size < 2; i++) {
            const body = await visit(url);
            expect(body.visits).toBeGreaterThan(last);
            last = body.visits;
            hosts.add(body.hostname);
        }
        // Both replicas answer, and they are the two web containers.
        expect([...hosts].sort()).toEqual(replicas("web").map((c) => c.Id.slice(0, 12)).sort());
        expect(replicas("web").every((c) => c.State.Health?.Status === "healthy")).toBe(true);
    });

    it("previews and refreshes with no changes, built images included", async () => {
        expect(builtImages(STACK).map((i) => i.split(":")[0]).sort()).toEqual([`${PREFIX}-db`, `${PREFIX}-lb`, `${PREFIX}-redis`, `${PREFIX}-web`, `${PREFIX}-worker`]);
        await s.stack.preview({ expectNoChanges: true, onOutput: progress("preview"), onEvent });
        await s.stack.refresh({ expectNoChanges: true, onOutput: progress("refresh"), onEvent });
        const sum = summarize(await previewStack(STACK, s.env, policyConfigFor("dev"), branch));
        expect(sum.markdown).toContain("- nothing in the app changes");
        expect(sum.blocking).toEqual([]);
    });

    it("runs every container with berth's security defaults, ports on 127.0.0.1 only, the backend network internal", () => {
        const all = containers();
        expect(all.length).toBe(6); // web x2, worker, redis, db, web's load balancer
        for (const c of all) {
            expect(c.HostConfig.SecurityOpt, c.Name).toContain("no-new-privileges");
            expect(c.HostConfig.CapDrop, c.Name).toEqual(["ALL"]);
            expect(c.HostConfig.Privileged, c.Name).toBe(false);
            const bindings = Object.values(c.HostConfig.PortBindings ?? {}).flat();
            if (c.Config.Labels["berth.dev/role"] === "load-balancer") expect(bindings).toEqual([{ HostIp: "127.0.0.1", HostPort: String(E2E_PUBLISH_PORT) }]);
            else expect(bindings, `${c.Name} publishes nothing itself`).toEqual([]);
        }
        const net = (n: string) => JSON.parse(run("docker", ["network", "inspect", `${PREFIX}-${n}`]))[0];
        expect(net("backend").Internal).toBe(true);
        expect(net("frontend").Internal).toBe(false);
        // Who is on which network: db and redis only on the internal one.
        for (const svc of ["db", "redis", "worker"]) expect(Object.keys(net("frontend").Containers ?? {})).not.toContain(replicas(svc)[0].Id);
    });

    it("restarts a replica whose process is killed from the host, and the app keeps answering", async () => {
        const [victim] = replicas("web");
        const before = victim.RestartCount;
        let restarted = false;
        const during = load(visit, url, () => restarted, { min: 100, maxMs: 3 * 60_000 });
        await new Promise((r) => setTimeout(r, 1000));
        // From the host: `docker kill` would count as a manual stop, and nothing inside may SIGKILL its PID 1.
        process.kill(victim.State.Pid, "SIGKILL");
        await until(
            `${victim.Name} restarted and healthy`,
            () => {
                const c = replicas("web").find((x) => x.Id === victim.Id)!;
                return c.RestartCount > before && c.State.Health?.Status === "healthy";
            },
            2 * 60_000,
        );
        restarted = true;
        const l = await during;
        console.log(`restart: ${victim.Name} RestartCount ${before} -> ${replicas("web").find((x) => x.Id === victim.Id)!.RestartCount}; requests ${l.sent}, ok ${l.ok}, failed ${l.failed}`);
        expect(l.errors).toEqual([]);
        expect(l.failed).toBe(0);
    });

    it("rolls web to a new image and env var three times under load with zero failed requests", async () => {
        const demoTs = path.join(branch, "services/demo.ts");
        const serverJs = path.join(branch, "services/web/server.js");
        const original = fs.readFileSync(demoTs, "utf8");
        const anchor = 'build: { context: "services/web" },\n            env: { ';
        expect(original).toContain(anchor);
        for (let round = 1; round <= 3; round++) {
            const old = new Set(replicas("web").map((c) => c.Id.slice(0, 12)));
            const others = ["db", "redis", "worker"].flatMap((svc) => replicas(svc).map((c) => c.Id)).sort();
            const oldImage = replicas("web")[0].Config.Image;
            // A pull request's change: web's code (a new image build) and an env var.
            fs.appendFileSync(serverJs, `// rollout ${round}\n`);
            fs.writeFileSync(demoTs, original.replace(anchor, `${anchor}ROLLOUT: "${round}", `));
            if (round === 1) {
                // What a reviewer reads for this pull request on the dev stack: web alone changes, in words.
                const sum = summarize(await previewStack(STACK, s.env, policyConfigFor("dev"), branch));
                expect(sum.markdown).toMatch(/- \*\*web\*\*: image build services\/web@\w+ -> build services\/web@\w+; new env var ROLLOUT/);
                expect(sum.markdown).toContain("| 0 | 1 | 2 | 0 |"); // web's image rebuilt, its two containers replaced
                for (const other of ["db", "redis", "worker"]) expect(sum.markdown).not.toContain(`**${other}**`);
                expect(sum.markdown).not.toContain(password);
            }
            let updated = false;
            const during = load(visit, url, () => updated, { clients: 4, min: 300, maxMs: 8 * 60_000 });
            try {
                await up(`rollout ${round}`);
            } finally {
                updated = true;
            }
            const l = await during;
            if (l.failed) {
                // What the load balancer saw (its httplog: status and termination state per request).
                const lb = containers("web").find((c) => c.Config.Labels["berth.dev/role"] === "load-balancer")!;
                const log = run("docker", ["logs", "--since", "10m", lb.Id]).split("\n").filter((x) => x && !/ 200 \d+ /.test(x));
                console.log(`load balancer log, requests not answered 200:\n${log.slice(-30).join("\n")}`);
            }
            const now = replicas("web");
            const seenOld = [...l.hosts.keys()].filter((h) => old.has(h));
            const seenNew = [...l.hosts.keys()].filter((h) => now.some((c) => c.Id.startsWith(h)));
            console.log(
                `rolling update ${round}: requests ${l.sent}, ok ${l.ok}, failed ${l.failed}; answered by old replicas ${seenOld.map((h) => `${h} x${l.hosts.get(h)}`).join(", ")}; new ${seenNew.map((h) => `${h} x${l.hosts.get(h)}`).join(", ")}`,
            );
            expect(l.errors).toEqual([]);
            expect(l.failed).toBe(0);
            expect(l.sent).toBeGreaterThanOrEqual(300);
            expect(seenOld.length).toBeGreaterThan(0);
            expect(seenNew.length).toBeGreaterThan(0);
            expect(now.length).toBe(2);
            // Only web changed: every other service runs the same containers.
            expect(["db", "redis", "worker"].flatMap((svc) => replicas(svc).map((c) => c.Id)).sort()).toEqual(others);
            for (const c of now) {
                expect(old.has(c.Id.slice(0, 12))).toBe(false);
                expect(c.Config.Env).toContain(`ROLLOUT=${round}`);
                expect(c.Config.Image).not.toBe(oldImage);
            }
        }
        await s.stack.preview({ expectNoChanges: true, onOutput: progress("preview after rollouts"), onEvent });
    });

    it("keeps db's data across an image update (stop-first replacement), destroy and up", async () => {
        const before = (await visit(url)).visits;
        const [oldDb] = replicas("db");
        // db's image changes: its container is replaced, the old one stopped first (one data directory).
        fs.appendFileSync(path.join(branch, "services/db/Dockerfile"), `LABEL berth.e2e/round="${RUN_ID}"\n`);
        await up("db image");
        const [newDb] = replicas("db");
        expect(newDb.Id).not.toBe(oldDb.Id);
        expect(newDb.Config.Image).not.toBe(oldDb.Config.Image);
        const afterUpdate = (await visit(url)).visits;
        expect(afterUpdate).toBe(before + 1);

        // npm run down, after a container was removed behind the engine's back (a user's
        // `docker rm -f`): nothing of the stack is left but the retained volume and the images it built.
        run("docker", ["rm", "-f", replicas("worker")[0].Id]);
        const down = await runLong("bash", [path.join(REPO, "scripts/down"), STACK], s.env);
        expect(down).toContain(`destroyed ${STACK}`);
        expect(containers().map((c) => c.Name)).toEqual([]);
        expect(dockerNames("network")).toEqual([]);
        expect(dockerNames("volume")).toEqual([`${PREFIX}-pgdata`]);
        // pulumi-docker 4.11's Image delete removes nothing: the built images stay in the
        // engine's image store (README: "Built images"); afterAll removes them.
        expect(builtImages(STACK).length).toBeGreaterThanOrEqual(5);

        // npm run up: the retained volume is adopted by name, with every visit in it.
        const again = await up("up again");
        expect(again.outputs.url.value).toBe(url);
        expect((await visit(url)).visits).toBe(afterUpdate + 1);
        await s.stack.preview({ expectNoChanges: true, onOutput: progress("preview after re-up"), onEvent });
        // The secret is in the containers' env (docker inspect shows it: the README says so and offers `as: file`), never in plain text in a state file the engine kept (checkpoints, .bak, history, backups) or in the outputs.
        expect(stateFilesHolding(STACK, password)).toEqual([]);
        expect(events.length).toBeGreaterThan(100);
        expect(events.filter((e) => e.includes(password) || e.includes(Buffer.from(password).toString("base64"))).length, "engine events holding the secret").toBe(0);
        expect(JSON.stringify(await s.stack.outputs())).not.toContain(password);
    });
});
