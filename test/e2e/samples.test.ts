// Issue 12: public Compose apps as a user brings them over. Each sample of
// ../shared/compose-samples is imported by the real `npm run import` (the
// module written as it comes, under apps/ of a branch of the program, whose
// index.ts deploys it in place of the demo) and deployed on the real engine:
// three on Docker, two on the local cluster (real node). No registry is
// reachable, so the samples' images run as Debian-built stand-ins
// (test/e2e/standins) mapped by the stack's `berth:images`, as a user with a
// private mirror does; on Kubernetes they are pushed to the cluster's registry.
// The only edit to an imported module: its published ports move to 183xx, so
// that the suite runs beside anything on 80, 3000 or 5432 (the edit fails the
// suite when the module no longer publishes what the sample does).
//
// Each: up; every service's stand-in answers through what berth made of the
// Compose file (logins with the sample's env to its backends over the
// sample's networks; the command's arguments reached the server; a published
// Postgres port through the load balancer); preview shows no change; refresh
// changes nothing; destroy leaves only the retained volumes / claims.
//
// A missing Docker engine, cluster or stand-in base FAILS this suite.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    E2eStack,
    REPO,
    RUN_ID,
    branchOfProgram,
    localCluster,
    newStack,
    progress,
    requireDockerTarget,
    requirePortFree,
    run,
    stackFileConfig,
    teardown,
    teardownDocker,
} from "./engine";

const SAMPLES = path.resolve(REPO, "..", "shared", "compose-samples");
const STANDINS = path.join(REPO, "test", "e2e", "standins");
const REGISTRY = "127.0.0.1:5000";

/** Stand-in images (test/e2e/standins/README.md): tag -> docker build arguments. */
const STANDIN_BUILDS: Record<string, string[]> = {
    "berth-standin/postgres:1": [path.join(STANDINS, "postgres")],
    "berth-standin/mariadb:1": [path.join(STANDINS, "mariadb")],
    "berth-standin/redis:1": [path.join(REPO, "services", "redis")],
    "berth-standin/gitea:1": ["--build-arg", "PORT=3000", "--build-arg", "DATA=/data", "--build-arg", "NAME=gitea", path.join(STANDINS, "webapp")],
    "berth-standin/nextcloud:1": ["--build-arg", "PORT=80", "--build-arg", "DATA=/var/www/html", "--build-arg", "NAME=nextcloud", path.join(STANDINS, "webapp")],
    "berth-standin/pgadmin:1": ["--build-arg", "PORT=80", "--build-arg", "DATA=/var/lib/pgadmin", "--build-arg", "NAME=pgadmin", path.join(STANDINS, "webapp")],
};

interface Sample {
    /** the folder in ../shared/compose-samples */
    dir: string;
    /** the App's name in the branch's index.ts */
    app: string;
    /** the sample's image -> its stand-in */
    images: Record<string, string>;
    /** the sample's published port -> the one this suite publishes instead */
    ports: Record<number, number>;
    /** the service whose URL answers GET / with the stand-in's JSON */
    web: string;
    /** what that JSON must hold once every backend answered */
    answer: Record<string, unknown>;
    /** the sample's named volumes (retained after destroy) */
    volumes: string[];
}

const GITEA: Sample = {
    dir: "gitea-postgres",
    app: "gitea",
    images: { "gitea/gitea:latest": "berth-standin/gitea:1", "postgres:alpine": "berth-standin/postgres:1" },
    ports: { 3000: 18301 },
    web: "gitea",
    answer: { app: "gitea", postgres: { user: "gitea", database: "gitea" } },
    volumes: ["db-data", "git-data"],
};
const NEXTCLOUD: Sample = {
    dir: "nextcloud-redis-mariadb",
    app: "nextcloud",
    images: { "nextcloud:apache": "berth-standin/nextcloud:1", "redis:alpine": "berth-standin/redis:1", "mariadb:10.5": "berth-standin/mariadb:1" },
    ports: { 80: 18302 },
    web: "nc",
    // the db's Compose `command` reached the server as its arguments
    answer: { app: "nextcloud", mysql: { user: "nextcloud@%", database: "nextcloud", isolation: "READ-COMMITTED", binlogFormat: "ROW" }, redis: "+PONG" },
    volumes: ["db-data", "nc-data"],
};
const PGADMIN: Sample = {
    dir: "postgresql-pgadmin",
    app: "pgadmin",
    images: { "postgres:latest": "berth-standin/postgres:1", "dpage/pgadmin4:latest": "berth-standin/pgadmin:1" },
    ports: { 5050: 18303, 5432: 18304 },
    web: "pgadmin",
    answer: { app: "pgadmin" },
    volumes: [],
};

const DOCKER_SAMPLES = [GITEA, NEXTCLOUD, PGADMIN];
const CLUSTER_SAMPLES = [GITEA, NEXTCLOUD];

/** `npm run import` of the sample, as a user runs it: the module (stdout) and the report (stderr). */
function importSample(s: Sample): { module: string; report: string } {
    const file = path.join(SAMPLES, s.dir, "compose.yaml");
    const r = spawnSync("npm", ["run", "-s", "import", "--", path.relative(REPO, file)], { cwd: REPO, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npm run import -- ${file} exited ${r.status}:\n${r.stderr}`);
    return { module: r.stdout, report: r.stderr };
}

/** A branch of the program whose index.ts deploys the imported sample (apps/<app>.ts), its published ports moved. */
function branchDeploying(s: Sample): string {
    let { module } = importSample(s);
    for (const [from, to] of Object.entries(s.ports)) {
        const written = new RegExp(`publish: ${from} \\}`, "g");
        if (!written.test(module)) throw new Error(`the imported ${s.dir} module no longer publishes ${from}: update this suite's ports`);
        module = module.replace(written, `publish: ${to} }`);
    }
    return branchOfProgram((dir) => {
        fs.mkdirSync(path.join(dir, "apps"));
        fs.writeFileSync(path.join(dir, "apps", `${s.app}.ts`), module);
        fs.writeFileSync(
            path.join(dir, "index.ts"),
            [
                `import { App, berthOutput } from "./components";`,
                `import { app } from "./apps/${s.app}";`,
                `export = async () => {`,
                `    const a = await App.create(${JSON.stringify(s.app)}, { spec: app });`,
                `    return { target: a.target, urls: a.urls, berth: berthOutput(a) };`,
                `};`,
                ``,
            ].join("\n"),
        );
    });
}

function buildStandins(tags: string[]): void {
    for (const tag of tags) run("docker", ["build", "--quiet", "--tag", tag, ...STANDIN_BUILDS[tag]]);
}

/** GET the URL until the stand-in says every backend answered (it answers 503 until then), or fail with its last answer. */
async function answerOf(url: string): Promise<Record<string, unknown>> {
    let last = "no answer yet";
    const end = Date.now() + 180_000;
    while (Date.now() < end) {
        try {
            const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
            const body = await r.text();
            if (r.status === 200) return JSON.parse(body);
            last = `HTTP ${r.status}: ${body}`;
        } catch (e) {
            last = String(e);
        }
        await new Promise((res) => setTimeout(res, 1_000));
    }
    throw new Error(`${url} did not answer 200 in 180 s; last: ${last}`);
}

/** A preview with no change expected, then a refresh with none: the engine fails either on a change. */
async function noChangeSeen(s: E2eStack, stack: string): Promise<void> {
    await s.stack.preview({ expectNoChanges: true, onOutput: progress(`${stack} preview`) });
    const r = await s.stack.refresh({ expectNoChanges: true, onOutput: progress(`${stack} refresh`) });
    expect(r.summary.result).toBe("succeeded");
}

describe.each(DOCKER_SAMPLES)("sample $dir on Docker, as imported", (sample) => {
    const STACK = `e2e-sample-d-${sample.app}-${RUN_ID}`;
    const byLabel = (what: "container" | "network" | "volume") =>
        run("docker", [what, "ls", ...(what === "container" ? ["-a"] : []), "--format", what === "container" ? "{{.Names}}" : "{{.Name}}", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean).sort();
    let s: E2eStack | undefined;
    let branch = "";
    let urls: Record<string, string> = {};

    beforeAll(async () => {
        requireDockerTarget();
        for (const p of Object.values(sample.ports)) requirePortFree(p);
        buildStandins([...new Set(Object.values(sample.images))]);
        branch = branchDeploying(sample);
        s = await newStack(STACK, { target: "docker", docker: { publishAddress: "127.0.0.1" }, images: sample.images }, {}, branch);
        const up = await s.stack.up({ onOutput: progress(`${STACK} up`) });
        expect(up.summary.result).toBe("succeeded");
        urls = up.outputs.urls.value;
    }, 900_000);

    afterAll(async () => {
        await teardownDocker(s, STACK);
        if (branch) fs.rmSync(branch, { recursive: true, force: true });
    }, 600_000);

    it("every service runs its stand-in, and the web service answers through its backends", async () => {
        // containers run by image id: the ids of the stand-ins' images
        const ids = run("docker", ["ps", "-q", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean);
        const running = new Set(run("docker", ["inspect", "--format", "{{.Image}}", ...ids]).split("\n").filter(Boolean));
        for (const standin of Object.values(sample.images)) expect(running, `a container of ${standin}`).toContain(run("docker", ["image", "inspect", "--format", "{{.Id}}", standin]).trim());
        expect(urls[sample.web]).toBe(`http://127.0.0.1:${Object.values(sample.ports)[0]}`);
        const first = await answerOf(urls[sample.web]);
        expect(first).toMatchObject(sample.answer);
        const second = await answerOf(urls[sample.web]);
        expect(second.visits).toBe((first.visits as number) + 1);
        console.log(`[samples] ${sample.dir} on Docker answered: ${JSON.stringify(second)}`);
    });

    if (sample === NEXTCLOUD) {
        it("the sample's networks hold: nc reaches db and redis, redis cannot reach db (they share no network)", () => {
            const container = (svc: string) => run("docker", ["ps", "-q", "--filter", `label=berth.dev/stack=${STACK}`, "--filter", `label=berth.dev/service=${svc}`]).split("\n")[0];
            const tcp = (from: string, to: string) => {
                try {
                    run("docker", ["exec", container(from), "bash", "-c", `exec 3<>/dev/tcp/${to}`]);
                    return "open";
                } catch {
                    return "unreachable";
                }
            };
            // bash in redis's stand-in (Debian); nc's stand-in has it too
            expect({ "nc->db": tcp("nc", "db/3306"), "nc->redis": tcp("nc", "redis/6379"), "redis->db": tcp("redis", "db/3306") }).toEqual({ "nc->db": "open", "nc->redis": "open", "redis->db": "unreachable" });
        });
    }

    if (sample === PGADMIN) {
        it("Postgres answers on its published port through the load balancer (mode tcp), with the .env's user and password", () => {
            // POSTGRES_USER=${POSTGRES_USER} and POSTGRES_PASSWORD=${POSTGRES_PW} come from the sample's .env
            const who = run("docker", ["run", "--rm", "--network", "host", "-e", "PGPASSWORD=changeit", "--entrypoint", "psql", "berth-standin/postgres:1", "-h", "127.0.0.1", "-p", String(PGADMIN.ports[5432]), "-U", "yourUser", "-d", "postgres", "-Atc", "select current_user, current_database()"]).trim();
            expect(who).toBe("yourUser|postgres");
        });
    }

    it("a preview shows no change and a refresh changes nothing", () => noChangeSeen(s!, STACK));

    it("destroy leaves only the sample's volumes, retained", async () => {
        const d = await s!.stack.destroy({ onOutput: progress(`${STACK} destroy`) });
        expect(d.summary.result).toBe("succeeded");
        expect(byLabel("container")).toEqual([]);
        expect(byLabel("network")).toEqual([]);
        expect(byLabel("volume")).toEqual(sample.volumes.map((v) => `berth-${STACK}-${v}`).sort());
    });
});

describe.each(CLUSTER_SAMPLES)("sample $dir on the local cluster, as imported", (sample) => {
    const STACK = `e2e-sample-k-${sample.app}-${RUN_ID}`;
    const NS = `e2e-sample-${sample.app}-${RUN_ID}`;
    let cluster: ReturnType<typeof localCluster>;
    let s: E2eStack | undefined;
    let branch = "";
    let urls: Record<string, string> = {};
    const pushed = (image: string) => `${REGISTRY}/${image}`;

    beforeAll(async () => {
        cluster = localCluster();
        requireDockerTarget(); // the stand-ins are built by the local Docker engine, then pushed to the cluster's registry
        const standins = [...new Set(Object.values(sample.images))];
        buildStandins(standins);
        for (const tag of standins) {
            run("docker", ["tag", tag, pushed(tag)]);
            run("docker", ["push", "--quiet", pushed(tag)]);
        }
        branch = branchDeploying(sample);
        const config = stackFileConfig("staging");
        config.kubernetes = { ...(config.kubernetes as object), kubeconfig: cluster.kubeconfig, namespace: NS };
        config.images = Object.fromEntries(Object.entries(sample.images).map(([from, to]) => [from, pushed(to)]));
        expect(() => cluster.kubectl("get", "namespace", NS)).toThrow(/NotFound/);
        s = await newStack(STACK, config, {}, branch);
        const up = await s.stack.up({ onOutput: progress(`${STACK} up`) });
        expect(up.summary.result).toBe("succeeded");
        urls = up.outputs.urls.value;
    }, 1_200_000);

    afterAll(async () => {
        await teardown(s, cluster, NS);
        if (branch) fs.rmSync(branch, { recursive: true, force: true });
    }, 600_000);

    it("every pod runs its stand-in on the real node, and the web service answers through its backends", async () => {
        const pods = cluster.items("pods", NS).filter((p) => !p.metadata.deletionTimestamp);
        const images = pods.flatMap((p) => p.spec.containers.map((c: { image: string }) => c.image));
        for (const standin of Object.values(sample.images)) expect(images, `pods of ${standin}`).toContain(pushed(standin));
        expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(["berth-node"]));
        expect(urls[sample.web]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const first = await answerOf(urls[sample.web]);
        expect(first).toMatchObject(sample.answer);
        const second = await answerOf(urls[sample.web]);
        expect(second.visits).toBe((first.visits as number) + 1);
        console.log(`[samples] ${sample.dir} on the cluster answered at ${urls[sample.web]}: ${JSON.stringify(second)}`);
    });

    it("a preview shows no change and a refresh changes nothing", () => noChangeSeen(s!, STACK));

    it("destroy leaves only the sample's claims, retained", async () => {
        const d = await s!.stack.destroy({ onOutput: progress(`${STACK} destroy`) });
        expect(d.summary.result).toBe("succeeded");
        for (const kind of ["deployments", "statefulsets", "services", "networkpolicies", "configmaps", "secrets"]) {
            expect(cluster.items(kind, NS).map((o) => o.metadata.name).filter((n: string) => n !== "kube-root-ca.crt"), kind).toEqual([]);
        }
        expect(cluster.items("pvc", NS).map((c) => c.metadata.name).sort()).toEqual([...sample.volumes].sort());
    });
});
