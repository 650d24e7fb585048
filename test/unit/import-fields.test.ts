// The importer's mapping of the Compose keys that issue 12's spec fields now
// carry: restart on-failure:N, labels, user, build target and args, network
// aliases and container_name, dotted env names.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { validate } from "../../components/validate";
import { Finding, ImportResult, importComposeFile } from "../../import/compose";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-import-fields-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** Imports Compose text from a fresh folder with these files. */
function imp(text: string, files: Record<string, string> = {}, env: Record<string, string> = {}): ImportResult {
    const dir = path.join(tmp, String(n++));
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, c] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), c);
    }
    fs.writeFileSync(path.join(dir, "compose.yaml"), text);
    return importComposeFile(path.join(dir, "compose.yaml"), { env, programDir: dir });
}
const one = (lines: string, more = "") => imp(`services:\n  app:\n${lines.replace(/^/gm, "    ")}\n${more}`);
const svc = (r: ImportResult, name = "app") => r.spec.services[name] as Record<string, any>;
const finding = (r: ImportResult, p: string): Finding | undefined => r.findings.find((f) => f.path === p && f.kind !== "mapped");
/** Valid for berth on this target (secrets set). */
const validOn = (r: ImportResult, target: "docker" | "kubernetes") =>
    validate("t", r.spec, { target, kubernetes: { namespace: "t", registry: "127.0.0.1:5000" }, services: target === "kubernetes" ? r.kubernetes.services : undefined }, () => true);

describe("labels", () => {
    it("maps the mapping and the list forms to labels", () => {
        expect(svc(one('image: nginx\nlabels:\n  com.example.team: web\n  example.com/port: 8080\n  empty: ""')).labels).toEqual({ "com.example.team": "web", "example.com/port": "8080", empty: "" });
        const list = one('image: nginx\nlabels: ["com.example.team=web", "flag", "a=b=c"]');
        expect(svc(list).labels).toEqual({ "com.example.team": "web", flag: "", a: "b=c" });
        validOn(list, "docker");
        validOn(list, "kubernetes");
    });

    it("reads label_file next to the Compose file, labels over it; a missing file stops the import", () => {
        const r = imp("services:\n  app:\n    image: nginx\n    label_file: [a.labels]\n    labels: {b: from-compose}\n", { "a.labels": "# c\na=1\nb=from-file\n" });
        expect(svc(r).labels).toEqual({ a: "1", b: "from-compose" });
        expect(() => imp("services:\n  app:\n    image: nginx\n    label_file: gone.labels\n")).toThrow(/^services\.app\.label_file: label file .*gone\.labels not found/);
    });

    it("leaves out berth's own keys and keys Kubernetes refuses, saying why", () => {
        const r = one(`image: nginx\nlabels:\n  berth.dev/service: x\n  "has space": y\n  ${"a".repeat(64)}: z\n  ok: "1"`);
        expect(svc(r).labels).toEqual({ ok: "1" });
        expect(finding(r, 'services.app.labels["berth.dev/service"]')).toMatchObject({ kind: "refused", message: expect.stringContaining("keys under berth.dev/ are berth's own") });
        expect(finding(r, 'services.app.labels["has space"]')).toMatchObject({ kind: "refused", message: expect.stringContaining("not a key Kubernetes takes for an annotation") });
        expect(finding(r, `services.app.labels.${"a".repeat(64)}`)!.kind).toBe("refused");
        validOn(r, "kubernetes");
    });
});

describe("build target and args", () => {
    const files = { "web/Dockerfile": "FROM nginx\n" };

    it("maps target and args in the mapping and list forms; a name without a value takes the environment's, or is left out", () => {
        const r = imp("services:\n  a:\n    build:\n      context: web\n      target: prod\n      args: {A: 1, B: x=y, C: null, D: ~}\n  b:\n    build: {context: web, args: [E=2, F, G]}\n", files, { C: "from-env", F: "f" });
        expect(r.spec.services.a.build).toEqual({ context: "web", target: "prod", args: { A: "1", B: "x=y", C: "from-env" } });
        expect(r.spec.services.b.build).toEqual({ context: "web", args: { E: "2", F: "f" } });
        expect(finding(r, "services.a.build.args.D")).toMatchObject({ kind: "approximated", message: expect.stringContaining("D has no value and is not set in the environment: left out, as Compose does") });
        expect(finding(r, "services.b.build.args[2]")!.kind).toBe("approximated");
        validOn(r, "docker");
        validOn(r, "kubernetes");
    });

    it("refuses a target or argument name berth's spec refuses", () => {
        const r = imp('services:\n  a:\n    build: {context: web, target: "-x", args: {"bad-name": 1, OK: 2}}\n', files);
        expect(r.spec.services.a.build).toEqual({ context: "web", args: { OK: "2" } });
        expect(finding(r, "services.a.build.target")!.kind).toBe("refused");
        expect(finding(r, "services.a.build.args.bad-name")!.kind).toBe("refused");
    });

    it("the samples' build targets and args arrive (react-express-mysql's backend)", () => {
        const file = path.resolve(__dirname, "..", "..", "..", "shared", "compose-samples", "react-express-mysql", "compose.yaml");
        const r = importComposeFile(file, { env: {} });
        expect(r.spec.services.backend.build).toMatchObject({ target: "development", args: { NODE_ENV: "development" } });
    });
});

describe("network aliases and container_name", () => {
    it("maps aliases of every network and a container_name other than the service's name to aliases", () => {
        const r = imp("services:\n  db:\n    image: postgres:16\n    expose: [5432]\n    container_name: my-postgres\n    networks:\n      back: {aliases: [database, pg]}\n      front: {aliases: [pg]}\nnetworks:\n  back: {}\n  front: {}\n");
        expect(svc(r, "db").aliases).toEqual(["my-postgres", "database", "pg"]);
        expect(finding(r, "services.db.networks.back.aliases")).toMatchObject({ kind: "approximated", message: "berth gives a service its aliases on every network it joins, not on back only" });
        validOn(r, "docker");
        validOn(r, "kubernetes");
    });

    it("a container_name that is the service's name adds nothing", () => {
        const r = imp("services:\n  db:\n    image: postgres:16\n    container_name: db\n");
        expect(svc(r, "db").aliases).toBeUndefined();
        expect(r.findings.filter((f) => f.path === "services.db.container_name").map((f) => f.kind)).toEqual(["mapped"]);
    });

    it("leaves out a name that is a service's or another's alias, or not a DNS label, saying why", () => {
        const r = imp("services:\n  a:\n    image: nginx\n    expose: [80]\n    container_name: b\n  b:\n    image: nginx\n    expose: [80]\n    networks: {default: {aliases: [x, My_Box]}}\n  c:\n    image: nginx\n    expose: [80]\n    container_name: x\n");
        expect([svc(r, "a").aliases, svc(r, "b").aliases, svc(r, "c").aliases]).toEqual([undefined, ["x"], undefined]);
        expect(finding(r, "services.a.container_name")).toMatchObject({ kind: "refused", message: '"b" is the name of a service: left out (a name reaches one service)' });
        expect(finding(r, "services.c.container_name")).toMatchObject({ kind: "refused", message: '"x" is already an alias of service b: left out (a name reaches one service)' });
        expect(finding(r, "services.b.networks.default.aliases[1]")!.kind).toBe("approximated");
        validOn(r, "kubernetes");
    });

    it("says that Kubernetes needs ports for the aliases of a service without any", () => {
        const r = imp("services:\n  worker:\n    image: busybox\n    container_name: jobs\n");
        expect(svc(r, "worker").aliases).toEqual(["jobs"]);
        expect(finding(r, "services.worker")!.message).toContain("Kubernetes refuses aliases of a service without ports");
    });
});

describe("ports that peers reach without expose", () => {
    it("adds a port that another service's env or command names, once, and reports it", () => {
        const r = imp(
            [
                "services:",
                "  web:",
                "    image: nginx",
                "    environment: [API=http://api:8000/v1, CACHE=cache:6379, OTHER=elsewhere:9000]",
                "    command: --upstream api:8000 --db db:5432",
                "  api: {image: api}",
                "  cache: {image: redis, expose: [6379]}",
                "  db: {image: postgres}",
            ].join("\n"),
        );
        expect(svc(r, "api").ports).toEqual([{ port: 8000 }]);
        expect(svc(r, "cache").ports).toEqual([{ port: 6379 }]); // already listed: not twice
        expect(svc(r, "db").ports).toEqual([{ port: 5432 }]);
        expect(Object.keys(svc(r, "api"))).toEqual(["image", "ports", "security"]); // in the spec's order
        expect(finding(r, "services.api.ports")?.message).toBe(
            "port 8000 added: services.web.environment.API names api:8000, which Compose's network lets it reach without expose; on Kubernetes a peer reaches only the ports the service lists (its Service), so it is listed",
        );
        expect(finding(r, "services.db.ports")?.message).toMatch(/^port 5432 added: services\.web\.command names db:5432/);
        expect(r.findings.filter((f) => f.path === "services.api.ports")).toHaveLength(1);
        validOn(r, "kubernetes");
    });

    it("reports a service without ports that others depend on", () => {
        const r = imp("services:\n  app: {image: app, depends_on: [mongo]}\n  mongo: {image: mongo}\n");
        expect(svc(r, "mongo").ports).toBeUndefined();
        expect(finding(r, "services.mongo")?.message).toBe(
            "no ports (neither ports nor expose), and app depends on it: on Docker they reach any of its ports by name, on Kubernetes none (berth makes no Service without ports); add ports: [{ port: <the port they use> }] in the module",
        );
    });
});
