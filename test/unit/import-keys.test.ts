// Every key of the Compose specification has an outcome in the importer's
// table (import/compose.ts: SERVICE_KEYS, TOP_LEVEL_KEYS), and importing a
// file that uses it gives exactly that outcome: a key the Compose
// specification adds, or one the table drops, fails here.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { appSchema } from "../../components";
import { Finding, SERVICE_KEYS, TOP_LEVEL_KEYS, importCompose, keyTable } from "../../import/compose";

/**
 * The keys of compose-spec/compose-spec's schema/compose-spec.json at commit
 * 170098ba07d9f53c383a41bfd4c5166b0a4529a6 (2026-06-23): `properties` of the
 * root and of `definitions.service` (both also take `^x-` extensions).
 */
const COMPOSE_TOP_LEVEL = ["version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs"];
const COMPOSE_SERVICE = [
    "develop", "deploy", "annotations", "attach", "build", "blkio_config", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "command", "configs",
    "container_name", "cpu_count", "cpu_percent", "cpu_shares", "cpu_quota", "cpu_period", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset",
    "credential_spec", "depends_on", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
    "label_file", "environment", "expose", "extends", "provider", "external_links", "extra_hosts", "gpus", "group_add", "healthcheck", "hostname",
    "image", "init", "ipc", "isolation", "labels", "links", "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness",
    "memswap_limit", "network_mode", "models", "networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports",
    "post_start", "pre_stop", "privileged", "profiles", "pull_policy", "pull_refresh_after", "read_only", "restart", "runtime", "scale",
    "security_opt", "shm_size", "secrets", "sysctls", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "tmpfs", "tty", "ulimits",
    "use_api_socket", "user", "uts", "userns_mode", "volumes", "volumes_from", "working_dir",
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-import-keys-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
fs.mkdirSync(path.join(tmp, "web"));
fs.writeFileSync(path.join(tmp, "web", "Dockerfile"), "FROM nginx:1.27\n");
fs.writeFileSync(path.join(tmp, "app.env"), "FROM_FILE=1\n");
fs.writeFileSync(path.join(tmp, "app.labels"), "com.example.from-file=1\n");
fs.writeFileSync(path.join(tmp, "pw.txt"), "s3cret\n");
const FILE = path.join(tmp, "compose.yaml");

/** One use of each service key, and (for a mapped key) what the service must then hold. */
const EXAMPLES: Record<string, { value: unknown; spec?: Record<string, unknown> }> = {
    annotations: { value: { "com.example/a": "1" } },
    attach: { value: false },
    blkio_config: { value: { weight: 300 } },
    build: { value: { context: "web", dockerfile: "Dockerfile" }, spec: { build: { context: path.relative(tmp, path.join(tmp, "web")), dockerfile: "Dockerfile" } } },
    cap_add: { value: ["NET_ADMIN"], spec: { security: { baseCapabilities: "default", capabilities: ["NET_ADMIN"] } } },
    cap_drop: { value: ["NET_RAW"], spec: { security: { baseCapabilities: "default", dropCapabilities: ["NET_RAW"] } } },
    cgroup: { value: "host" },
    cgroup_parent: { value: "m-executor-abcd" },
    command: { value: "nginx -g 'daemon off;'", spec: { args: "nginx -g 'daemon off;'" } },
    configs: { value: ["my_config"], spec: { files: [{ path: "/my_config", content: "x" }] } },
    container_name: { value: "my-web", spec: { aliases: ["my-web"] } },
    cpu_count: { value: 2 },
    cpu_percent: { value: 50 },
    cpu_shares: { value: 512 },
    cpu_quota: { value: 50000 },
    cpu_period: { value: 100000 },
    cpu_rt_period: { value: "1400us" },
    cpu_rt_runtime: { value: "400ms" },
    cpus: { value: 0.5, spec: { resources: { cpu: { limit: "500m" } } } },
    cpuset: { value: "0-1" },
    credential_spec: { value: { file: "my-credential-spec.json" } },
    depends_on: { value: ["db"], spec: { dependsOn: { db: "started" } } },
    deploy: { value: { replicas: 2 }, spec: { replicas: 2 } },
    develop: { value: { watch: [{ action: "rebuild", path: "." }] } },
    device_cgroup_rules: { value: ["c 1:3 mr"] },
    devices: { value: ["/dev/ttyUSB0:/dev/ttyUSB0"] },
    dns: { value: "8.8.8.8" },
    dns_opt: { value: ["use-vc"] },
    dns_search: { value: "example.com" },
    domainname: { value: "foo.com" },
    entrypoint: { value: ["/docker-entrypoint.sh"], spec: { command: ["/docker-entrypoint.sh"] } },
    env_file: { value: "app.env", spec: { env: { FROM_FILE: "1" } } },
    label_file: { value: "./app.labels", spec: { labels: { "com.example.from-file": "1" } } },
    environment: { value: { A: "1" }, spec: { env: { A: "1" } } },
    expose: { value: ["3000"], spec: { ports: [{ port: 3000 }] } },
    extends: { value: { service: "db" } },
    provider: { value: { type: "awesomecloud", options: { type: "mysql" } } },
    external_links: { value: ["redis_1"] },
    extra_hosts: { value: ["somehost=162.242.195.82"] },
    gpus: { value: "all" },
    group_add: { value: ["mail"] },
    healthcheck: { value: { test: ["CMD", "true"] }, spec: { health: { readiness: { command: ["true"], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 } } } },
    hostname: { value: "web1" },
    image: { value: "redis:7", spec: { image: "redis:7" } },
    init: { value: true },
    ipc: { value: "shareable" },
    isolation: { value: "hyperv" },
    labels: { value: { "com.example.description": "web" }, spec: { labels: { "com.example.description": "web" } } },
    links: { value: ["db:database"], spec: { dependsOn: { db: "started" } } },
    logging: { value: { driver: "syslog" } },
    mac_address: { value: "02:42:ac:11:65:43" },
    mem_limit: { value: "512m", spec: { resources: { memory: { limit: "512Mi" } } } },
    mem_reservation: { value: "1g", spec: { resources: { memory: { request: "1Gi" } } } },
    mem_swappiness: { value: 0 },
    memswap_limit: { value: "1g" },
    network_mode: { value: "host" },
    models: { value: ["llm"] },
    networks: { value: ["front"], spec: { networks: ["front"] } },
    oom_kill_disable: { value: true },
    oom_score_adj: { value: 500 },
    pid: { value: "host" },
    pids_limit: { value: 100 },
    platform: { value: "linux/arm64" },
    ports: { value: ["8080:80"], spec: { ports: [{ port: 80, publish: 8080 }] } },
    post_start: { value: [{ command: "./init.sh" }] },
    pre_stop: { value: [{ command: "./drain.sh" }] },
    privileged: { value: true },
    profiles: { value: ["debug"] },
    pull_policy: { value: "always" },
    pull_refresh_after: { value: "1h" },
    read_only: { value: true, spec: { security: { baseCapabilities: "default", readOnlyRootFilesystem: true } } },
    restart: { value: "unless-stopped", spec: { restart: "unless-stopped" } },
    runtime: { value: "runsc" },
    scale: { value: 3, spec: { replicas: 3 } },
    security_opt: { value: ["label:user:USER"] },
    shm_size: { value: "128m" },
    secrets: { value: ["pw"], spec: { secrets: { pw: { config: "pw", as: "file" } } } },
    sysctls: { value: { "net.core.somaxconn": 1024 } },
    stdin_open: { value: true },
    stop_grace_period: { value: "1m" },
    stop_signal: { value: "SIGINT" },
    storage_opt: { value: { size: "20G" } },
    tmpfs: { value: ["/run"] },
    tty: { value: true },
    ulimits: { value: { nproc: 65535 } },
    use_api_socket: { value: true },
    user: { value: "1000", spec: { security: { baseCapabilities: "default", user: "1000" } } },
    uts: { value: "host" },
    userns_mode: { value: "host" },
    volumes: { value: ["data:/data:ro"], spec: { volumes: [{ volume: "data", path: "/data", readOnly: true }] } },
    volumes_from: { value: ["db"] },
    working_dir: { value: "/srv", spec: { workingDir: "/srv" } },
};

/** What the app service is without the key under test. */
const BASE = { image: "nginx:1.27", security: { baseCapabilities: "default" } };

function importWith(key: string, value: unknown) {
    const app: Record<string, unknown> = { [key]: value };
    if (key !== "build" && key !== "image") app.image = "nginx:1.27";
    if (key === "build") app.image = undefined;
    const doc = {
        services: { app, db: { image: "postgres:16" } },
        networks: { front: {} },
        volumes: { data: {} },
        secrets: { pw: { file: "pw.txt" } },
        configs: { my_config: { content: "x" } },
    };
    return importCompose(JSON.stringify(doc), FILE, { env: {}, programDir: tmp });
}

const at = (findings: Finding[], p: string) => findings.filter((f) => f.path === p || f.path.startsWith(`${p}.`) || f.path.startsWith(`${p}[`));

describe("the importer's table covers the Compose specification", () => {
    it("has an outcome for every service key of the specification, and no other", () => {
        expect(Object.keys(SERVICE_KEYS).sort()).toEqual([...COMPOSE_SERVICE].sort());
        expect(Object.keys(EXAMPLES).sort()).toEqual([...COMPOSE_SERVICE].sort());
    });

    it("has an outcome for every top-level key of the specification, and no other", () => {
        expect(Object.keys(TOP_LEVEL_KEYS).sort()).toEqual([...COMPOSE_TOP_LEVEL].sort());
    });

    it.each(COMPOSE_SERVICE)("services.app.%s has its stated outcome", (key) => {
        const rule = SERVICE_KEYS[key];
        const r = importWith(key, EXAMPLES[key].value);
        const found = at(r.findings, `services.app.${key}`);
        expect(found.map((f) => f.kind)).toContain(rule.kind);
        // What berth then deploys is valid for berth.
        expect(appSchema.safeParse(r.spec).success).toBe(true);
        const svc = r.spec.services.app as Record<string, unknown>;
        if (rule.kind === "mapped") {
            expect(EXAMPLES[key].spec, `a mapped key's example says what the service holds`).toBeDefined();
            expect(svc).toMatchObject(EXAMPLES[key].spec!);
        } else {
            // Nothing of a key that is not mapped reaches the spec, and the report says why.
            expect(svc).toEqual(BASE);
            expect(found.find((f) => f.kind === rule.kind)!.message).toBe(rule.what);
        }
    });

    it("counts a value that changes nothing as mapped (privileged: false, init: false, network_mode: bridge)", () => {
        for (const [key, value] of [["privileged", false], ["init", false], ["network_mode", "bridge"], ["tmpfs", []], ["stop_signal", "SIGTERM"]] as const) {
            const r = importWith(key, value);
            expect(at(r.findings, `services.app.${key}`).map((f) => f.kind), key).toEqual(["mapped"]);
        }
    });

    it("refuses a key that is not in the specification, naming it", () => {
        const r = importWith("restrat", "always");
        expect(at(r.findings, "services.app.restrat")).toEqual([{ path: "services.app.restrat", kind: "refused", message: expect.stringContaining("not a Compose service key") }]);
        const top = importCompose(JSON.stringify({ services: { app: { image: "nginx" } }, servics: {} }), FILE, { env: {} });
        expect(top.findings).toContainEqual({ path: "servics", kind: "refused", message: expect.stringContaining("not a Compose key (top-level keys: version, name") });
    });

    it.each([
        ["version", "3.8", "ignored"],
        ["name", "shop", "approximated"],
        ["include", ["other.yaml"], "refused"],
        ["models", { llm: { model: "ai/smollm2" } }, "refused"],
        ["configs", { c: { file: "pw.txt" } }, "mapped"],
        ["x-common", { a: 1 }, "ignored"],
    ])("top-level %s is %s", (key, value, kind) => {
        const r = importCompose(JSON.stringify({ services: { app: { image: "nginx" } }, [key]: value }), FILE, { env: {} });
        expect(r.findings.filter((f) => f.path === key).map((f) => f.kind)).toEqual([kind]);
        expect(r.spec.services).toEqual({ app: { image: "nginx", security: { baseCapabilities: "default" } } });
    });

    it("ignores service-level extensions", () => {
        const r = importWith("x-notes", { a: 1 });
        expect(at(r.findings, "services.app.x-notes").map((f) => f.kind)).toEqual(["ignored"]);
        expect(r.spec.services.app).toEqual(BASE);
    });

    it("docs/reference.md shows the table the importer has", () => {
        const docs = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "reference.md"), "utf8");
        // On a change to the table: npm run -s import -- --table, pasted into the section "Import a Compose file".
        expect(docs.includes(keyTable()), "docs/reference.md's key table is the one `npm run -s import -- --table` prints").toBe(true);
    });
});
