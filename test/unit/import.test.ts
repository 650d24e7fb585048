// `npm run import`: the fifteen public Compose apps in ../shared/compose-samples
// become modules that type-check, pass berth's validation and render on both
// targets; each report names what it could not carry over. Then one test per
// mapping rule, and Compose's interpolation.
import { spawn } from "child_process";

/** A child process run to its end without blocking the test worker (a blocked worker misses vitest's own RPC deadline). */
function spawnAsync(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const p = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { AppInput } from "../../components";
import { BerthInputError, validate } from "../../components/validate";
import { ComposeImportError, Finding, ImportResult, REPO_ROOT, configKey, durationSeconds, entryImport, importComposeFile, memoryQuantity, renderModule, renderReport } from "../../import/compose";
import { interpolate, parseDotenv } from "../../import/interpolate";
import { render } from "./harness";

const SAMPLES = path.resolve(REPO_ROOT, "..", "shared", "compose-samples");
const APPS = [
    "apache-php", "django", "flask-redis", "gitea-postgres", "nextcloud-redis-mariadb", "nginx-flask-mongo", "nginx-golang-mysql", "nginx-nodejs-redis",
    "nginx-wsgi-flask", "portainer", "postgresql-pgadmin", "react-express-mysql", "react-rust-postgres", "spring-postgres", "wasmedge-kafka-mysql",
];
const composeFile = (app: string) => ["compose.yaml", "compose.yml"].map((f) => path.join(SAMPLES, app, f)).find((f) => fs.existsSync(f))!;

const dockerCfg = { target: "docker" };
const k8sCfg = (r: ImportResult) => ({ target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" }, services: r.kubernetes.services });
/** A value for each secret the app needs, as `pulumi config set --secret` would hold it. */
const secretValues = (r: ImportResult) => Object.fromEntries(r.secrets.map((s) => [s.config, `value-of-${s.secret}`]));

/** What each app's report must say it could not carry over as Compose has it (key path -> kind). */
const EXPECTED: Record<string, [string, "approximated" | "refused"][]> = {
    "apache-php": [["services.web.volumes[0]", "approximated"]],
    django: [],
    "flask-redis": [["services.web.stop_signal", "approximated"], ["services.web.volumes[0]", "approximated"]],
    "gitea-postgres": [["volumes.db_data", "approximated"], ["volumes.git_data", "approximated"], ["services.gitea.environment.DB_PASSWD", "approximated"]],
    "nextcloud-redis-mariadb": [["volumes.db_data", "approximated"], ["services.db.environment.MYSQL_ROOT_PASSWORD", "approximated"]],
    "nginx-flask-mongo": [["services.web.volumes[0]", "approximated"], ["services.backend.volumes[0]", "approximated"], ["services.backend.stop_signal", "approximated"]],
    "nginx-golang-mysql": [],
    "nginx-nodejs-redis": [["services.web1.hostname", "approximated"], ["services.web2.hostname", "approximated"], ["services.web1.restart", "approximated"]],
    "nginx-wsgi-flask": [["services.nginx-proxy.volumes[0]", "approximated"]],
    portainer: [["services.portainer.volumes[0]", "refused"], ["volumes.portainer_data", "approximated"]],
    "postgresql-pgadmin": [],
    "react-express-mysql": [["services.backend.volumes[0]", "approximated"], ["services.frontend.volumes[1]", "approximated"]],
    "react-rust-postgres": [["name", "approximated"], ["services.frontend.volumes[0]", "approximated"], ["services.backend.volumes[0]", "approximated"]],
    "spring-postgres": [["services.backend.restart", "approximated"]],
    "wasmedge-kafka-mysql": [["services.etl.runtime", "refused"], ["services.etl.platform", "approximated"], ["services.etl.image", "approximated"], ["services.redpanda.volumes[0]", "approximated"]],
};

const imported = new Map(APPS.map((a) => [a, importComposeFile(composeFile(a), { env: {} })]));

describe("the fifteen sample apps", () => {
    it("are all there", () => {
        expect(fs.readdirSync(SAMPLES).filter((d) => fs.statSync(path.join(SAMPLES, d)).isDirectory()).sort()).toEqual([...APPS].sort());
    });

    it.each(APPS)("%s: valid for berth on both targets, with its secrets and overrides", (app) => {
        const r = imported.get(app)!;
        const secrets = Object.fromEntries(r.secrets.map((s) => [s.config, "x"]));
        const isSecret = () => true;
        expect(() => validate("dev", r.spec, { ...dockerCfg, ...secrets }, isSecret)).not.toThrow();
        // A Kubernetes stack refuses exactly the folders' bind mounts (the report said so), and nothing else.
        const binds = Object.entries(r.spec.services).flatMap(([name, s]) => (s.bindMounts ?? []).map((_, i) => `app.services.${name}.bindMounts[${i}]`));
        let problems: string[] = [];
        try {
            validate("staging", r.spec, { ...k8sCfg(r), ...secrets }, isSecret);
        } catch (e) {
            problems = (e as BerthInputError).problems;
        }
        expect(problems.map((p) => p.split(": ")[0])).toEqual(binds);
        for (const p of problems) expect(p).toMatch(/: a bind mount of .* cannot be honoured on Kubernetes: .*; use a volume .* or services\.[\w-]+\.files for config files$/);
        for (const b of binds) expect(r.findings.find((f) => f.path.startsWith(b.replace(/^app\./, "").replace(/bindMounts\[\d+\]$/, "volumes")) && /Kubernetes stacks refuse/.test(f.message)), b).toBeDefined();
        expect(r.findings.filter((f) => f.message.includes("importer bug"))).toEqual([]);
    });

    it.each(APPS)("%s: the report names what could not be carried over", (app) => {
        const r = imported.get(app)!;
        const kinds = (p: string) => r.findings.filter((f) => f.path === p).map((f) => f.kind);
        for (const [p, kind] of EXPECTED[app]) expect(kinds(p), p).toContain(kind);
        const report = renderReport(r, composeFile(app));
        for (const [p, kind] of EXPECTED[app]) expect(report).toMatch(new RegExp(`^  ${kind} +${p.replace(/[[\].*]/g, "\\$&")}: `, "m"));
    });

    it.each(APPS)("%s: renders on Docker and on Kubernetes, every service with its image and env", async (app) => {
        const r = imported.get(app)!;
        const services = Object.entries(r.spec.services);
        const d = await render(r.spec, dockerCfg, { secrets: secretValues(r) });
        for (const [name, svc] of services) {
            const c = d.byName(`demo-${name}-0`);
            expect(c.inputs.envs ?? [], name).toEqual(expect.arrayContaining(Object.entries(svc.env ?? {}).map(([k, v]) => `${k}=${v}`)));
            if (svc.image) expect(c.inputs.image, name).toContain("sha256:"); // the pulled image, by id
        }
        // Without the folders' bind mounts, which a Kubernetes stack refuses (the report says so; the test above checks it).
        const k = await render({ ...r.spec, services: Object.fromEntries(services.map(([n, s]) => [n, { ...s, bindMounts: undefined }])) }, k8sCfg(r), { secrets: secretValues(r) });
        for (const [name, svc] of services) {
            const w = k.resources.find((x) => x.name === `demo-${name}-deployment` || x.name === `demo-${name}-statefulset`);
            expect(w, name).toBeDefined();
            const c = w!.inputs.spec.template.spec.containers[0];
            if (svc.image) expect(c.image).toBe(svc.image);
            for (const [key, value] of Object.entries(svc.env ?? {})) expect(c.env, name).toContainEqual({ name: key, value });
        }
    });

    it("nginx-golang-mysql: the secret file, the healthy dependency and Compose's healthcheck defaults", () => {
        const r = imported.get("nginx-golang-mysql")!;
        expect(r.spec.services.db).toMatchObject({
            image: "mariadb:10-focal",
            args: "--default-authentication-plugin=mysql_native_password",
            secrets: { db_password: { config: "dbPassword", as: "file", path: "/run/secrets/db-password" } },
            ports: [{ port: 3306 }],
            // $$ in the Compose file is one $ for the shell.
            health: { readiness: { command: ["sh", "-c", 'mysqladmin ping -h 127.0.0.1 --password="$(cat /run/secrets/db-password)" --silent'], intervalSeconds: 3, timeoutSeconds: 30, retries: 5, startPeriodSeconds: 30 } },
        });
        expect(r.spec.services.backend.dependsOn).toEqual({ db: "healthy" });
        // ./proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro is a file, read from the repository at every deploy (executable on the host, so it stays so).
        expect(r.spec.services.proxy.files).toEqual([{ path: "/etc/nginx/conf.d/default.conf", source: "../shared/compose-samples/nginx-golang-mysql/proxy/nginx.conf", mode: 0o755 }]);
        expect(r.findings.find((f) => f.path === "services.proxy.volumes[0]")!.kind).toBe("mapped");
        expect(r.secrets).toEqual([
            {
                config: "dbPassword",
                secret: "db-password",
                from: { file: path.join(SAMPLES, "nginx-golang-mysql", "db", "password.txt") },
                command: 'pulumi config set --secret berth:dbPassword "$(cat ../shared/compose-samples/nginx-golang-mysql/db/password.txt)" --stack <stack>',
            },
        ]);
        expect(renderReport(r, "x")).toContain('every stack needs these secrets (run from the repository\'s folder):\n  pulumi config set --secret berth:dbPassword "$(cat ../shared/compose-samples/nginx-golang-mysql/db/password.txt)" --stack <stack>\n');
    });

    it("postgresql-pgadmin: variables from the .env next to the file; the process environment wins", () => {
        expect(imported.get("postgresql-pgadmin")!.spec.services.postgres.env).toEqual({ POSTGRES_USER: "yourUser", POSTGRES_PASSWORD: "changeit", POSTGRES_DB: "postgres" });
        const r = importComposeFile(composeFile("postgresql-pgadmin"), { env: { POSTGRES_PW: "from-the-shell" } });
        expect(r.spec.services.postgres.env).toMatchObject({ POSTGRES_PASSWORD: "from-the-shell", POSTGRES_USER: "yourUser" });
    });

    it("nginx-nodejs-redis: on-failure stays for Docker, and the report gives the Kubernetes override", () => {
        const r = imported.get("nginx-nodejs-redis")!;
        expect(r.spec.services.web1).toMatchObject({ restart: "on-failure", build: { context: "../shared/compose-samples/nginx-nodejs-redis/web" }, ports: [{ port: 5000, publish: 81 }] });
        expect(r.kubernetes.services).toEqual({ web1: { restart: "always" }, web2: { restart: "always" } });
        expect(renderReport(r, "x")).toContain("a Kubernetes stack also needs:\n  pulumi config set --path 'berth:services.web1.restart' always --stack <stack>\n");
    });

    it("each generated module type-checks where it is written, and a wrong one does not", async () => {
        // A folder inside the repository, so that the modules' import of the entry module resolves.
        const dir = fs.mkdtempSync(path.join(REPO_ROOT, ".import-typecheck-"));
        try {
            for (const app of APPS) {
                const file = path.join(dir, `${app}.ts`);
                fs.writeFileSync(file, renderModule(imported.get(app)!, { source: composeFile(app), modulePath: file }));
            }
            // The check is not vacuous: a module with a wrong field fails.
            const bad = renderModule(imported.get("django")!, { source: "x", modulePath: path.join(dir, "bad.ts") }).replace('services: {\n        web: {', 'services: {\n        web: {\n            replicas: "two",');
            fs.writeFileSync(path.join(dir, "zz-bad.ts"), bad);
            fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", include: ["*.ts"] }));
            const tsc = await spawnAsync(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", dir]);
            const errors = tsc.stdout.split("\n").filter((l) => / error TS/.test(l));
            expect(errors.length, tsc.stdout).toBe(1);
            expect(errors[0]).toMatch(/^\.import-typecheck-\w+\/zz-bad\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 180_000);

    it("npm run import writes the module to stdout and the report to stderr", async () => {
        const r = await spawnAsync("npm", ["run", "-s", "import", "--", "../shared/compose-samples/spring-postgres/compose.yaml"], { cwd: REPO_ROOT });
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^\/\/ Imported from \.\.\/shared\/compose-samples\/spring-postgres\/compose\.yaml by `npm run import`/);
        expect(r.stdout).toContain('import { AppInput } from "../components";\n\nexport const app = {\n    services: {\n        backend: {');
        expect(r.stdout).not.toContain("berth import");
        expect(r.stderr).toMatch(/^berth import \.\.\/shared\/compose-samples\/spring-postgres\/compose\.yaml: 2 services; \d+ keys mapped, \d+ approximated, 0 refused\n/);
        expect(r.stderr).toContain("pulumi config set --secret berth:dbPassword");
        const bad = await spawnAsync("npm", ["run", "-s", "import", "--", "no/such/compose.yaml"], { cwd: REPO_ROOT });
        expect([bad.status, bad.stdout]).toEqual([1, ""]);
        expect(bad.stderr).toMatch(/^berth import: cannot read no\/such\/compose\.yaml: ENOENT/);
    }, 180_000);
});

// ---------------------------------------------------------------- one rule at a time

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-import-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Imports YAML text written to a fresh folder with these files; the process environment is `env`. */
function imp(text: string, opts: { env?: Record<string, string>; files?: Record<string, string> } = {}): ImportResult {
    const dir = path.join(tmp, String(n++));
    fs.mkdirSync(dir);
    for (const [f, c] of Object.entries(opts.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), c);
    }
    fs.writeFileSync(path.join(dir, "compose.yaml"), text);
    const r = importComposeFile(path.join(dir, "compose.yaml"), { env: opts.env ?? {}, programDir: dir });
    dirs.set(r, n - 1);
    return r;
}
/** One service `app` with these lines (YAML, indented under it). */
const one = (lines: string, more = "", opts: Parameters<typeof imp>[1] = {}) => imp(`services:\n  app:\n${lines.replace(/^/gm, "    ")}\n${more}`, opts);
const svc = (r: ImportResult) => r.spec.services.app as Record<string, any>;
const finding = (r: ImportResult, p: string): Finding | undefined => r.findings.find((f) => f.path === p && f.kind !== "mapped");
/** The folder an import read its Compose file from, and wrote its paths relative to (imp's programDir). */
const programDir = (r: ImportResult) => path.join(tmp, String(dirs.get(r)));
const dirs = new WeakMap<ImportResult, number>();
/** valid, run from the import's program folder (where its file sources and host paths are read from). */
function validIn(r: ImportResult, target: "docker" | "kubernetes" = "docker") {
    const cwd = process.cwd();
    process.chdir(programDir(r));
    try {
        const cfg = target === "docker" ? { target } : { target, kubernetes: { namespace: "t" } };
        return validate("t", r.spec, { ...cfg, ...Object.fromEntries(r.secrets.map((s) => [s.config, "x"])) }, () => true);
    } finally {
        process.chdir(cwd);
    }
}
const valid = (r: ImportResult) => expect(validate("t", r.spec, { target: "docker", ...Object.fromEntries(r.secrets.map((s) => [s.config, "x"])) }, () => true)).toBeDefined();

describe("ports and expose", () => {
    it("maps the short syntax: container only, host:container, ip:host:container, /udp", () => {
        const r = one('image: nginx\nports: ["3000", "8080:80", "127.0.0.1:8443:443", "53:53/udp", 9000]');
        expect(svc(r).ports).toEqual([{ port: 3000 }, { port: 80, publish: 8080 }, { port: 443, publish: 8443 }, { port: 53, protocol: "udp" }, { port: 9000 }]);
        expect(finding(r, "services.app.ports[0]")!.message).toContain('berth does not publish it (other services reach it as app:3000); to publish it, write "3000:3000"');
        expect(finding(r, "services.app.ports[2]")!.message).toContain("host address 127.0.0.1: berth binds every published port of a stack to berth:docker.publishAddress");
        expect(finding(r, "services.app.ports[3]")!.message).toContain("udp port 53 is not published: berth refuses a published UDP port on Docker (its load balancer, HAProxy, proxies TCP only)");
        valid(r);
    });

    it("maps the long syntax", () => {
        const r = one("image: nginx\nports:\n  - target: 80\n    published: \"8080\"\n    protocol: tcp\n    app_protocol: http\n  - {target: 5353, protocol: udp}");
        expect(svc(r).ports).toEqual([{ port: 80, publish: 8080 }, { port: 5353, protocol: "udp" }]);
    });

    it("refuses ranges and bad ports, naming the entry and what works", () => {
        const r = one('image: nginx\nports: ["8000-8010:8000-8010", "9000-9001", "70000:80", "80:80/sctp"]');
        expect(svc(r).ports).toBeUndefined();
        expect(finding(r, "services.app.ports[0]")).toEqual({ path: "services.app.ports[0]", kind: "refused", message: 'a port range ("8000-8010:8000-8010"): berth publishes one port per entry; list each port you need ("8000:8000", "8001:8001", ...)' });
        expect(finding(r, "services.app.ports[1]")!.message).toMatch(/^a port range/);
        expect(finding(r, "services.app.ports[2]")!.message).toBe('host port "70000" is not a port from 1 to 65535');
        expect(finding(r, "services.app.ports[3]")!.message).toBe("protocol sctp: berth's ports are tcp or udp");
    });

    it("publishes a container port once, and a host port once in the app", () => {
        const r = imp('services:\n  a:\n    image: nginx\n    ports: ["8080:80", "8081:80"]\n  b:\n    image: nginx\n    ports: ["8080:80"]\n');
        expect(r.spec.services.a.ports).toEqual([{ port: 80, publish: 8080 }]);
        expect(finding(r, "services.a.ports[1]")!.message).toMatch(/^container port 80\/tcp is already published on 8080: berth publishes a container port once/);
        expect(r.spec.services.b.ports).toBeUndefined();
        expect(finding(r, "services.b.ports[0]")).toMatchObject({ kind: "refused", message: expect.stringContaining("host port 8080 is already published by service a") });
        valid(r);
    });

    it("expose adds unpublished ports, merged with ports", () => {
        const r = one('image: nginx\nexpose: ["3306", 33060, "53/udp"]\nports: ["8080:3306"]');
        expect(svc(r).ports).toEqual([{ port: 3306, publish: 8080 }, { port: 33060 }, { port: 53, protocol: "udp" }]);
    });
});

describe("commands", () => {
    it("command is args and entrypoint is command, string or list, as Compose splits a string", () => {
        const r = one(`image: nginx\nentrypoint: /bin/sh -c\ncommand: ["echo", 1, "a b"]`);
        expect(svc(r)).toMatchObject({ command: "/bin/sh -c", args: ["echo", "1", "a b"] });
        valid(r);
    });

    it("refuses a string Compose would cut short at an unquoted ; and says what works", () => {
        const r = one("image: nginx\ncommand: echo a; echo b");
        expect(svc(r).args).toBeUndefined();
        expect(finding(r, "services.app.command")!.message).toMatch(/^";" outside quotes at character 7: .*: left out, the image's default runs; to run it through a shell, write \["sh", "-c", "echo a; echo b"\]$/);
    });
});

describe("environment and env_file", () => {
    it("takes the list and map forms; a KEY alone comes from the environment, or is left out", () => {
        const list = one("image: nginx\nenvironment:\n  - A=1\n  - B=x=y\n  - FROM_SHELL\n  - MISSING\n  - EMPTY=", "", { env: { FROM_SHELL: "s" } });
        expect(svc(list).env).toEqual({ A: "1", B: "x=y", FROM_SHELL: "s", EMPTY: "" });
        expect(finding(list, "services.app.environment[3]")!.message).toBe("MISSING has no value and is not set in the environment: left out, as Compose does (set it and import again)");
        const map = one("image: nginx\nenvironment:\n  N: 3\n  T: true\n  S: text\n  FROM_SHELL:", "", { env: { FROM_SHELL: "s" } });
        expect(svc(map).env).toEqual({ N: "3", T: "true", S: "text", FROM_SHELL: "s" });
    });

    it("reads env_file next to the Compose file; environment wins over it; a missing required file stops the import", () => {
        const r = one('image: nginx\nenv_file: [a.env, {path: gone.env, required: false}]\nenvironment: {B: from-compose}', "", { files: { "a.env": "# c\nA=1\nB=from-file\nexport C='q $x'\n" } });
        expect(svc(r).env).toEqual({ A: "1", B: "from-compose", C: "q $x" });
        expect(() => one("image: nginx\nenv_file: gone.env")).toThrow(ComposeImportError);
        expect(() => one("image: nginx\nenv_file: gone.env")).toThrow(/^services\.app\.env_file: env file .*gone\.env not found \(Compose stops here too; or mark it required: false\)$/);
    });

    it("keeps a dotted name; refuses a name berth refuses (a space), with the key path and a suggestion", () => {
        const r = one('image: elasticsearch:8.14.0\nenvironment:\n  discovery.type: single-node\n  "bad name": x\n  ES_JAVA_OPTS: "-Xms512m"');
        expect(svc(r).env).toEqual({ "discovery.type": "single-node", ES_JAVA_OPTS: "-Xms512m" });
        expect(finding(r, 'services.app.environment["discovery.type"]')).toBeUndefined();
        expect(finding(r, 'services.app.environment["bad name"]')).toEqual({
            path: 'services.app.environment["bad name"]',
            kind: "refused",
            message: 'env var name "bad name" is refused by berth (a letter or _, then letters, digits, _, . or -): rename it (e.g. "bad_name") in the app and here, or set it in the image (ENV in its Dockerfile)',
        });
        valid(r);
    });

    it("reports a variable that looks like a secret, staying plain", () => {
        const r = one("image: postgres\nenvironment: [POSTGRES_PASSWORD=pw, POSTGRES_PASSWORD_FILE=/run/secrets/pw]");
        expect(finding(r, "services.app.environment.POSTGRES_PASSWORD")!.message).toContain('to keep it secret, move it to secrets: { POSTGRES_PASSWORD: { config: "postgresPassword" } }');
        expect(finding(r, "services.app.environment.POSTGRES_PASSWORD_FILE")).toBeUndefined();
    });
});

describe("depends_on, links, healthcheck", () => {
    const db = "  db:\n    image: postgres\n    expose: [5432]\n    healthcheck:\n      test: pg_isready\n";
    it("maps the list and map forms and the conditions", () => {
        const r = imp(`services:\n  a:\n    image: nginx\n    depends_on: [db]\n  b:\n    image: nginx\n    depends_on:\n      db: {condition: service_healthy}\n      a: {condition: service_completed_successfully, required: false}\n${db}`);
        expect(r.spec.services.a.dependsOn).toEqual({ db: "started" });
        expect(r.spec.services.b.dependsOn).toEqual({ db: "healthy", a: "started" });
        expect(finding(r, "services.b.depends_on.a")!.message).toMatch(/^service_completed_successfully: berth waits until a has started, not until it has run to completion/);
        expect(finding(r, "services.b.depends_on.a.required")!.message).toBe("required: false: berth always waits for a");
        valid(r);
    });

    it("approximates service_healthy as started when the dependency has no healthcheck or no port, saying what to add", () => {
        const r = imp("services:\n  a:\n    image: nginx\n    depends_on: {db: {condition: service_healthy}, c: {condition: service_healthy}}\n  db:\n    image: postgres\n    healthcheck: {test: pg_isready}\n  c:\n    image: redis\n");
        expect(r.spec.services.a.dependsOn).toEqual({ db: "started", c: "started" });
        expect(finding(r, "services.a.depends_on.db")!.message).toMatch(/^service_healthy, but db declares no port: berth waits until it has started .* add expose: \[<port>\] to db\)$/);
        expect(finding(r, "services.a.depends_on.c")!.message).toBe("service_healthy, but c has no healthcheck: berth waits until it has started (add a healthcheck to c)");
        valid(r);
    });

    it("approximates service_healthy as started when the dependency has UDP ports only (a wait is a TCP connection; berth refuses \"healthy\" there)", () => {
        const r = imp('services:\n  a:\n    image: nginx\n    depends_on: {dns: {condition: service_healthy}}\n  dns:\n    image: coredns/coredns:1.11.1\n    ports: ["53:53/udp"]\n    healthcheck: {test: ["CMD", "dig", "@127.0.0.1"]}\n');
        expect(r.spec.services.a.dependsOn).toEqual({ dns: "started" });
        expect(finding(r, "services.a.depends_on.dns")!.message).toBe("service_healthy, but dns declares UDP ports only: berth waits until it has started (a dependent waits until a TCP connection to dns opens; add a TCP port to dns)");
        valid(r);
    });

    it("links are started dependencies; an alias is reported", () => {
        const r = imp(`services:\n  a:\n    image: nginx\n    links: ["db:database"]\n${db}`);
        expect(r.spec.services.a.dependsOn).toEqual({ db: "started" });
        expect(finding(r, "services.a.links[0]")!.message).toBe("the alias database is not created: a reaches the service as db; change addresses that name database");
    });

    it.each([
        ['["CMD", "pg_isready", "-U", "app"]', ["pg_isready", "-U", "app"]],
        ['["CMD-SHELL", "curl -f localhost || exit 1"]', ["sh", "-c", "curl -f localhost || exit 1"]],
        ['"curl -f localhost"', ["sh", "-c", "curl -f localhost"]],
    ])("healthcheck test %s is the readiness command %j, with Compose's defaults", (test, command) => {
        const r = one(`image: nginx\nhealthcheck:\n  test: ${test}`);
        expect(svc(r).health).toEqual({ readiness: { command, intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 } });
    });

    it("healthcheck durations in whole seconds; NONE and disable are no check", () => {
        const r = one('image: nginx\nhealthcheck: {test: ["CMD", "true"], interval: 1m30s, timeout: 500ms, retries: 0, start_period: 2s, start_interval: 1s}');
        expect(svc(r).health.readiness).toMatchObject({ intervalSeconds: 90, timeoutSeconds: 1, retries: 1, startPeriodSeconds: 2 });
        expect(finding(r, "services.app.healthcheck.timeout")!.message).toBe("500ms is 1 s: berth counts whole seconds from 1 to 3600");
        expect(finding(r, "services.app.healthcheck.retries")!.message).toBe("0 is 1: berth's retries are 1 to 100");
        expect(finding(r, "services.app.healthcheck.start_interval")!.kind).toBe("approximated");
        expect(svc(one('image: nginx\nhealthcheck: {test: ["NONE"]}')).health).toBeUndefined();
        expect(svc(one("image: nginx\nhealthcheck: {disable: true}")).health).toBeUndefined();
        expect(durationSeconds("1h2m3s")).toEqual({ seconds: 3723, exact: true });
        expect(durationSeconds("10 s")).toBeUndefined();
    });
});

describe("restart, replicas, resources", () => {
    it.each([
        ["no", "no", true],
        ["always", "always", false],
        ["unless-stopped", "unless-stopped", false],
        ["on-failure", "on-failure", true],
        ['"on-failure:3"', "on-failure:3", true],
    ])("restart %s is %s (a Kubernetes override: %s)", (compose, berth, override) => {
        const r = one(`image: nginx\nrestart: ${compose}`);
        expect(svc(r).restart).toBe(berth);
        expect(r.kubernetes.services).toEqual(override ? { app: { restart: "always" } } : {});
    });

    it("keeps on-failure:N's limit (0 is no limit, as Docker reads it), and reports a missing restart", () => {
        const limited = one('image: nginx\nrestart: "on-failure:3"');
        expect(svc(limited).restart).toBe("on-failure:3");
        expect(limited.kubernetes.services).toEqual({ app: { restart: "always" } });
        expect(svc(one('image: nginx\nrestart: "on-failure:0"')).restart).toBe("on-failure");
        const r = one("image: nginx");
        expect(svc(r).restart).toBeUndefined();
        expect(finding(r, "services.app.restart")!.message).toMatch(/^not set: Compose does not restart a container that exits \("no"\), berth restarts it \("always"/);
    });

    it("deploy: replicas, limits and reservations, restart_policy", () => {
        const r = one("image: nginx\ndeploy:\n  replicas: 3\n  resources:\n    limits: {cpus: '0.50', memory: 512M, pids: 10}\n    reservations: {cpus: 0.25, memory: 1.5g}\n  restart_policy: {condition: on-failure, max_attempts: 3}\n  placement: {constraints: [node.role==manager]}");
        expect(svc(r)).toMatchObject({ replicas: 3, restart: "on-failure:3", resources: { cpu: { limit: "500m", request: "250m" }, memory: { limit: "512Mi", request: "1536Mi" } } });
        expect(finding(r, "services.app.deploy.resources.limits.pids")!.kind).toBe("approximated");
        // max_attempts became the limit of on-failure:3; with another condition it limits nothing.
        expect(finding(r, "services.app.deploy.restart_policy.max_attempts")).toBeUndefined();
        const any = one("image: nginx\ndeploy:\n  restart_policy: {condition: any, max_attempts: 3, delay: 5s}");
        expect(svc(any).restart).toBe("always");
        expect(finding(any, "services.app.deploy.restart_policy.max_attempts")!.kind).toBe("approximated");
        expect(finding(any, "services.app.deploy.restart_policy.delay")!.kind).toBe("approximated");
        expect(finding(r, "services.app.deploy.placement")!.kind).toBe("approximated");
        expect(finding(r, "services.app.restart")).toBeUndefined(); // the policy was given, in deploy
        valid(r);
    });

    it("service-level cpus, mem_limit and mem_reservation; deploy's resources win", () => {
        expect(svc(one("image: nginx\ncpus: 2\nmem_limit: 1g\nmem_reservation: 300000k")).resources).toEqual({ cpu: { limit: "2" }, memory: { limit: "1Gi", request: "300000Ki" } });
        expect(svc(one("image: nginx\ndeploy: {resources: {limits: {cpus: '1'}}}\ncpus: 2")).resources).toEqual({ cpu: { limit: "1" } });
        expect(memoryQuantity("100000")).toEqual({ quantity: "98Ki", exact: false });
        expect(memoryQuantity("2gb")).toEqual({ quantity: "2Gi", exact: true });
    });

    it("replicated services sharing a volume get ReadWriteMany, as Compose's replicas share it", () => {
        const r = one("image: nginx\nscale: 2\nvolumes: [data:/data]", "volumes:\n  data:\n");
        expect(r.spec.volumes).toEqual({ data: { access: "ReadWriteMany" } });
        expect(r.findings.filter((f) => f.path === "volumes.data").map((f) => f.message)).toContainEqual(expect.stringMatching(/^access ReadWriteMany: app's 2 replicas share it, as in Compose/));
        valid(r);
    });
});

describe("security", () => {
    it("keeps Docker's default capabilities, with cap_add and cap_drop; cap_drop ALL keeps only cap_add", () => {
        expect(svc(one("image: nginx")).security).toEqual({ baseCapabilities: "default" });
        expect(svc(one("image: nginx\ncap_add: [CAP_NET_ADMIN, sys_ptrace]\ncap_drop: [NET_RAW]")).security).toEqual({ baseCapabilities: "default", capabilities: ["NET_ADMIN", "SYS_PTRACE"], dropCapabilities: ["NET_RAW"] });
        expect(svc(one("image: nginx\ncap_drop: [ALL]\ncap_add: [NET_BIND_SERVICE]")).security).toEqual({ baseCapabilities: "none", capabilities: ["NET_BIND_SERVICE"] });
        const all = one("image: nginx\ncap_add: [ALL]");
        expect(svc(all).security).toEqual({ baseCapabilities: "default" });
        expect(finding(all, "services.app.cap_add")!.message).toBe("cap_add: ALL is left out: berth never grants every capability; list the ones the service needs");
    });

    it("user: a uid, a name, with a group, is security.user; a name is reported as Kubernetes-refused", () => {
        expect(svc(one('image: nginx\nuser: "1000"\nread_only: true')).security).toEqual({ baseCapabilities: "default", user: "1000", readOnlyRootFilesystem: true });
        expect(svc(one("image: nginx\nuser: 1000:1000")).security.user).toBe("1000:1000");
        expect(finding(one('image: nginx\nuser: "1000:1000"'), "services.app.user")).toBeUndefined();
        const named = one("image: nginx\nuser: postgres");
        expect(svc(named).security.user).toBe("postgres");
        expect(finding(named, "services.app.user")).toMatchObject({ kind: "approximated", message: expect.stringMatching(/^user "postgres" names a user or group: Docker runs it as written, Kubernetes refuses it/) });
        expect(finding(one('image: nginx\nuser: "a b"'), "services.app.user")!.kind).toBe("refused");
    });

    it("working_dir", () => {
        expect(svc(one("image: nginx\nworking_dir: /srv")).workingDir).toBe("/srv");
        expect(finding(one("image: nginx\nworking_dir: srv"), "services.app.working_dir")!.kind).toBe("refused");
    });
});

describe("volumes, networks, names", () => {
    it("mounts named volumes (short and long, read-only); a folder's bind mount becomes bindMounts; tmpfs, anonymous and Docker socket mounts are reported", () => {
        const r = one('image: nginx\nvolumes:\n  - data:/data:ro\n  - {type: volume, source: data, target: /more, read_only: true}\n  - ./conf:/etc/conf\n  - /cache\n  - {type: tmpfs, target: /tmp}\n  - {type: bind, source: /var/run/docker.sock, target: /var/run/docker.sock}\n  - nope:/x', "volumes:\n  data:\n");
        expect(svc(r).volumes).toEqual([{ volume: "data", path: "/data", readOnly: true }, { volume: "data", path: "/more", readOnly: true }]);
        expect(svc(r).bindMounts).toEqual([{ hostPath: "conf", path: "/etc/conf" }]);
        expect(finding(r, "services.app.volumes[2]")).toMatchObject({ kind: "approximated", message: expect.stringMatching(/^bind mount of the folder \.\/conf: bindMounts \(hostPath conf\), which Docker stacks mount and Kubernetes stacks refuse .*does not exist yet: create it before deploying/) });
        expect(finding(r, "services.app.volumes[3]")).toMatchObject({ kind: "approximated", message: expect.stringMatching(/^anonymous volume at \/cache: left out/) });
        expect(finding(r, "services.app.volumes[4]")).toMatchObject({ kind: "refused", message: "not in berth's spec: a tmpfs mount at /tmp: mount a named volume there instead" });
        expect(finding(r, "services.app.volumes[5]")).toMatchObject({ kind: "refused", message: expect.stringMatching(/^bind mount of \/var\/run\/docker\.sock at \/var\/run\/docker\.sock: the Docker API socket gives the container root on the host, so berth takes it only when the spec opts in: add .*allowDockerSocket: true/) });
        expect(finding(r, "services.app.volumes[6]")!.message).toBe('volume "nope" is not declared in the top-level volumes (Compose refuses it too): declare it');
        fs.mkdirSync(path.join(programDir(r), "conf"));
        validIn(r);
    });

    it("a bind mount of one file becomes a file (both targets); of a folder, a bind mount that Docker stacks take and Kubernetes stacks refuse", () => {
        const files = { "nginx.conf": "events {}\n", "run.sh": "#!/bin/sh\n", "html/index.html": "hi\n" };
        const r = one("image: nginx\nvolumes:\n  - ./nginx.conf:/etc/nginx/nginx.conf:ro\n  - ./run.sh:/run.sh\n  - ./html:/usr/share/nginx/html:ro", "", { files });
        fs.chmodSync(path.join(programDir(r), "run.sh"), 0o755);
        expect(svc(r).files).toEqual([{ path: "/etc/nginx/nginx.conf", source: "nginx.conf" }, { path: "/run.sh", source: "run.sh" }]);
        expect(svc(r).bindMounts).toEqual([{ hostPath: "html", path: "/usr/share/nginx/html", readOnly: true }]);
        expect(r.findings.find((f) => f.path === "services.app.volumes[0]")).toEqual({
            path: "services.app.volumes[0]",
            kind: "mapped",
            message: "bind mount of the file ./nginx.conf: files (source nginx.conf), read at every deploy and placed in the container on both targets",
        });
        expect(finding(r, "services.app.volumes[1]")).toMatchObject({ kind: "approximated", message: expect.stringContaining("it is a copy, so what the container writes there does not reach the host (and on Kubernetes it is read-only)") });
        expect(finding(r, "services.app.volumes[2]")!.message).toBe(
            "bind mount of the folder ./html: bindMounts (hostPath html), which Docker stacks mount and Kubernetes stacks refuse (a node does not have this machine's folders: use a volume, or files for config files)",
        );
        // An executable file keeps its executable bits.
        const again = importComposeFile(path.join(programDir(r), "compose.yaml"), { env: {}, programDir: programDir(r) });
        expect(svc(again).files[1]).toEqual({ path: "/run.sh", source: "run.sh", mode: 0o755 });
        validIn(r);
        expect(() => validIn(r, "kubernetes")).toThrow(/app\.services\.app\.bindMounts\[0\]: a bind mount of html cannot be honoured on Kubernetes: .*use a volume .* or services\.app\.files for config files/);
    });

    it("maps configs (file, content, environment; short and long syntax, mode) to files, and refuses external and undeclared ones", () => {
        const r = one(
            "image: nginx\nconfigs:\n  - site\n  - source: inline\n    target: /etc/app/inline.conf\n    mode: 0440\n    uid: '103'\n  - source: fromenv\n    target: etc/env.conf\n  - outside\n  - nope",
            "configs:\n  site:\n    file: ./site.conf\n  inline:\n    content: |\n      port=${PORT:-80}\n  fromenv:\n    environment: APP_CONFIG\n  outside:\n    external: true\n",
            { files: { "site.conf": "server {}\n" }, env: { APP_CONFIG: "a=1" } },
        );
        expect(svc(r).files).toEqual([
            { path: "/site", source: "site.conf" },
            { path: "/etc/app/inline.conf", content: "port=80\n", mode: 0o440 },
            { path: "/etc/env.conf", content: "a=1" },
        ]);
        expect(r.findings.filter((f) => f.path === "configs").map((f) => f.kind)).toEqual(["mapped"]);
        expect(r.findings.find((f) => f.path === "configs.site")).toMatchObject({ kind: "mapped", message: "files[].source site.conf, read at every deploy" });
        expect(finding(r, "configs.fromenv")).toMatchObject({ kind: "approximated", message: expect.stringMatching(/^environment: the value of APP_CONFIG when imported is written inline/) });
        expect(finding(r, "services.app.configs[1].uid")).toMatchObject({ kind: "approximated" });
        expect(finding(r, "configs.outside")).toMatchObject({ kind: "refused", message: expect.stringMatching(/^external: the config lives outside the app/) });
        expect(finding(r, "services.app.configs[4]")).toMatchObject({ kind: "refused", message: 'config "nope" is not declared in the top-level configs (Compose refuses it too)' });
        validIn(r);
        validIn(r, "kubernetes");
    });

    it("renames what berth refuses (_ and capitals) everywhere it is used, and reports it", () => {
        const r = imp("services:\n  My_App:\n    image: nginx\n    volumes: [db_data:/d]\n    networks: [back_end]\n  other:\n    image: nginx\n    depends_on: [My_App]\nvolumes:\n  db_data:\nnetworks:\n  back_end:\n    internal: true\n");
        expect(r.spec).toEqual({
            services: {
                "my-app": { image: "nginx", networks: ["back-end"], volumes: [{ volume: "db-data", path: "/d" }], security: { baseCapabilities: "default" } },
                other: { image: "nginx", dependsOn: { "my-app": "started" }, security: { baseCapabilities: "default" } },
            },
            networks: { "back-end": { internal: true } },
            volumes: { "db-data": {} },
        });
        expect(finding(r, "services.My_App")!.message).toBe('service "My_App" is named "my-app": berth\'s names are lowercase DNS labels (a-z, 0-9, \'-\', starting with a letter, at most 32 characters); other services reach it as my-app, so update any address that names My_App');
        expect(finding(r, "volumes.db_data")!.message).toMatch(/^volume "db_data" is named "db-data"/);
        valid(r);
    });

    it("refuses two names that would clash, and a network not declared", () => {
        const r = imp("services:\n  a_b:\n    image: nginx\n    networks: [x]\n  a-b:\n    image: nginx\n");
        expect(Object.keys(r.spec.services)).toEqual(["a-b"]);
        expect(finding(r, "services.a-b")!.message).toBe('service "a-b" would be named "a-b" in berth, as "a_b" is already: rename one of them in the Compose file');
        expect(finding(r, "services.a_b.networks[0]")!.message).toBe('network "x" is not declared in the top-level networks (Compose refuses it too)');
    });

    it("network aliases are aliases; fixed addresses and top-level network options are reported", () => {
        const r = one("image: nginx\nnetworks:\n  front:\n    aliases: [www]\n    ipv4_address: 172.16.238.10", "networks:\n  front:\n    driver: overlay\n    external: true\n    name: shared\n");
        expect(svc(r).networks).toEqual(["front"]);
        expect(svc(r).aliases).toEqual(["www"]);
        expect(finding(r, "services.app.networks.front.aliases")).toBeUndefined();
        expect(finding(r, "services.app.networks.front.ipv4_address")!.kind).toBe("refused");
        expect(finding(r, "networks.front.driver")!.kind).toBe("refused");
        expect(finding(r, "networks.front.external")!.kind).toBe("refused");
        expect(finding(r, "networks.front.name")!.kind).toBe("approximated");
    });
});

describe("build and image", () => {
    it("build: a folder or a mapping, relative to the program, with its target and args", () => {
        const r = imp("services:\n  a:\n    build: ./web\n  b:\n    build: {context: web, dockerfile: Dockerfile.dev, target: dev, args: [X=1]}\n", { files: { "web/Dockerfile": "FROM nginx\n" } });
        expect(r.spec.services.a.build).toEqual({ context: "web" });
        expect(r.spec.services.b.build).toEqual({ context: "web", dockerfile: "Dockerfile.dev", target: "dev", args: { X: "1" } });
        expect(finding(r, "services.b.build.target")).toBeUndefined();
        expect(finding(r, "services.b.build.args")).toBeUndefined();
    });

    it("with both image and build, builds, and reports the image name it does not use", () => {
        const r = one("image: shop/web:1\nbuild: .");
        expect(svc(r)).toMatchObject({ build: { context: "." } });
        expect(svc(r).image).toBeUndefined();
        expect(finding(r, "services.app.image")!.message).toMatch(/^the service also builds: berth builds it and tags the image itself .*, not shop\/web:1$/);
    });

    it("refuses a service with neither", () => {
        const r = imp("services:\n  a:\n    image: nginx\n  b:\n    environment: [A=1]\n");
        expect(Object.keys(r.spec.services)).toEqual(["a"]);
        expect(finding(r, "services.b")!.message).toBe("the service has neither image nor build: berth needs one (add image: or build:)");
    });
});

describe("secrets", () => {
    it("from a file or an environment variable, short and long syntax, each a stack secret config key", () => {
        const r = imp(
            "services:\n  a:\n    image: nginx\n    secrets:\n      - db-password\n      - {source: api_token, target: token.txt, mode: 0400}\n      - {source: db-password, target: /etc/pw}\nsecrets:\n  db-password: {file: ./pw.txt}\n  api_token: {environment: API_TOKEN}\n",
        );
        expect(r.spec.services.a.secrets).toEqual({
            db_password: { config: "dbPassword", as: "file", path: "/run/secrets/db-password" },
            token_txt: { config: "apiToken", as: "file", path: "/run/secrets/token.txt" },
            pw: { config: "dbPassword", as: "file", path: "/etc/pw" },
        });
        expect(r.secrets.map((s) => s.command)).toEqual([
            'pulumi config set --secret berth:dbPassword "$(cat pw.txt)" --stack <stack>',
            'pulumi config set --secret berth:apiToken "$API_TOKEN" --stack <stack>',
        ]);
        expect(finding(r, "services.a.secrets[1].mode")!.kind).toBe("approximated");
        valid(r);
    });

    it("names config keys clear of berth's own stack keys", () => {
        expect([configKey("db-password"), configKey("target"), configKey("9lives"), configKey("API_KEY")]).toEqual(["dbPassword", "targetSecret", "secret9lives", "aPIKEY"]);
    });
});

describe("the module", () => {
    it("imports the entry module relative to where it is written", () => {
        expect(entryImport()).toBe("../components");
        expect(entryImport(path.join(REPO_ROOT, "apps", "team", "shop.ts"))).toBe("../../components");
        expect(entryImport(path.join(REPO_ROOT, "shop.ts"))).toBe("./components");
    });

    it("is the spec as TypeScript: evaluating its object gives the spec back", () => {
        const r = imported.get("react-express-mysql")!;
        const text = renderModule(r, { source: "x" });
        const body = text.slice(text.indexOf("export const app = ") + "export const app = ".length, text.lastIndexOf(" satisfies AppInput;"));
        expect(new Function(`return (${body});`)()).toEqual(r.spec as AppInput);
    });
});

describe("interpolation, as Compose does it", () => {
    const env = { SET: "v", EMPTY: "" };
    it.each([
        ["$SET and ${SET}", "v and v"],
        ["${UNSET:-d} ${EMPTY:-d} ${SET:-d}", "d d v"],
        ["${UNSET-d} [${EMPTY-d}] ${SET-d}", "d [] v"],
        ["${SET:+alt} [${EMPTY:+alt}] ${EMPTY+alt} [${UNSET+alt}]", "alt [] alt []"],
        ["$$SET costs $$5 $${SET}", "$SET costs $5 ${SET}"],
        ["${UNSET:-${SET}-x}", "v-x"],
        ["${UNSET:-a}}", "a}"],
        ["pre${SET}post $SET_MORE.", "prevpost ."],
    ])("%s -> %s", (text, value) => {
        expect(interpolate(text, env).value).toBe(value);
    });

    it("reports unset variables; stops on a required one or a bad format, as Compose does", () => {
        expect(interpolate("$A ${B} ${C:-x}", {}).unset).toEqual(["A", "B"]);
        expect(() => interpolate("${UNSET:?give UNSET a value}", env)).toThrow("required variable UNSET is missing a value: give UNSET a value");
        expect(() => interpolate("${EMPTY:?}", env)).toThrow("required variable EMPTY is missing a value");
        expect(interpolate("${EMPTY?no}", env).value).toBe("");
        expect(() => interpolate("cost $5", env)).toThrow(/invalid interpolation format for "cost \$5": "\$" must start \$VAR, \$\{VAR\} or \$\$/);
        expect(() => interpolate("${SET", env)).toThrow(/is not closed/);
        expect(() => interpolate("${SET/a/b}", env)).toThrow(/accepted: \$\{VAR\}, \$\{VAR:-default\}/);
    });

    it("in the Compose file: values (not keys), with the key path in the report and the error", () => {
        const r = one("image: ${IMG:-nginx}:${TAG}\nenvironment:\n  $$KEY: ${SET}", "", { env: { SET: "v" } });
        // A key is not interpolated: $$KEY stays a name berth refuses.
        expect(svc(r)).toMatchObject({ image: "nginx:" });
        expect(svc(r).env).toBeUndefined();
        expect(finding(r, 'services.app.environment["$$KEY"]')!.kind).toBe("refused");
        expect(finding(r, "services.app.image")).toMatchObject({ kind: "approximated", message: expect.stringMatching(/^variable TAG is not set: a blank string is used, as Compose does/) });
        expect(() => one("image: nginx\nenvironment:\n  - PW=${PW:?set PW first}")).toThrow("services.app.environment[0]: required variable PW is missing a value: set PW first");
    });

    it(".env next to the file: read with its own rules; the process environment wins", () => {
        const files = { ".env": "# comment\nA=from-dotenv\nB = spaced # trailing comment\nexport C=\"x\\ny $A\"\nD='lit $A'\nE=${A}-e\n" };
        const r = one("image: nginx\nenvironment: [A=$A, B=$B, C=$C, D=$D, E=$E]", "", { files, env: { A: "from-shell" } });
        expect(svc(r).env).toEqual({ A: "from-shell", B: "spaced", C: "x\ny from-shell", D: "lit $A", E: "from-shell-e" });
        expect(parseDotenv("K=v\nmulti=\"a\nb\"\n")).toEqual({ K: "v", multi: "a\nb" });
    });

    it("YAML anchors and merge keys, as x-* extensions are used", () => {
        const r = imp("x-common: &common\n  image: nginx\n  environment: [A=1]\nservices:\n  a:\n    <<: *common\n    environment: [B=2]\n  b: *common\n");
        expect(r.spec.services).toMatchObject({ a: { image: "nginx", env: { B: "2" } }, b: { image: "nginx", env: { A: "1" } } });
        expect(r.findings.find((f) => f.path === "x-common")!.kind).toBe("ignored");
    });
});

describe("the report", () => {
    it("counts, then one line per refusal and approximation with its key path", () => {
        const r = one("image: nginx\nprivileged: true\nhostname: h\nrestart: always");
        const text = renderReport(r, "compose.yaml");
        const counts = (k: string) => r.findings.filter((f) => f.kind === k).length;
        expect(text.split("\n")[0]).toBe(`berth import compose.yaml: 1 services; ${counts("mapped")} keys mapped, ${counts("approximated")} approximated, 1 refused`);
        expect(text).toContain("\n  refused      services.app.privileged: berth never runs a container privileged: list the capabilities it needs in cap_add\n");
        expect(text).toContain("\n  approximated services.app.hostname: berth sets the host name");
    });

    it("says what berth's policy pack will flag: no readiness check, no limits, an image without a fixed tag", () => {
        const r = imp("services:\n  a:\n    image: nginx\n  b:\n    image: reg.example.com:5000/team/b:latest\n    cpus: 1\n  c:\n    image: redis:7.2\n    healthcheck: {test: [CMD, redis-cli, ping]}\n    deploy: {resources: {limits: {cpus: '1', memory: 64m}}}\n");
        expect(r.policy).toEqual({
            a: ["no readiness check (give health.readiness)", "no cpu and memory limit (set resources.cpu.limit and resources.memory.limit)", "image nginx has no tag (name a version tag or a digest)"],
            b: ["no readiness check (give health.readiness)", "no memory limit (set resources.memory.limit)", "image reg.example.com:5000/team/b:latest: latest names no fixed image (name a version tag or a digest)"],
        });
        expect(renderReport(r, "x")).toContain("berth's policy pack (advisory in dev, mandatory in staging and prod) will flag:\n  services.a: no readiness check (give health.readiness); no cpu and memory limit");
    });

    it("a top-level section that is not a mapping is refused, naming it", () => {
        const r = imp("services:\n  a:\n    image: nginx\nvolumes: [data]\n");
        expect(finding(r, "volumes")).toEqual({ path: "volumes", kind: "refused", message: 'a mapping of names (got ["data"]): nothing of it is imported' });
        expect(r.spec.volumes).toBeUndefined();
    });

    it("a file Compose would refuse is an error naming it, and nothing is imported", () => {
        expect(() => imp("services: [a]")).toThrow(/services: a Compose file needs at least one service/);
        expect(() => imp("services:\n  a: {image: nginx}\n b")).toThrow(ComposeImportError);
    });
});
