// Property tests over generated invalid input (fast-check, generators.ts): a
// valid small app with one mutation that breaks one known key path, of the
// spec or of the stack's `berth:*` config (wrong types, values out of range,
// unknown keys). Each is rejected by berth's BerthInputError, whose message
// names the stack and, on a line of its own, that key path and what is
// accepted; nothing is registered; no other exception (TypeError,
// RangeError, a stack overflow) escapes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serviceSchema } from "../../components/spec";
import { serviceOverrideSchema } from "../../components/stack";
import { BerthInputError, berthKey } from "../../components/validate";
import { SEED, dnsLabel, envName, hostile, keyPath, prototypeName, validSpec } from "./generators";
import { render } from "./harness";

const SPEC_RUNS = 700;
const CONFIG_RUNS = 400;

/** A mutation: what it breaks (a key path, as berth writes it) and, optionally, words the line must carry. */
interface Broken {
    kind: string;
    spec: any;
    config: Record<string, unknown>;
    path: string;
    says?: RegExp;
}

/** Any JSON-ish value of a wrong type for a field that wants `ok`. */
const anyValue = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 10 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }).filter((k) => !prototypeName(k)), fc.integer(), { maxKeys: 2 }),
);
const notA = (pred: (v: unknown) => boolean) => anyValue.filter((v) => !pred(v));
const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
/** An integer out of [lo, hi], a fraction, NaN, Infinity, or another type. */
const badInt = (lo: number, hi: number) =>
    fc.oneof(fc.integer({ max: lo - 1 }), fc.integer({ min: hi + 1 }), fc.double({ noInteger: true }), fc.constantFrom(NaN, Infinity, -Infinity, 1e21), notA(isInt));
/** A string that fails `re`, or not a string at all. */
const badString = (re: RegExp) => fc.oneof(fc.string({ unit: "binary", maxLength: 20 }).filter((s) => !re.test(s)), fc.constantFrom("", " ", "\n", "x y"), notA((v) => typeof v === "string")).filter((v) => typeof v !== "string" || !re.test(v));
const notIn = (...allowed: unknown[]) => fc.oneof(fc.string({ maxLength: 12 }), anyValue).filter((v) => !allowed.includes(v));
/** A key that is not `re` (a bad name), never "__proto__" (see generators.ts). */
const badKey = (re: RegExp) => fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 15 }), fc.constantFrom("Web_1", "a.b", "1abc", "-x", "x-", "A", "a b", "é", "x".repeat(64))).filter((k) => !re.test(k) && !prototypeName(k));

const DNS = /^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SERVICE_KEYS = Object.keys(serviceSchema.shape);
const OVERRIDE_KEYS = Object.keys(serviceOverrideSchema.shape);

/** Mutations of one service of the spec, `s` (its name) and the service object `v` given; each returns the path it breaks. */
type SvcMutation = (spec: any, s: string, v: any) => fc.Arbitrary<{ path: string; says?: RegExp; apply: () => void; kind: string }>;
const P = (s: string, ...k: (string | number)[]) => keyPath("app", "services", s, ...k);
const svcMutations: SvcMutation[] = [
    (_sp, s, v) => badInt(0, 100).map((x) => ({ kind: "replicas", path: P(s, "replicas"), apply: () => (delete v.scaling, (v.replicas = x)) })),
    (_sp, s, v) => badInt(1, 65535).map((x) => ({ kind: "port", path: P(s, "ports", 0, "port"), apply: () => (v.ports = [{ port: x }]) })),
    (_sp, s, v) => badInt(1, 65535).map((x) => ({ kind: "publish", path: P(s, "ports", 0, "publish"), apply: () => (v.ports = [{ port: 80, publish: x }]) })),
    (_sp, s, v) => notIn("tcp", "udp").map((x) => ({ kind: "protocol", path: P(s, "ports", 0, "protocol"), says: /"tcp"\|"udp"/, apply: () => (v.ports = [{ port: 80, protocol: x }]) })),
    (_sp, s, v) => badString(/^(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/).map((x) => ({ kind: "image", path: P(s, "image"), apply: () => (v.image = x) })),
    (_sp, s, v) => fc.tuple(badKey(ENV), hostile).map(([k, x]) => ({ kind: "env name", path: P(s, "env", k), says: /invalid name: an env var name/, apply: () => (v.env = { ...v.env, [k]: x }) })),
    (_sp, s, v) => fc.tuple(envName, notA((x) => typeof x === "string")).map(([k, x]) => ({ kind: "env value", path: P(s, "env", k), says: /expected string/, apply: () => (v.env = { ...v.env, [k]: x }) })),
    (_sp, s, v) =>
        fc.oneof(fc.string({ unit: "binary", maxLength: 20 }).map((x) => `/${x} `), fc.string({ maxLength: 10 }).filter((x) => !x.startsWith("/")), fc.constantFrom("/a\tb", "/\u0000", "/x\u007f", "/a\nb", "/\u2028", "/\u00a0", "/\uFEFF"), notA((x) => typeof x === "string")).map((x) => ({
            kind: "http check path",
            path: P(s, "health", "readiness", "http", "path"),
            apply: () => ((v.ports = [{ port: 8080 }]), (v.health = { readiness: { http: { path: x, port: 8080 } } })),
        })),
    (_sp, s, v) => fc.constantFrom({}, { tcp: { port: 80 }, command: ["x"] }, { tcp: { port: 80 }, http: { path: "/", port: 80 } }).map((c) => ({ kind: "check kinds", path: P(s, "health", "liveness"), says: /exactly one of http, tcp or command/, apply: () => ((v.ports = [{ port: 80 }]), (v.health = { liveness: c })) })),
    (_sp, s, v) => badInt(1, 3600).map((x) => ({ kind: "check interval", path: P(s, "health", "startup", "intervalSeconds"), apply: () => (v.health = { startup: { command: ["true"], intervalSeconds: x } }) })),
    (_sp, s, v) => fc.oneof(notA((x) => Array.isArray(x) || typeof x === "string").map((x) => ({ x, at: [] as number[] })), notA((x) => typeof x === "string").map((x) => ({ x: ["ok", x], at: [1] }))).map(({ x, at }) => ({ kind: "command", path: P(s, "command", ...at), apply: () => (v.command = x) })),
    (_sp, s, v) => fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom("replica", "Image", "ports_", "constructor", "toString")).filter((k) => !SERVICE_KEYS.includes(k) && k !== "__proto__"), anyValue).map(([k, x]) => ({ kind: "unknown service key", path: P(s), says: new RegExp(`Unrecognized key: "${escape(k)}"`), apply: () => (v[k] = x) })),
    (sp, s, v) => badKey(DNS).filter((k) => !(k in sp.services)).map((k) => ({ kind: "service name", path: keyPath("app", "services", k), says: /invalid name: a lowercase DNS label/, apply: () => (sp.services[k] = structuredClone(v)) })),
    (sp, _s, v) => dnsLabel.filter((k) => !(k in sp.services)).map((k) => ({ kind: "unknown dependency", path: P(_s, "dependsOn", k), says: new RegExp(`unknown service "${k}"`), apply: () => (v.dependsOn = { ...v.dependsOn, [k]: "started" }) })),
    (_sp, s, v) => notIn("started", "healthy").map((x) => ({ kind: "dependency condition", path: P(s, "dependsOn", s), says: /"started"\|"healthy"/, apply: () => (v.dependsOn = { [s]: x }) })),
    (_sp, s, v) => fc.constant({ kind: "dependency cycle", path: P(s, "dependsOn"), says: new RegExp(`dependency cycle: ${s} -> ${s}`), apply: () => (v.dependsOn = { [s]: "started" }) }),
    (sp, s, v) => dnsLabel.filter((n) => n !== "default" && !(n in (sp.networks ?? {}))).map((n) => ({ kind: "undeclared network", path: P(s, "networks", 0), says: new RegExp(`network "${n}" is not declared`), apply: () => (v.networks = [n]) })),
    (sp, s, v) => dnsLabel.filter((n) => !(n in (sp.volumes ?? {}))).map((n) => ({ kind: "undeclared volume", path: P(s, "volumes", 0, "volume"), says: new RegExp(`volume "${n}" is not declared`), apply: () => (v.volumes = [{ volume: n, path: "/d" }]) })),
    (sp, s, v) => badString(/^\//).map((x) => ({ kind: "mount path", path: P(s, "volumes", 0, "path"), apply: () => ((sp.volumes = { ...sp.volumes, zz: { access: "ReadWriteMany" } }), (v.volumes = [{ volume: "zz", path: x }])) })),
    (_sp, s, v) => fc.integer({ min: 2, max: 50 }).chain((min) => fc.integer({ min: 1, max: min - 1 }).map((max) => ({ kind: "scaling min > max", path: P(s, "scaling", "min"), says: /min must not exceed max/, apply: () => (delete v.replicas, (v.scaling = { min, max, cpuPercent: 50 })) }))),
    (_sp, s, v) => fc.constant({ kind: "scaling without a metric", path: P(s, "scaling"), says: /give cpuPercent or memoryPercent/, apply: () => (delete v.replicas, (v.scaling = { min: 1, max: 2 })) }),
    (_sp, s, v) => badInt(0, 3600).map((x) => ({ kind: "scale-down window", path: P(s, "scaling", "scaleDownStabilizationSeconds"), says: /whole seconds from 0 to 3600/, apply: () => (delete v.replicas, (v.scaling = { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: x })) })),
    (_sp, s, v) => badString(/^(\d+m|\d+(\.\d+)?)$/).map((x) => ({ kind: "cpu quantity", path: P(s, "resources", "cpu", "limit"), apply: () => (v.resources = { cpu: { limit: x } }) })),
    (_sp, s, v) => badString(/^\d+(Ki|Mi|Gi|Ti)$/).map((x) => ({ kind: "memory quantity", path: P(s, "resources", "memory", "request"), apply: () => (v.resources = { memory: { request: x } }) })),
    (_sp, s, v) => fc.constantFrom([0, 0], [0, "0%"], ["0%", 0], ["0%", "00%"]).map(([a, b]) => ({ kind: "rolling update 0/0", path: P(s, "rollingUpdate", "maxUnavailable"), says: /cannot both be 0/, apply: () => (v.rollingUpdate = { maxSurge: a, maxUnavailable: b }) })),
    (_sp, s, v) => fc.constant({ kind: "image and build", path: P(s), says: /give exactly one of image or build/, apply: () => (v.build = { context: "." }) }),
    (_sp, s, v) => fc.constant({ kind: "neither image nor build", path: P(s), says: /give exactly one of image or build/, apply: () => delete v.image }),
    (_sp, s, v) => notIn().filter((x) => !serviceSchema.shape.restart.safeParse(x).success).map((x) => ({ kind: "restart", path: P(s, "restart"), apply: () => (v.restart = x) })),
    (_sp, s, v) => badString(/^\//).map((x) => ({ kind: "workingDir", path: P(s, "workingDir"), apply: () => (v.workingDir = x) })),
    (_sp, s, v) => fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.constantFrom(NaN, Infinity, 2 ** 53), notA(isInt)).map((x) => ({ kind: "runAsUser", path: P(s, "security", "runAsUser"), apply: () => (v.security = { runAsUser: x }) })),
    (_sp, s, v) => badString(/^[A-Z_]+$/).map((x) => ({ kind: "capability", path: P(s, "security", "capabilities", 0), apply: () => (v.security = { capabilities: [x] }) })),
    (_sp, s, v) => fc.tuple(envName, badString(/^[a-zA-Z][a-zA-Z0-9_]*$/)).map(([k, x]) => ({ kind: "secret config key", path: P(s, "secrets", k, "config"), apply: () => (v.secrets = { [k]: { config: x } }) })),
    (_sp, s, v) => fc.constant({ kind: "port listed twice", path: P(s, "ports", 1, "port"), says: /port 80\/tcp is listed twice/, apply: () => (v.ports = [{ port: 80 }, { port: 80 }]) }),
    (_sp, s, v) => fc.integer({ min: 1, max: 65535 }).map((h) => ({ kind: "host port published twice", path: P(s, "ports", 1, "publish"), says: new RegExp(`host port ${h} is already published by service "${s}"`), apply: () => (v.ports = [{ port: 80, publish: h }, { port: 81, publish: h }]) })),
    (_sp, s, v) => fc.integer({ min: 1, max: 65535 }).filter((p) => p !== 80).map((p) => ({ kind: "check of an unlisted port", path: P(s, "health", "readiness"), says: new RegExp(`checks port ${p}, which is not in services\\.${escape(s)}\\.ports`), apply: () => ((v.ports = [{ port: 80 }]), (v.health = { readiness: { tcp: { port: p } } })) })),
    (sp, s) => notA((x) => typeof x === "object" && x !== null && !Array.isArray(x)).map((x) => ({ kind: "service of a wrong type", path: P(s), apply: () => (sp.services[s] = x) })),
];
/** Mutations of the spec's top level. */
const appMutations: ((spec: any) => fc.Arbitrary<{ path: string; says?: RegExp; apply: () => void; kind: string }>)[] = [
    (sp) => badString(/^\d+(Ki|Mi|Gi|Ti)$/).map((x) => ({ kind: "volume size", path: keyPath("app", "volumes", "vx", "size"), apply: () => (sp.volumes = { ...sp.volumes, vx: { size: x } }) })),
    (sp) => notIn("ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany").map((x) => ({ kind: "volume access", path: keyPath("app", "volumes", "vx", "access"), apply: () => (sp.volumes = { ...sp.volumes, vx: { access: x } }) })),
    (sp) => notA((x) => typeof x === "boolean").map((x) => ({ kind: "network internal", path: keyPath("app", "networks", "nx", "internal"), apply: () => (sp.networks = { ...sp.networks, nx: { internal: x } }) })),
    (sp) => fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !["services", "networks", "volumes", "__proto__"].includes(k)).map((k) => ({ kind: "unknown app key", path: "app", says: new RegExp(`Unrecognized key: "${escape(k)}"`), apply: () => (sp[k] = 1) })),
    (sp) => fc.constant({ kind: "no services", path: keyPath("app", "services"), says: /at least one service/, apply: () => (sp.services = {}) }),
    (sp) => notA((x) => typeof x === "object" && x !== null && !Array.isArray(x)).map((x) => ({ kind: "services of a wrong type", path: keyPath("app", "services"), apply: () => (sp.services = x) })),
];

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A valid spec with one mutation of a known path, on the docker target. */
const brokenSpec: fc.Arbitrary<Broken> = validSpec.chain((spec) => {
    const names = Object.keys(spec.services);
    const onService = fc.tuple(fc.constantFrom(...names), fc.integer({ min: 0, max: svcMutations.length - 1 })).chain(([s, i]) => {
        const copy = structuredClone(spec) as any;
        return svcMutations[i](copy, s, copy.services[s]).map((m) => ({ copy, m }));
    });
    const onApp = fc.integer({ min: 0, max: appMutations.length - 1 }).chain((i) => {
        const copy = structuredClone(spec) as any;
        return appMutations[i](copy).map((m) => ({ copy, m }));
    });
    return fc.oneof({ arbitrary: onService, weight: svcMutations.length }, { arbitrary: onApp, weight: appMutations.length }).map(({ copy, m }) => {
        // Applied once per generated value: the runs end on the first failure, without shrinking (which would re-apply it).
        m.apply();
        return { kind: m.kind, spec: copy, config: { target: "docker" }, path: m.path, says: m.says } as Broken;
    });
});

/** What the harness's config string becomes in berth: the engine hands config as strings, berth decodes JSON. */
const effective = (v: unknown) => {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
};
const cfgNot = (pred: (v: unknown) => boolean) => fc.oneof(anyValue, fc.string({ maxLength: 12 }), fc.constantFrom("true", "null", "[]", "{}", "1", '"x"')).filter((v) => !pred(effective(v)));
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const KNOWN = ["target", "docker", "kubernetes", "protectVolumes", "services", "volumes"];

/** Mutations of the stack config, given a valid spec (its first service `s`, its volumes). */
const configMutations: ((spec: any, s: string) => fc.Arbitrary<{ kind: string; config: Record<string, unknown>; path: string; says?: RegExp }>)[] = [
    () => cfgNot((v) => v === "docker" || v === "kubernetes").map((x) => ({ kind: "target", config: { target: x }, path: "berth:target", says: /"docker"\|"kubernetes"/ })),
    () => fc.constant({ kind: "no target", config: {}, path: "berth:target" }),
    () => cfgNot(isObject).map((x) => ({ kind: "docker of a wrong type", config: { target: "docker", docker: x }, path: "berth:docker" })),
    () => cfgNot((v) => typeof v === "string" && (/^(\d{1,3}\.){3}\d{1,3}$/.test(v) || v === "0.0.0.0")).map((x) => ({ kind: "publishAddress", config: { target: "docker", docker: { publishAddress: x } }, path: "berth:docker.publishAddress" })),
    () => cfgNot((v) => typeof v === "string" && /^(unix|tcp|ssh|npipe):\/\//.test(v)).map((x) => ({ kind: "docker host", config: { target: "docker", docker: { host: x } }, path: "berth:docker.host" })),
    () => fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !["publishAddress", "host", "__proto__"].includes(k)).map((k) => ({ kind: "unknown docker key", config: { target: "docker", docker: { [k]: 1 } }, path: "berth:docker", says: /Unrecognized key/ })),
    () => fc.constant({ kind: "kubernetes without its settings", config: { target: "kubernetes" }, path: "berth:kubernetes", says: /target kubernetes needs berth:kubernetes/ }),
    () => cfgNot(isObject).filter((x) => x !== undefined && effective(x) !== undefined).map((x) => ({ kind: "kubernetes of a wrong type", config: { target: "kubernetes", kubernetes: x }, path: "berth:kubernetes" })),
    () => badString(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/).map((x) => ({ kind: "namespace", config: { target: "kubernetes", kubernetes: { namespace: x } }, path: "berth:kubernetes.namespace" })),
    () => notIn("NodePort", "LoadBalancer", "ClusterIP").map((x) => ({ kind: "serviceType", config: { target: "kubernetes", kubernetes: { namespace: "x", serviceType: x } }, path: "berth:kubernetes.serviceType", says: /"NodePort"\|"LoadBalancer"\|"ClusterIP"/ })),
    () => badString(/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/).map((x) => ({ kind: "registry", config: { target: "kubernetes", kubernetes: { namespace: "x", registry: x } }, path: "berth:kubernetes.registry" })),
    () => badString(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).map((x) => ({ kind: "ingressHost", config: { target: "kubernetes", kubernetes: { namespace: "x", ingressHost: x } }, path: "berth:kubernetes.ingressHost" })),
    () => cfgNot((v) => typeof v === "boolean").map((x) => ({ kind: "protectVolumes", config: { target: "docker", protectVolumes: x }, path: "berth:protectVolumes" })),
    () => cfgNot(isObject).map((x) => ({ kind: "services of a wrong type", config: { target: "docker", services: x }, path: "berth:services" })),
    (sp) => dnsLabel.filter((k) => !(k in sp.services)).map((k) => ({ kind: "override of an unknown service", config: { target: "docker", services: { [k]: { replicas: 1 } } }, path: `berth:services.${k}`, says: /unknown service/ })),
    (_sp, s) => badInt(0, 100).map((x) => ({ kind: "override replicas", config: { target: "docker", services: { [s]: { replicas: x } } }, path: `berth:services.${s}.replicas` })),
    (_sp, s) => fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !OVERRIDE_KEYS.includes(k) && k !== "__proto__").map((k) => ({ kind: "unknown override key", config: { target: "docker", services: { [s]: { [k]: 1 } } }, path: `berth:services.${s}`, says: /Unrecognized key/ })),
    (_sp, s) => badKey(ENV).map((k) => ({ kind: "override env name", config: { target: "docker", services: { [s]: { env: { [k]: "x" } } } }, path: keyPath("berth:", "services", s, "env", k).replace(/^berth:\./, "berth:"), says: /invalid name: an env var name/ })),
    (_sp, s) => fc.tuple(envName, notA((x) => typeof x === "string")).map(([k, x]) => ({ kind: "override env value", config: { target: "docker", services: { [s]: { env: { [k]: x } } } }, path: `berth:services.${s}.env.${k}` })),
    (_sp, s) => fc.constant({ kind: "override scaling min > max", config: { target: "docker", services: { [s]: { scaling: { min: 3, max: 2, cpuPercent: 50 } } } }, path: `berth:services.${s}.scaling.min`, says: /min must not exceed max/ }),
    (sp) => dnsLabel.filter((k) => !(k in (sp.volumes ?? {}))).map((k) => ({ kind: "override of an unknown volume", config: { target: "docker", volumes: { [k]: { size: "2Gi" } } }, path: `berth:volumes.${k}`, says: /unknown volume/ })),
    () => badString(/^\d+(Ki|Mi|Gi|Ti)$/).map((x) => ({ kind: "volume override size", config: { target: "docker", volumes: { vq: { size: x } } }, path: "berth:volumes.vq.size" })),
    () => fc.constantFrom("perReplica", "retain", "Size").map((k) => ({ kind: "volume override key not overridable", config: { target: "docker", volumes: { vq: { [k]: true } } }, path: "berth:volumes.vq", says: /Unrecognized key/ })),
    () => fc.tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).filter((k) => !KNOWN.includes(k) && !prototypeName(k)), anyValue).map(([k, x]) => ({ kind: "unknown config key", config: { target: "docker", [k]: x }, path: berthKey(k), says: /unknown key \(accepted: berth:target, berth:docker/ })),
];

const brokenConfig: fc.Arbitrary<Broken> = validSpec.chain((spec) =>
    fc.integer({ min: 0, max: configMutations.length - 1 }).chain((i) => configMutations[i](spec, Object.keys(spec.services)[0]).map((m) => ({ ...m, spec }) as Broken)),
);

/** Renders; returns the error (asserting it is berth's, naming `path`), and that nothing was registered. */
async function rejects(b: Broken, counts: Map<string, number>): Promise<void> {
    counts.set(b.kind, (counts.get(b.kind) ?? 0) + 1);
    let error: unknown;
    let registered = -1;
    try {
        registered = (await render(b.spec, b.config)).resources.length;
    } catch (e) {
        error = e;
    }
    const context = `${b.kind}: expected a line "  - ${b.path}: ..." for spec ${JSON.stringify(b.spec).slice(0, 400)} config ${JSON.stringify(b.config).slice(0, 300)}`;
    expect(error, `${context}; but ${registered} resources were registered`).toBeDefined();
    expect(error, `${context}; got ${String((error as Error)?.stack ?? error)}`).toBeInstanceOf(BerthInputError);
    const message = (error as Error).message;
    expect(message, context).toMatch(/^berth: stack "test" has invalid input:\n/);
    const line = message.split("\n").find((l) => l.startsWith(`  - ${b.path}: `));
    expect(line, `${context}; got:\n${message}`).toBeDefined();
    if (b.says) expect(line, context).toMatch(b.says);
    expect((error as { registered?: unknown[] }).registered ?? [], context).toEqual([]);
}

function summary(what: string, n: number, counts: Map<string, number>, started: number) {
    console.log(`${what}: ${n} generated invalid inputs over ${counts.size} kinds of breakage, all rejected, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`  ${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => `${k} ${c}`).join(", ")}`);
}

describe("generated invalid input", () => {
    it(`${SPEC_RUNS} generated specs, each broken at one known key path, are refused with berth's error naming that path and registering nothing (red if a bad spec slips through, throws a TypeError/RangeError, or the message loses the path)`, async () => {
        const counts = new Map<string, number>();
        const started = Date.now();
        await fc.assert(
            fc.asyncProperty(brokenSpec, (b) => rejects(b, counts)),
            { numRuns: SPEC_RUNS, endOnFailure: true, seed: SEED },
        );
        summary("spec", SPEC_RUNS, counts, started);
        expect(counts.size).toBe(svcMutations.length + appMutations.length);
    }, 180_000);

    it(`${CONFIG_RUNS} generated stack configs with a wrong type, a value out of range or an unknown key are refused with berth's error naming the berth:* key path (red if berth:* config is no longer checked key by key)`, async () => {
        const counts = new Map<string, number>();
        const started = Date.now();
        await fc.assert(
            fc.asyncProperty(brokenConfig, (b) => rejects(b, counts)),
            { numRuns: CONFIG_RUNS, endOnFailure: true, seed: SEED },
        );
        summary("stack config", CONFIG_RUNS, counts, started);
        expect(counts.size).toBe(configMutations.length);
    }, 180_000);
});
