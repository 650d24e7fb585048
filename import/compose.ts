/**
 * Imports a Compose file as a berth app spec (issue 12): every top-level and
 * service-level key of the Compose specification has one outcome here, in
 * TOP_LEVEL_KEYS and SERVICE_KEYS (the one mapping table; docs/reference.md's
 * "Import a Compose file" table is printed from it by `npm run import --
 * --table`):
 *
 * - mapped: carried into the spec with the same meaning;
 * - approximated: carried over, or left out, with a stated difference;
 * - refused: left out, since berth's spec has nothing like it (the reason and
 *   what would work are in the report);
 * - ignored: no meaning for a deployment (`version`, `x-*` extensions).
 *
 * A key that is not in the table is refused as unknown. Adding a spec field
 * for a Compose key is one edit: replace its `unsupported(...)` entry with a
 * `mapped(...)` one.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
// The spec's own modules, not the entry module: that one loads the Pulumi SDKs, which the importer does not need (seconds per run).
import { splitWords } from "../components/shellwords";
import { AppInput, BERTH_LABEL_PREFIX, ENV_NAME as SPEC_ENV_NAME, appSchema, isAnnotationKey, isDockerSocketPath, labelKey, serviceSchema } from "../components/spec";
import { stackConfigSchema } from "../components/stack";
import { InterpolationError, interpolate, parseDotenv } from "./interpolate";

export type Kind = "mapped" | "approximated" | "refused" | "ignored";

/** One outcome: the Compose key path (`services.web.ports[1]`), its kind and what happened. */
export interface Finding {
    path: string;
    kind: Kind;
    message: string;
}

/** A Compose file that Compose itself would refuse (a required variable unset, a syntax error): nothing is written. */
export class ComposeImportError extends Error {}

/** A secret the stack must hold: the config key and the command that sets it. */
export interface SecretToSet {
    config: string;
    /** The Compose secret it comes from. */
    secret: string;
    /** `pulumi config set --secret berth:<key> ...` with the value's source. */
    command: string;
    /** Where the value is today: a file (absolute path), an environment variable, or nowhere known (external). */
    from: { file: string } | { env: string } | { external: true };
}

export interface ImportResult {
    /** The Compose project's name (`name:`, else the folder's name). */
    name: string;
    spec: AppInput;
    findings: Finding[];
    secrets: SecretToSet[];
    /** What berth's policy pack (advisory in dev, mandatory in staging and prod) will flag, by service: no readiness check, no limits, an unpinned image. */
    policy: Record<string, string[]>;
    /** Per-service overrides a Kubernetes stack needs (`berth:services.<name>.restart`), with the commands that set them. */
    kubernetes: { services: Record<string, { restart: "always" }>; commands: string[] };
}

export interface ImportOptions {
    /** The process environment for interpolation. @default process.env */
    env?: Record<string, string | undefined>;
    /** The folder the Pulumi program runs in: build contexts are written relative to it. @default this repository */
    programDir?: string;
}

export const REPO_ROOT = path.resolve(__dirname, "..");

// ---------------------------------------------------------------- the table

type Handler = (value: unknown, s: ServiceCtx) => void;
interface KeyRule {
    kind: Kind;
    /** What happens to the key: the spec field it becomes, or why not and what would work. */
    what: string;
    handle: Handler;
}

/** A key that becomes a spec field; the handler records any approximation below it. */
function mapped(what: string, handle: Handler): KeyRule {
    return {
        kind: "mapped",
        what,
        handle: (v, s) => {
            s.note(s.key, "mapped", what);
            handle(v, s);
        },
    };
}

/**
 * A key berth's spec has no field for: reported as `kind` with `why`, except
 * for a value that changes nothing (e.g. `privileged: false`), which counts as
 * mapped.
 */
function unsupported(kind: "approximated" | "refused", why: string, harmless: (v: unknown) => boolean = (v) => v === null || v === false): KeyRule {
    return {
        kind,
        what: why,
        handle: (v, s) => (harmless(v) ? s.note(s.key, "mapped", `${JSON.stringify(v)} is what berth does`) : s.note(s.key, kind, why)),
    };
}

const notInSpec = (what: string) => `not in berth's spec: ${what}`;
const emptyList = (v: unknown) => v === null || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);

/** Every service-level key of the Compose specification (compose-spec schema), with its outcome. */
export const SERVICE_KEYS: Record<string, KeyRule> = {
    annotations: unsupported("approximated", notInSpec("annotations are not set on the containers or pods (berth sets its own labels)"), emptyList),
    attach: unsupported("approximated", notInSpec("berth never attaches to logs; read them with docker logs or kubectl logs"), (v) => v === true || v === null),
    blkio_config: unsupported("approximated", notInSpec("block IO weights and limits: the container runs without them")),
    build: mapped("build.context (relative to the program), build.dockerfile, build.target and build.args", mapBuild),
    cap_add: mapped('security.capabilities, with security.baseCapabilities "default" (Docker\'s default set, as Compose runs)', mapCapabilities),
    cap_drop: mapped('security.dropCapabilities with baseCapabilities "default"; cap_drop: [ALL] is baseCapabilities "none"', mapCapabilities),
    cgroup: unsupported("refused", notInSpec("the cgroup namespace mode; the engine's default is used")),
    cgroup_parent: unsupported("refused", notInSpec("a parent cgroup; the engine's default is used")),
    command: mapped("args (the image's cmd), a list of words or one string split as Compose splits it", (v, s) => mapCommand(v, s, "args")),
    configs: mapped("files: each config a file at its target (default /<name>), from the top-level config's file (read at every deploy) or content; mode kept, uid and gid not", mapConfigs),
    container_name: mapped("aliases: other services reach it by that name too, as Compose's DNS answers a container's name (berth names the containers and pods themselves)", mapContainerName),
    cpu_count: unsupported("approximated", notInSpec("cpu_count; give resources.cpu.limit instead")),
    cpu_percent: unsupported("approximated", notInSpec("cpu_percent; give resources.cpu.limit instead")),
    cpu_shares: unsupported("approximated", notInSpec("relative cpu shares; give resources.cpu.request instead")),
    cpu_quota: unsupported("approximated", notInSpec("a CFS quota; give resources.cpu.limit instead")),
    cpu_period: unsupported("approximated", notInSpec("a CFS period; give resources.cpu.limit instead")),
    cpu_rt_period: unsupported("refused", notInSpec("real-time scheduling")),
    cpu_rt_runtime: unsupported("refused", notInSpec("real-time scheduling")),
    cpus: mapped("resources.cpu.limit", (v, s) => mapCpu(v, s, s.key, "limit")),
    cpuset: unsupported("approximated", notInSpec("pinning to cpus: the container may run on any cpu")),
    credential_spec: unsupported("refused", notInSpec("Windows credential specs")),
    depends_on: mapped("dependsOn: service_started -> started, service_healthy -> healthy", mapDependsOn),
    deploy: mapped("replicas, resources (limits -> limit, reservations -> request), restart (restart_policy)", mapDeploy),
    develop: unsupported("approximated", "development-loop settings (compose watch) have no meaning for a deployment: rebuild and run pulumi up instead"),
    device_cgroup_rules: unsupported("refused", notInSpec("device cgroup rules; berth never gives a container host devices")),
    devices: unsupported("refused", notInSpec("host devices; berth never maps host devices into a container"), emptyList),
    dns: unsupported("refused", notInSpec("custom DNS servers: the container uses the target's DNS (Docker's embedded DNS, the cluster's DNS)"), emptyList),
    dns_opt: unsupported("refused", notInSpec("resolver options: the target's DNS settings are used"), emptyList),
    dns_search: unsupported("refused", notInSpec("DNS search domains: the target's DNS settings are used"), emptyList),
    domainname: unsupported("approximated", notInSpec("the container's domain name")),
    entrypoint: mapped("command (the image's entrypoint), a list of words or one string split as Compose splits it", (v, s) => mapCommand(v, s, "command")),
    env_file: mapped("env: the files' variables, read now from the Compose file's folder (environment wins)", () => undefined /* read with environment */),
    environment: mapped("env (list and map forms); a KEY without a value takes it from the environment now, or is left out", () => undefined /* read with env_file */),
    expose: mapped("ports (not published)", mapExpose),
    extends: unsupported("refused", "a service extending another is not resolved: copy the base service's keys into this one"),
    external_links: unsupported("refused", notInSpec("links to containers outside the app: make the other container a service of this app, or reach it by a DNS name it has")),
    extra_hosts: unsupported("refused", notInSpec("extra /etc/hosts entries: give the address a DNS name, or make it a service of the app"), emptyList),
    gpus: unsupported("refused", notInSpec("GPUs")),
    group_add: unsupported("approximated", notInSpec("supplementary groups: the container runs with its user's own groups"), emptyList),
    healthcheck: mapped("health.readiness (command; Compose's defaults 30 s interval and timeout, 3 retries when unset)", mapHealthcheck),
    hostname: unsupported("approximated", "berth sets the host name (Docker: the container's id; Kubernetes: the pod's name); other services reach this one by its service name"),
    image: mapped("image", mapImage),
    init: unsupported("approximated", notInSpec("an init process (tini) as PID 1: the image's entrypoint is PID 1, so zombies are not reaped unless it reaps them"), (v) => v === false || v === null),
    ipc: unsupported("refused", notInSpec("the IPC namespace mode; each container has its own")),
    isolation: unsupported("refused", notInSpec("the isolation technology (Windows)")),
    labels: mapped("labels (Docker: container labels; Kubernetes: annotations of the workload and its pods)", () => undefined /* read with label_file */),
    label_file: mapped("labels: the files' labels, read now from the Compose file's folder (labels wins)", () => undefined /* read with labels */),
    links: mapped("dependsOn (started): services reach each other by name on a shared network; an alias (db:database) is dropped", mapLinks),
    logging: unsupported("approximated", notInSpec("the log driver: Docker's default driver or the kubelet keeps the logs")),
    mac_address: unsupported("refused", notInSpec("a fixed MAC address")),
    mem_limit: mapped("resources.memory.limit", (v, s) => mapMemory(v, s, s.key, "limit")),
    mem_reservation: mapped("resources.memory.request", (v, s) => mapMemory(v, s, s.key, "request")),
    mem_swappiness: unsupported("approximated", notInSpec("swappiness: berth gives no swap beyond the memory limit")),
    memswap_limit: unsupported("approximated", notInSpec("a swap limit: berth gives no swap beyond the memory limit")),
    models: unsupported("refused", notInSpec("AI models (Docker Model Runner)"), emptyList),
    network_mode: unsupported("refused", notInSpec("a network mode: the service joins the app's networks (networks), never the host's or another container's"), (v) => v === null || v === "bridge"),
    networks: mapped("networks (declared names) and their aliases (aliases, on every network the service joins); fixed addresses are left out", mapNetworks),
    oom_kill_disable: unsupported("approximated", notInSpec("the OOM killer setting: a container past its memory limit is killed")),
    oom_score_adj: unsupported("approximated", notInSpec("the OOM score adjustment")),
    pid: unsupported("refused", notInSpec("the PID namespace mode; each container has its own")),
    pids_limit: unsupported("approximated", notInSpec("a limit on processes: the engine's default applies")),
    platform: unsupported("approximated", "berth builds and pulls for the target's own platform (Docker: this machine's; Kubernetes: the node's)"),
    ports: mapped("ports: port (container), publish (host), protocol; host ip and ranges not taken", mapPorts),
    post_start: unsupported("refused", notInSpec("lifecycle hooks: run the command in the image's entrypoint instead"), emptyList),
    pre_stop: unsupported("refused", notInSpec("lifecycle hooks: handle SIGTERM in the process instead"), emptyList),
    privileged: unsupported("refused", "berth never runs a container privileged: list the capabilities it needs in cap_add"),
    profiles: unsupported("approximated", "profiles are not kept: the service is imported and deployed with every other (Compose starts it only when one of its profiles is active); delete it from the module if it is optional", emptyList),
    provider: unsupported("refused", notInSpec("a provider service (a plugin that runs instead of a container)")),
    pull_policy: unsupported("approximated", notInSpec("a pull policy: the engine pulls an image it does not have (berth pins it by digest on Kubernetes only when built)")),
    pull_refresh_after: unsupported("approximated", notInSpec("a refresh period for pulled images")),
    read_only: mapped("security.readOnlyRootFilesystem", (v, s) => {
        if (typeof v !== "boolean") return s.note(s.key, "refused", `expected true or false, got ${JSON.stringify(v)}`);
        s.security.readOnlyRootFilesystem = v;
    }),
    restart: mapped("restart: no, always, on-failure, on-failure:N, unless-stopped", (v, s) => mapRestart(v, s, s.key)),
    runtime: unsupported("refused", notInSpec("an OCI runtime: the container runs on the target's default runtime (runc), so an image made for another runtime (e.g. wasm) does not start there")),
    scale: mapped("replicas", (v, s) => mapReplicas(v, s, s.key)),
    secrets: mapped("secrets: a file at /run/secrets/<name> (as: file), its value from the stack's secret config", mapSecrets),
    security_opt: unsupported("approximated", notInSpec("security options: berth runs every container with no-new-privileges and the runtime's default seccomp profile"), emptyList),
    shm_size: unsupported("approximated", notInSpec("the size of /dev/shm: the engine's default (64 MB on Docker) applies")),
    stdin_open: unsupported("approximated", notInSpec("an open stdin: the container runs without one")),
    stop_grace_period: unsupported("approximated", notInSpec("the stop grace period: Docker waits 10 s, Kubernetes 30 s, before it kills the process")),
    stop_signal: unsupported("approximated", notInSpec("the stop signal: the container is stopped with SIGTERM; make the process stop on SIGTERM (or set STOPSIGNAL in its Dockerfile)"), (v) => v === null || v === "SIGTERM"),
    storage_opt: unsupported("refused", notInSpec("storage driver options")),
    sysctls: unsupported("refused", notInSpec("kernel parameters (sysctls)"), emptyList),
    tmpfs: unsupported("refused", notInSpec("tmpfs mounts: mount a named volume there instead (its data is kept), or write to a path the image provides"), emptyList),
    tty: unsupported("approximated", notInSpec("a terminal: the container runs without one")),
    ulimits: unsupported("approximated", notInSpec("ulimits: the engine's defaults apply"), emptyList),
    use_api_socket: unsupported("refused", "berth never gives a container the Docker API socket"),
    user: mapped("security.user: a name or uid, optionally with a group (Kubernetes takes numeric ids only)", mapUser),
    userns_mode: unsupported("refused", notInSpec("the user namespace mode")),
    uts: unsupported("refused", notInSpec("the UTS namespace mode")),
    volumes: mapped("volumes: named volumes (path, read_only); a bind mount of a file becomes a file (files), of a folder a bind mount (bindMounts: Docker stacks only, Kubernetes stacks refuse it); tmpfs and the Docker socket are not taken", mapVolumes),
    volumes_from: unsupported("refused", notInSpec("mounting another service's volumes: declare a named volume and mount it in both services"), emptyList),
    working_dir: mapped("workingDir", (v, s) => {
        if (typeof v !== "string" || !v.startsWith("/")) return s.note(s.key, "refused", `an absolute path is needed (got ${JSON.stringify(v)})`);
        s.out.workingDir = v;
    }),
};

/** Every top-level key of the Compose specification, with its outcome (`x-*` extensions: see isExtension). */
export const TOP_LEVEL_KEYS: Record<string, { kind: Kind; what: string }> = {
    version: { kind: "ignored", what: "obsolete: Compose ignores it too" },
    name: { kind: "approximated", what: "the app's name is the first argument of App.create (the module's comment shows it); berth names resources <app>-<service>" },
    services: { kind: "mapped", what: "services (names as lowercase DNS labels)" },
    networks: { kind: "mapped", what: "networks: internal; driver, ipam, external and the rest are not taken" },
    volumes: { kind: "mapped", what: "volumes (berth's defaults: 1Gi on Kubernetes, retained on destroy); driver, external and the rest are not taken" },
    secrets: { kind: "mapped", what: "secrets of the services that use them: each a stack secret config key (the report prints the pulumi config set --secret command)" },
    configs: { kind: "mapped", what: "configs of the services that use them: each a file in services.<name>.files (file: read from the repository at every deploy; content: inline; environment: the variable's value when imported); external ones are refused" },
    include: { kind: "refused", what: "included Compose files are not read: import each one and merge their services into one module, or copy them into this file" },
    models: { kind: "refused", what: notInSpec("AI models (Docker Model Runner)") },
};

export const isExtension = (k: string) => k.startsWith("x-");

// ---------------------------------------------------------------- context

interface Ctx {
    file: string;
    dir: string;
    programDir: string;
    env: Record<string, string | undefined>;
    findings: Finding[];
    doc: Record<string, unknown>;
    /** Compose name -> berth name. */
    serviceNames: Map<string, string>;
    volumeNames: Map<string, string>;
    networkNames: Map<string, string>;
    /** Volumes and networks the spec declares (berth names). */
    volumes: Record<string, Record<string, unknown>>;
    networks: Record<string, Record<string, unknown>>;
    secrets: Map<string, SecretToSet>;
    /** Top-level configs already reported (a config several services use is reported once). */
    configsNoted: Set<string>;
    kubernetes: ImportResult["kubernetes"];
    /** Every berth service built so far, by berth name. */
    services: Record<string, ServiceOut>;
    /** Compose dependencies on health, resolved when every service is known. */
    healthyDeps: { from: string; to: string; path: string }[];
}

type ServiceOut = Record<string, unknown> & {
    env?: Record<string, string>;
    ports?: { port: number; protocol?: "udp"; publish?: number }[];
    dependsOn?: Record<string, "started" | "healthy">;
    resources?: { cpu?: { request?: string; limit?: string }; memory?: { request?: string; limit?: string } };
    secrets?: Record<string, { config: string; as: "file"; path?: string }>;
    volumes?: { volume: string; path: string; readOnly?: boolean }[];
    files?: ({ path: string; mode?: number } & ({ source: string } | { content: string }))[];
    bindMounts?: { hostPath: string; path: string; readOnly?: boolean }[];
    health?: { readiness?: Record<string, unknown> };
};

interface ServiceCtx extends Ctx {
    /** The Compose service name and its berth name. */
    composeName: string;
    name: string;
    raw: Record<string, unknown>;
    out: ServiceOut;
    security: Record<string, unknown>;
    /** The key being mapped, as a path: `services.web.ports`. */
    key: string;
    /** cap_add and cap_drop are read together, at the first of them. */
    capabilitiesRead?: boolean;
    note(path: string, kind: Kind, message: string): void;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A Compose key path step: `.name`, or `["a.b"]` for a name that is not plain. */
const step = (k: string | number) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
const join = (...steps: (string | number)[]) => steps.map(step).join("").replace(/^\./, "");

// ---------------------------------------------------------------- names

const ENV_NAME = SPEC_ENV_NAME;

/** A Compose name as a berth name (a lowercase DNS label of at most 32 characters). */
export function dnsLabel(name: string, prefix: string): string {
    let n = name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "");
    if (!/^[a-z]/.test(n)) n = `${prefix}-${n}`.replace(/-+$/, "");
    return n.slice(0, 32).replace(/-+$/, "");
}

/** Names for a Compose section: berth names, with a finding for each changed or clashing one. */
function nameMap(ctx: Ctx, section: string, names: string[], prefix: string, what: string): Map<string, string> {
    const m = new Map<string, string>();
    const taken = new Map<string, string>();
    for (const n of names) {
        const b = dnsLabel(n, prefix);
        const p = join(section, n);
        if (taken.has(b)) {
            ctx.findings.push({ path: p, kind: "refused", message: `${what} "${n}" would be named "${b}" in berth, as "${taken.get(b)}" is already: rename one of them in the Compose file` });
            continue;
        }
        taken.set(b, n);
        m.set(n, b);
        if (b !== n) {
            ctx.findings.push({
                path: p,
                kind: "approximated",
                message: `${what} "${n}" is named "${b}": berth's names are lowercase DNS labels (a-z, 0-9, '-', starting with a letter, at most 32 characters)${section === "services" ? `; other services reach it as ${b}, so update any address that names ${n}` : ""}`,
            });
        }
    }
    return m;
}

/** A secret's name as a stack config key (camelCase: db-password -> dbPassword), clear of berth's own keys. */
export function configKey(name: string): string {
    const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
    let key = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join("");
    if (!/^[a-zA-Z]/.test(key)) key = `secret${key.charAt(0).toUpperCase()}${key.slice(1)}`;
    if (Object.hasOwn(stackConfigSchema.shape, key)) key = `${key}Secret`;
    return key;
}

// ---------------------------------------------------------------- loading

/** The Compose file's environment: the process's over the `.env` next to it, as Compose reads them. */
export function composeEnv(file: string, processEnv: Record<string, string | undefined>): Record<string, string | undefined> {
    const dotenv = path.join(path.dirname(file), ".env");
    const fromFile = fs.existsSync(dotenv) ? parseDotenv(fs.readFileSync(dotenv, "utf8"), processEnv) : {};
    const env: Record<string, string | undefined> = { ...fromFile };
    for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;
    return env;
}

/** Interpolates every string value (not keys) of the parsed file, as Compose does; unset variables are reported. */
function interpolateTree(v: unknown, env: Record<string, string | undefined>, at: string, findings: Finding[]): unknown {
    if (typeof v === "string") {
        try {
            const r = interpolate(v, env);
            for (const name of new Set(r.unset)) {
                findings.push({ path: at, kind: "approximated", message: `variable ${name} is not set: a blank string is used, as Compose does (set it in the environment or in .env next to the Compose file, then import again)` });
            }
            return r.value;
        } catch (e) {
            if (e instanceof InterpolationError) throw new ComposeImportError(`${at}: ${e.message}`);
            throw e;
        }
    }
    if (Array.isArray(v)) return v.map((x, i) => interpolateTree(x, env, `${at}[${i}]`, findings));
    if (isRecord(v)) {
        const out: Record<string, unknown> = {};
        // Extensions are interpolated only where a service takes them in (by YAML anchors, already resolved).
        for (const [k, x] of Object.entries(v)) out[k] = isExtension(k) ? x : interpolateTree(x, env, at ? `${at}${step(k)}` : k, findings);
        return out;
    }
    return v;
}

export function importComposeFile(file: string, opts: ImportOptions = {}): ImportResult {
    const abs = path.resolve(file);
    let text: string;
    try {
        text = fs.readFileSync(abs, "utf8");
    } catch (e) {
        throw new ComposeImportError(`cannot read ${file}: ${(e as Error).message}`);
    }
    return importCompose(text, abs, opts);
}

/** Imports Compose YAML text; `file` is where it lives (its folder holds `.env`, build contexts, secret files). */
export function importCompose(text: string, file: string, opts: ImportOptions = {}): ImportResult {
    let doc: unknown;
    try {
        doc = yaml.load(text, { filename: file });
    } catch (e) {
        throw new ComposeImportError(`${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (!isRecord(doc)) throw new ComposeImportError(`${file}: a Compose file is a mapping with a services key`);
    const findings: Finding[] = [];
    const env = composeEnv(file, opts.env ?? process.env);
    const interpolated = interpolateTree(doc, env, "", findings) as Record<string, unknown>;
    const ctx: Ctx = {
        file,
        dir: path.dirname(file),
        programDir: opts.programDir ?? REPO_ROOT,
        env,
        findings,
        doc: interpolated,
        serviceNames: new Map(),
        volumeNames: new Map(),
        networkNames: new Map(),
        volumes: {},
        networks: {},
        secrets: new Map(),
        configsNoted: new Set(),
        kubernetes: { services: {}, commands: [] },
        services: {},
        healthyDeps: [],
    };
    return convert(ctx);
}

// ---------------------------------------------------------------- the conversion

function convert(ctx: Ctx): ImportResult {
    const doc = ctx.doc;
    const note = (p: string, kind: Kind, message: string) => ctx.findings.push({ path: p, kind, message });
    for (const [k, v] of Object.entries(doc)) {
        if (isExtension(k)) {
            note(k, "ignored", "an extension field: ignored (a service takes it in through YAML anchors, which are resolved)");
            continue;
        }
        const rule = TOP_LEVEL_KEYS[k];
        if (!rule) note(k, "refused", `not a Compose key (top-level keys: ${Object.keys(TOP_LEVEL_KEYS).join(", ")}, x-*)`);
        else if (k !== "services" && rule.kind === "mapped" && v !== null && !isRecord(v)) note(k, "refused", `a mapping of names (got ${JSON.stringify(v)}): nothing of it is imported`);
        else if (rule.kind === "mapped") continue; // below
        else if (k === "name" && typeof v === "string") note(k, rule.kind, `${rule.what}: App.create("${v}", ...)`);
        else if (emptyList(v)) note(k, "mapped", "empty");
        else note(k, rule.kind, rule.what);
    }
    const services = doc.services;
    if (!isRecord(services) || Object.keys(services).length === 0) throw new ComposeImportError(`${ctx.file}: services: a Compose file needs at least one service`);
    note("services", "mapped", TOP_LEVEL_KEYS.services.what);

    ctx.serviceNames = nameMap(ctx, "services", Object.keys(services), "svc", "service");
    const topVolumes = isRecord(doc.volumes) ? doc.volumes : {};
    const topNetworks = isRecord(doc.networks) ? doc.networks : {};
    ctx.volumeNames = nameMap(ctx, "volumes", Object.keys(topVolumes), "vol", "volume");
    ctx.networkNames = nameMap(ctx, "networks", Object.keys(topNetworks), "net", "network");
    mapTopVolumes(ctx, topVolumes);
    mapTopNetworks(ctx, topNetworks);
    if (doc.secrets !== undefined) note("secrets", "mapped", TOP_LEVEL_KEYS.secrets.what);
    if (doc.configs !== undefined) note("configs", "mapped", TOP_LEVEL_KEYS.configs.what);

    for (const [composeName, raw] of Object.entries(services)) {
        const name = ctx.serviceNames.get(composeName);
        if (!name) continue;
        const at = join("services", composeName);
        if (!isRecord(raw)) {
            note(at, "refused", "a service is a mapping of keys");
            continue;
        }
        const out: ServiceOut = {};
        const security: Record<string, unknown> = { baseCapabilities: "default" };
        const s: ServiceCtx = { ...ctx, composeName, name, raw, out, security, key: at, note };
        for (const [k, v] of Object.entries(raw)) {
            s.key = `${at}${step(k)}`;
            if (isExtension(k)) {
                note(s.key, "ignored", "an extension field: ignored");
                continue;
            }
            const rule = Object.hasOwn(SERVICE_KEYS, k) ? SERVICE_KEYS[k] : undefined;
            if (!rule) {
                note(s.key, "refused", `not a Compose service key (a typo? see the Compose specification's service keys)`);
                continue;
            }
            rule.handle(v, s);
        }
        s.key = at;
        mapEnvironment(s);
        if (raw.labels !== undefined || raw.label_file !== undefined) mapLabels(s);
        if (out.image === undefined && out.build === undefined) {
            note(at, "refused", "the service has neither image nor build: berth needs one (add image: or build:)");
            continue;
        }
        if (raw.restart === undefined && !(isRecord(raw.deploy) && isRecord(raw.deploy.restart_policy))) {
            note(
                `${at}.restart`,
                "approximated",
                'not set: Compose does not restart a container that exits ("no"), berth restarts it ("always", its default and the one policy Kubernetes honours); for a one-shot task on Docker, write restart: "no" in the module',
            );
        }
        out.security = security;
        ctx.services[name] = ordered(out);
    }
    resolveHealthyDeps(ctx);
    checkSharedVolumes(ctx);
    peerPorts(ctx);
    for (const [name, svc] of Object.entries(ctx.services)) {
        if ((svc.aliases as string[] | undefined)?.length && !svc.ports?.length) {
            ctx.findings.push({
                path: `services.${name}`,
                kind: "approximated",
                message: `aliases ${(svc.aliases as string[]).join(", ")}: Kubernetes refuses aliases of a service without ports (an alias is a Service, which forwards listed ports); add expose: [<port>] for the ports peers use`,
            });
        }
    }
    appNotes(ctx);

    const spec: AppInput = { services: ctx.services as AppInput["services"] };
    if (Object.keys(ctx.networks).length > 0) spec.networks = ctx.networks;
    if (Object.keys(ctx.volumes).length > 0) spec.volumes = ctx.volumes as AppInput["volumes"];
    // berth's own check of what was written: a failure here is an importer bug, reported as such.
    const checked = appSchema.safeParse(spec);
    if (!checked.success) {
        for (const i of checked.error.issues) note(i.path.map((p) => step(p as string | number)).join("").replace(/^\./, ""), "refused", `berth's spec refuses the imported value (an importer bug: please report it): ${i.message}`);
    }
    const name = typeof doc.name === "string" && doc.name ? doc.name : path.basename(ctx.dir);
    return { name, spec, findings: ctx.findings, secrets: [...ctx.secrets.values()], kubernetes: ctx.kubernetes, policy: policyNotes(ctx.services) };
}

/** The spec's own order of a service's fields (services/demo.ts reads so): the schema's. */
const FIELD_ORDER = Object.keys(serviceSchema.shape);

/** A service's fields in FIELD_ORDER. */
function ordered(out: ServiceOut): ServiceOut {
    return Object.fromEntries(FIELD_ORDER.filter((k) => out[k] !== undefined).map((k) => [k, out[k]])) as ServiceOut;
}

/**
 * On Compose's network a service reaches any port of another by name, listed
 * or not; on Kubernetes only the ports of its Service, which berth makes from
 * `ports` (Compose's ports and expose). A port that a service's env or
 * command names (`backend:9091`, `http://api:8000/`) is added to the named
 * service's ports when they lack it (reported); a service without ports that
 * others depend on is reported, since no Service can be made for it.
 */
function peerPorts(ctx: Ctx): void {
    const words = (v: unknown, key: string): [string, string][] => (typeof v === "string" ? [[key, v]] : Array.isArray(v) ? v.map((w, i) => [`${key}[${i}]`, String(w)]) : []);
    for (const [from, svc] of Object.entries(ctx.services)) {
        const texts = [...Object.entries(svc.env ?? {}).map(([k, v]): [string, string] => [`environment.${k}`, v]), ...words(svc.command, "entrypoint"), ...words(svc.args, "command")];
        for (const [where, text] of texts) {
            for (const [, to, digits] of text.matchAll(/(?<![\w.@-])([a-z][a-z0-9-]*):(\d{1,5})(?!\d)/g)) {
                const port = Number(digits);
                const target = ctx.services[to];
                if (to === from || !target || port < 1 || port > 65535 || target.ports?.some((p) => p.port === port && p.protocol !== "udp")) continue;
                ctx.services[to] = ordered({ ...target, ports: [...(target.ports ?? []), { port }] });
                ctx.findings.push({
                    path: `services.${to}.ports`,
                    kind: "approximated",
                    message: `port ${port} added: services.${from}.${where} names ${to}:${port}, which Compose's network lets it reach without expose; on Kubernetes a peer reaches only the ports the service lists (its Service), so it is listed`,
                });
            }
        }
    }
    for (const [name, svc] of Object.entries(ctx.services)) {
        const dependents = Object.entries(ctx.services).filter(([, s]) => s.dependsOn && name in s.dependsOn).map(([n]) => n);
        if (svc.ports?.length || dependents.length === 0) continue;
        ctx.findings.push({
            path: `services.${name}`,
            kind: "approximated",
            message: `no ports (neither ports nor expose), and ${dependents.join(", ")} depend${dependents.length === 1 ? "s" : ""} on it: on Docker they reach any of its ports by name, on Kubernetes none (berth makes no Service without ports); add ports: [{ port: <the port they use> }] in the module`,
        });
    }
}

/** What policies/rules.ts will report for each service as imported. */
function policyNotes(services: Record<string, ServiceOut>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, svc] of Object.entries(services)) {
        const notes: string[] = [];
        if (!svc.health?.readiness) notes.push("no readiness check (give health.readiness)");
        const missing = (["cpu", "memory"] as const).filter((r) => !svc.resources?.[r]?.limit);
        if (missing.length) notes.push(`no ${missing.join(" and ")} limit (set ${missing.map((r) => `resources.${r}.limit`).join(" and ")})`);
        if (typeof svc.image === "string" && !svc.image.includes("@")) {
            const last = svc.image.split("/").pop()!;
            const tag = last.includes(":") ? last.split(":").pop() : undefined;
            if (!tag) notes.push(`image ${svc.image} has no tag (name a version tag or a digest)`);
            else if (tag === "latest") notes.push(`image ${svc.image}: latest names no fixed image (name a version tag or a digest)`);
        }
        if (notes.length) out[name] = notes;
    }
    return out;
}

function appNotes(ctx: Ctx) {
    const published: string[] = [];
    for (const [name, svc] of Object.entries(ctx.services)) for (const p of svc.ports ?? []) if (p.publish !== undefined) published.push(`${name} ${p.publish}`);
    if (published.length > 0) {
        ctx.findings.push({
            path: "services.*.ports",
            kind: "approximated",
            message: `published ports (${published.join(", ")}): on Docker they bind to berth:docker.publishAddress (127.0.0.1 unless set; Compose binds every address) and pass berth's load balancer (HAProxy): a port with an HTTP check is balanced per request, any other per connection with its bytes untouched (mode tcp: a database or Redis port answers too); a published UDP port is refused on Docker; Kubernetes publishes them by berth:kubernetes.serviceType`,
        });
    }
    ctx.findings.push({
        path: "services.*.security",
        kind: "approximated",
        message: 'each service keeps Docker\'s default capabilities (security.baseCapabilities "default", as Compose runs it), but berth adds no-new-privileges: a setuid program (sudo, su, ping on some images) cannot gain privileges',
    });
}

// ---------------------------------------------------------------- top level

function mapTopVolumes(ctx: Ctx, vols: Record<string, unknown>) {
    if (ctx.doc.volumes !== undefined) ctx.findings.push({ path: "volumes", kind: "mapped", message: TOP_LEVEL_KEYS.volumes.what });
    for (const [n, def] of Object.entries(vols)) {
        const b = ctx.volumeNames.get(n);
        if (!b) continue;
        ctx.volumes[b] = {};
        const at = join("volumes", n);
        ctx.findings.push({ path: at, kind: "approximated", message: `Kubernetes claims 1Gi for it (berth's default; a Compose volume has no size): set volumes.${b}.size in the module if it needs more` });
        if (!isRecord(def)) continue;
        for (const [k, v] of Object.entries(def)) {
            const p = `${at}${step(k)}`;
            if (isExtension(k)) continue;
            if (k === "external" && v) ctx.findings.push({ path: p, kind: "refused", message: `berth creates and owns its volumes (<project>-<stack>-${b} on Docker, a claim on Kubernetes): an existing volume is not used; copy its data into the new one` });
            else if (k === "name") ctx.findings.push({ path: p, kind: "approximated", message: `berth names it <project>-<stack>-${b} on Docker (a claim ${b} on Kubernetes), not ${JSON.stringify(v)}` });
            else if (k === "driver" && (v === "local" || v === null)) ctx.findings.push({ path: p, kind: "mapped", message: "local is berth's driver on Docker" });
            else if (k === "labels") ctx.findings.push({ path: p, kind: "approximated", message: notInSpec("volume labels (berth sets its own)") });
            else ctx.findings.push({ path: p, kind: "refused", message: notInSpec(`volume ${k}: the volume is created with the target's defaults (Docker's local driver, the cluster's default storage class)`) });
        }
    }
}

function mapTopNetworks(ctx: Ctx, nets: Record<string, unknown>) {
    if (ctx.doc.networks !== undefined) ctx.findings.push({ path: "networks", kind: "mapped", message: TOP_LEVEL_KEYS.networks.what });
    for (const [n, def] of Object.entries(nets)) {
        const b = ctx.networkNames.get(n);
        if (!b) continue;
        const out: Record<string, unknown> = {};
        ctx.networks[b] = out;
        if (!isRecord(def)) continue;
        const at = join("networks", n);
        for (const [k, v] of Object.entries(def)) {
            const p = `${at}${step(k)}`;
            if (isExtension(k)) continue;
            if (k === "internal") {
                if (typeof v === "boolean") {
                    if (v) out.internal = true;
                    ctx.findings.push({ path: p, kind: "mapped", message: "networks.<name>.internal" });
                } else ctx.findings.push({ path: p, kind: "refused", message: `expected true or false, got ${JSON.stringify(v)}` });
            } else if (k === "driver" && (v === "bridge" || v === null)) ctx.findings.push({ path: p, kind: "mapped", message: "bridge is berth's driver on Docker (Kubernetes: NetworkPolicies)" });
            else if (k === "external" && v) ctx.findings.push({ path: p, kind: "refused", message: "berth creates and owns its networks: an existing network is not joined; make the services on it part of this app" });
            else if (k === "name") ctx.findings.push({ path: p, kind: "approximated", message: `berth names it <project>-<stack>-${b} on Docker, not ${JSON.stringify(v)}` });
            else if (k === "labels" || k === "attachable" || k === "enable_ipv4" || k === "enable_ipv6") ctx.findings.push({ path: p, kind: "approximated", message: notInSpec(`network ${k}: the target's defaults apply`) });
            else ctx.findings.push({ path: p, kind: "refused", message: notInSpec(`network ${k}: the network is created with the target's defaults (a Docker bridge; Kubernetes NetworkPolicies)`) });
        }
    }
}

// ---------------------------------------------------------------- service keys

function mapImage(v: unknown, s: ServiceCtx) {
    if (typeof v !== "string" || v === "") return s.note(s.key, "refused", `an image reference is a string (got ${JSON.stringify(v)})`);
    if (s.raw.build !== undefined) {
        return s.note(s.key, "approximated", `the service also builds: berth builds it and tags the image itself (<project>-<stack>-${s.name}:<context hash> on Docker, <registry>/<project>-${s.name} on Kubernetes), not ${v}`);
    }
    s.out.image = v;
}

function mapBuild(v: unknown, s: ServiceCtx) {
    const b = typeof v === "string" ? { context: v } : v;
    if (!isRecord(b)) return s.note(s.key, "refused", `build is a folder or a mapping with context (got ${JSON.stringify(v)})`);
    const context = typeof b.context === "string" ? b.context : ".";
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith("git@")) {
        return s.note(`${s.key}.context`, "refused", `a remote build context (${context}) is not fetched: clone it next to the Compose file and build from that folder`);
    }
    const abs = path.resolve(s.dir, context);
    const rel = path.relative(s.programDir, abs) || ".";
    const out: Record<string, string> = { context: rel.split(path.sep).join("/") };
    for (const [k, x] of Object.entries(b)) {
        const p = `${s.key}${step(k)}`;
        if (k === "context" || isExtension(k)) continue;
        if (k === "dockerfile" && typeof x === "string") {
            // Compose reads it relative to the context, as berth does.
            out.dockerfile = path.isAbsolute(x) ? path.relative(abs, x) : x;
        } else if (k === "target") {
            if (typeof x === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(x)) out.target = x;
            else s.note(p, "refused", `a build target is a stage name (got ${JSON.stringify(x)}): the last stage is built`);
        } else if (k === "args") {
            const args = buildArgs(x, p, s);
            if (args && Object.keys(args).length > 0) (out as Record<string, unknown>).args = args;
        } else if (k === "dockerfile_inline") {
            s.note(p, "refused", notInSpec("an inline Dockerfile: write it to a Dockerfile in the context"));
        } else {
            s.note(p, "approximated", notInSpec(`build ${k}: berth builds with the context and Dockerfile only`));
        }
    }
    s.out.build = out;
}

/** Compose build args (a mapping, or a list of NAME=value): a name without a value takes it from the environment, or is left out, as Compose does. */
function buildArgs(v: unknown, p: string, s: ServiceCtx): Record<string, string> | undefined {
    const entries: [string, unknown, string][] = Array.isArray(v)
        ? v.map((item, i) => {
              const t = String(item);
              const eq = t.indexOf("=");
              return eq < 0 ? [t, null, `${p}[${i}]`] : [t.slice(0, eq), t.slice(eq + 1), `${p}[${i}]`];
          })
        : isRecord(v)
          ? Object.entries(v).map(([k, x]) => [k, x, `${p}${step(k)}`])
          : [];
    if (!Array.isArray(v) && !isRecord(v)) {
        s.note(p, "refused", `a mapping or a list of NAME=value (got ${JSON.stringify(v)})`);
        return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, x, at] of entries) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) s.note(at, "refused", `build argument name ${JSON.stringify(k)}: letters, digits and _ only (as a Dockerfile ARG names it)`);
        else if (x === null || x === undefined) {
            const fromEnv = s.env[k];
            if (fromEnv !== undefined) out[k] = fromEnv;
            else s.note(at, "approximated", `${k} has no value and is not set in the environment: left out, as Compose does (the Dockerfile's ARG default applies)`);
        } else if (typeof x === "object") s.note(at, "refused", `a build argument's value is text (got ${JSON.stringify(x)})`);
        else out[k] = String(x);
    }
    return out;
}

function mapCommand(v: unknown, s: ServiceCtx, field: "args" | "command") {
    if (v === null) return;
    if (typeof v === "string") {
        const r = splitWords(v);
        if ("error" in r) return s.note(s.key, "refused", `${r.error}: left out, the image's default runs; to run it through a shell, write ["sh", "-c", ${JSON.stringify(v)}]`);
        s.out[field] = v;
    } else if (Array.isArray(v) && v.every((w) => ["string", "number", "boolean"].includes(typeof w))) {
        s.out[field] = v.map(String);
    } else s.note(s.key, "refused", `a list of words or one string (got ${JSON.stringify(v)})`);
}

/** environment and env_file, merged as Compose merges them (environment wins). */
function mapEnvironment(s: ServiceCtx) {
    const env: Record<string, string> = {};
    const at = (k: string) => join("services", s.composeName, k);
    const put = (key: string, value: string | undefined, p: string) => {
        if (!ENV_NAME.test(key)) {
            s.note(p, "refused", `env var name ${JSON.stringify(key)} is refused by berth (a letter or _, then letters, digits, _, . or -): rename it (e.g. ${JSON.stringify(key.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^([^A-Za-z_])/, "_$1"))}) in the app and here, or set it in the image (ENV in its Dockerfile)`);
            return;
        }
        if (value === undefined) {
            delete env[key];
            s.note(p, "approximated", `${key} has no value and is not set in the environment: left out, as Compose does (set it and import again)`);
            return;
        }
        env[key] = value;
    };
    const files = s.raw.env_file === undefined || s.raw.env_file === null ? [] : Array.isArray(s.raw.env_file) ? s.raw.env_file : [s.raw.env_file];
    files.forEach((f, i) => {
        const p = Array.isArray(s.raw.env_file) ? `${at("env_file")}[${i}]` : at("env_file");
        const file = typeof f === "string" ? f : isRecord(f) ? f.path : undefined;
        const required = isRecord(f) ? f.required !== false : true;
        if (typeof file !== "string") return s.note(p, "refused", `a file path, or a mapping with path (got ${JSON.stringify(f)})`);
        const abs = path.resolve(s.dir, file);
        if (!fs.existsSync(abs)) {
            if (required) throw new ComposeImportError(`${p}: env file ${abs} not found (Compose stops here too; or mark it required: false)`);
            return s.note(p, "mapped", `${file} does not exist and is not required: skipped, as Compose does`);
        }
        for (const [k, v] of Object.entries(parseDotenv(fs.readFileSync(abs, "utf8"), s.env))) put(k, v, p);
    });
    const e = s.raw.environment;
    if (Array.isArray(e)) {
        e.forEach((item, i) => {
            const p = `${at("environment")}[${i}]`;
            if (typeof item !== "string") return s.note(p, "refused", `KEY=VALUE or KEY (got ${JSON.stringify(item)})`);
            const eq = item.indexOf("=");
            if (eq < 0) put(item, s.env[item], p);
            else put(item.slice(0, eq), item.slice(eq + 1), p);
        });
    } else if (isRecord(e)) {
        for (const [k, v] of Object.entries(e)) {
            const p = `${at("environment")}${step(k)}`;
            if (v === null || v === undefined) put(k, s.env[k], p);
            else if (typeof v === "object") s.note(p, "refused", `a value is a string, number or boolean (got ${JSON.stringify(v)})`);
            else put(k, String(v), p);
        }
    } else if (e !== undefined && e !== null) s.note(at("environment"), "refused", `a list of KEY=VALUE or a mapping (got ${JSON.stringify(e)})`);
    for (const k of Object.keys(env)) {
        // A *_FILE variable or a /run/secrets/ path names where a secret is, not the secret.
        if (/PASS(WORD)?|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|CREDENTIAL/i.test(k) && !/_FILE$/.test(k) && !env[k].startsWith("/run/secrets/")) {
            s.note(
                join("services", s.composeName, "environment", k),
                "approximated",
                `${k} looks like a secret but stays a plain env var, as in the Compose file (plain in the Pulumi state and the module): to keep it secret, move it to secrets: { ${k}: { config: "${configKey(k.toLowerCase())}" } } and set it with pulumi config set --secret berth:${configKey(k.toLowerCase())}`,
            );
        }
    }
    if (Object.keys(env).length > 0) s.out.env = env;
}

/** One port, from the short syntax (`[ip:][host:]container[/proto]`) or the long one. */
function parsePort(v: unknown): { host?: string; hostIp?: string; container: string; protocol: string; extra: string[] } | { error: string } {
    if (typeof v === "number") return { container: String(v), protocol: "tcp", extra: [] };
    if (isRecord(v)) {
        const extra = Object.keys(v).filter((k) => !["target", "published", "protocol", "host_ip", "mode", "name", "app_protocol"].includes(k) && !isExtension(k));
        if (v.target === undefined) return { error: "a long-syntax port needs target" };
        if (v.mode === "host") extra.push("mode: host");
        return {
            container: String(v.target),
            host: v.published === undefined || v.published === null || v.published === "" ? undefined : String(v.published),
            hostIp: typeof v.host_ip === "string" ? v.host_ip : undefined,
            protocol: typeof v.protocol === "string" ? v.protocol.toLowerCase() : "tcp",
            extra,
        };
    }
    if (typeof v !== "string") return { error: `a port is a number, "host:container" or a mapping (got ${JSON.stringify(v)})` };
    let rest = v.trim();
    let protocol = "tcp";
    const slash = rest.lastIndexOf("/");
    if (slash >= 0) {
        protocol = rest.slice(slash + 1).toLowerCase();
        rest = rest.slice(0, slash);
    }
    let hostIp: string | undefined;
    const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
    if (v6) {
        hostIp = v6[1];
        rest = v6[2];
    }
    const parts = rest.split(":");
    if (parts.length > 3 || (v6 && parts.length > 2)) return { error: `not a port mapping: ${JSON.stringify(v)} (accepted: "80", "8080:80", "127.0.0.1:8080:80", "53:53/udp")` };
    if (parts.length === 3) hostIp = parts.shift();
    const container = parts.pop()!;
    const host = parts.length ? parts[0] : undefined;
    return { container, host: host === "" ? undefined : host, hostIp, protocol, extra: [] };
}

const PORT = /^\d{1,5}$/;
const RANGE = /^\d{1,5}-\d{1,5}$/;

function addPort(s: ServiceCtx, p: string, port: number, protocol: "tcp" | "udp", publish?: number) {
    const same = s.out.ports?.find((x) => x.port === port && (x.protocol ?? "tcp") === protocol);
    if (same) {
        if (publish === undefined) return; // already listed
        if (same.publish === undefined) {
            same.publish = publish;
            return;
        }
        return s.note(p, "approximated", `container port ${port}/${protocol} is already published on ${same.publish}: berth publishes a container port once, so ${publish} is left out (publish another container port, or reach it on ${same.publish})`);
    }
    if (publish !== undefined) {
        const other = Object.entries(s.services).find(([, o]) => o.ports?.some((x) => x.publish === publish));
        if (other) return s.note(p, "refused", `host port ${publish} is already published by service ${other[0]} (Compose would fail to start one of them): pick another host port`);
    }
    s.out.ports ??= [];
    s.out.ports.push({ port, ...(protocol === "udp" ? { protocol } : {}), ...(publish !== undefined ? { publish } : {}) });
}

function mapPorts(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of ports (got ${JSON.stringify(v)})`);
    v.forEach((item, i) => {
        const p = `${s.key}[${i}]`;
        const r = parsePort(item);
        if ("error" in r) return s.note(p, "refused", r.error);
        if (r.protocol !== "tcp" && r.protocol !== "udp") return s.note(p, "refused", `protocol ${r.protocol}: berth's ports are tcp or udp`);
        if (RANGE.test(r.container) || (r.host && RANGE.test(r.host))) {
            return s.note(p, "refused", `a port range (${JSON.stringify(item)}): berth publishes one port per entry; list each port you need ("8000:8000", "8001:8001", ...)`);
        }
        if (!PORT.test(r.container) || +r.container < 1 || +r.container > 65535) return s.note(p, "refused", `container port ${JSON.stringify(r.container)} is not a port from 1 to 65535`);
        if (r.host !== undefined && (!PORT.test(r.host) || +r.host < 1 || +r.host > 65535)) return s.note(p, "refused", `host port ${JSON.stringify(r.host)} is not a port from 1 to 65535`);
        if (r.hostIp && r.hostIp !== "0.0.0.0" && r.hostIp !== "::") {
            s.note(p, "approximated", `host address ${r.hostIp}: berth binds every published port of a stack to berth:docker.publishAddress (127.0.0.1 unless set); set it to ${r.hostIp} in the stack if that is the one`);
        }
        for (const x of r.extra) s.note(p, "approximated", notInSpec(`port ${x}: left out`));
        if (r.host === undefined) {
            s.note(p, "approximated", `container port ${r.container} only: Compose also publishes it on a random host port; berth does not publish it (other services reach it as ${s.name}:${r.container}); to publish it, write "${r.container}:${r.container}"`);
            return addPort(s, p, +r.container, r.protocol as "tcp" | "udp", undefined);
        }
        if (r.protocol === "udp") {
            s.note(p, "approximated", `udp port ${r.host} is not published: berth refuses a published UDP port on Docker (its load balancer, HAProxy, proxies TCP only); other services still reach it as ${s.name}:${r.container}/udp`);
            return addPort(s, p, +r.container, "udp", undefined);
        }
        addPort(s, p, +r.container, r.protocol as "tcp" | "udp", +r.host);
    });
}

function mapExpose(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of ports (got ${JSON.stringify(v)})`);
    v.forEach((item, i) => {
        const p = `${s.key}[${i}]`;
        const [port, proto = "tcp"] = String(item).split("/");
        if (RANGE.test(port)) return s.note(p, "refused", `a port range (${item}): list each port`);
        if (!PORT.test(port) || +port < 1 || +port > 65535) return s.note(p, "refused", `${JSON.stringify(item)} is not a port from 1 to 65535`);
        if (proto !== "tcp" && proto !== "udp") return s.note(p, "refused", `protocol ${proto}: berth's ports are tcp or udp`);
        addPort(s, p, +port, proto as "tcp" | "udp", undefined);
    });
}

function depName(s: ServiceCtx, dep: string, p: string): string | undefined {
    const b = s.serviceNames.get(dep);
    if (!b) s.note(p, "refused", `unknown service ${JSON.stringify(dep)} (services: ${[...s.serviceNames.keys()].join(", ")})`);
    return b;
}

function mapDependsOn(v: unknown, s: ServiceCtx) {
    s.out.dependsOn ??= {};
    if (Array.isArray(v)) {
        v.forEach((d, i) => {
            const b = depName(s, String(d), `${s.key}[${i}]`);
            if (b) s.out.dependsOn![b] = "started";
        });
        return;
    }
    if (!isRecord(v)) return s.note(s.key, "refused", `a list of services or a mapping (got ${JSON.stringify(v)})`);
    for (const [d, c] of Object.entries(v)) {
        const p = `${s.key}${step(d)}`;
        const b = depName(s, d, p);
        if (!b) continue;
        const cond = isRecord(c) ? c.condition : undefined;
        if (cond === "service_healthy") {
            s.out.dependsOn[b] = "healthy";
            s.healthyDeps.push({ from: s.name, to: b, path: p });
        } else {
            s.out.dependsOn[b] = "started";
            if (cond === "service_completed_successfully") {
                s.note(p, "approximated", `service_completed_successfully: berth waits until ${b} has started, not until it has run to completion (berth runs services, not one-shot tasks; run ${d}'s task in ${s.name}'s entrypoint, or before pulumi up)`);
            } else if (cond !== "service_started" && cond !== undefined) s.note(p, "refused", `condition ${JSON.stringify(cond)}: started is used`);
        }
        if (isRecord(c)) {
            if (c.required === false) s.note(`${p}.required`, "approximated", `required: false: berth always waits for ${b}`);
            if (c.restart) s.note(`${p}.restart`, "approximated", notInSpec(`restarting ${s.name} when ${b} restarts`));
        }
    }
}

function mapLinks(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of services (got ${JSON.stringify(v)})`);
    s.out.dependsOn ??= {};
    v.forEach((l, i) => {
        const [dep, alias] = String(l).split(":");
        const p = `${s.key}[${i}]`;
        const b = depName(s, dep, p);
        if (!b) return;
        s.out.dependsOn![b] ??= "started";
        if (alias && alias !== dep) s.note(p, "approximated", `the alias ${alias} is not created: ${s.name} reaches the service as ${b}; change addresses that name ${alias}`);
    });
}

/** A Go duration ("1m30s", "500ms") in whole seconds, rounded up. */
export function durationSeconds(v: unknown): { seconds: number; exact: boolean } | undefined {
    if (typeof v !== "string") return undefined;
    const units: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
    let total = 0;
    let matched = 0;
    for (let m = re.exec(v); m; m = re.exec(v)) {
        total += parseFloat(m[1]) * units[m[2]];
        matched = re.lastIndex;
    }
    if (matched !== v.length || v === "") return v === "0" ? { seconds: 0, exact: true } : undefined;
    const seconds = Math.ceil(total - 1e-9);
    return { seconds, exact: Math.abs(seconds - total) < 1e-9 };
}

function mapHealthcheck(v: unknown, s: ServiceCtx) {
    if (!isRecord(v)) return s.note(s.key, "refused", `a mapping with test (got ${JSON.stringify(v)})`);
    if (v.disable === true) return s.note(s.key, "mapped", "disabled: no readiness check");
    let command: string[];
    const t = v.test;
    if (typeof t === "string") command = ["sh", "-c", t];
    else if (Array.isArray(t) && t[0] === "NONE") return s.note(`${s.key}.test`, "mapped", "NONE: no readiness check");
    else if (Array.isArray(t) && t[0] === "CMD" && t.length > 1) command = t.slice(1).map(String);
    else if (Array.isArray(t) && t[0] === "CMD-SHELL" && t.length === 2) command = ["sh", "-c", String(t[1])];
    else if (t === undefined) {
        return s.note(`${s.key}.test`, "refused", "no test: the image's HEALTHCHECK would run, which berth does not read; write the check as test: [\"CMD\", ...]");
    } else return s.note(`${s.key}.test`, "refused", `a test is ["CMD", words...], ["CMD-SHELL", "line"], ["NONE"] or one string (got ${JSON.stringify(t)})`);
    const check: Record<string, unknown> = { command };
    const time = (k: string, field: string, dflt: number, min: number) => {
        const p = `${s.key}.${k}`;
        if (v[k] === undefined || v[k] === null) {
            check[field] = dflt;
            return;
        }
        const d = durationSeconds(v[k]);
        if (!d) {
            check[field] = dflt;
            return s.note(p, "refused", `${JSON.stringify(v[k])} is not a duration such as "30s" or "1m30s": Compose's default ${dflt} s is used`);
        }
        const sec = Math.min(3600, Math.max(min, d.seconds));
        if (!d.exact || sec !== d.seconds) s.note(p, "approximated", `${v[k]} is ${sec} s: berth counts whole seconds from ${min} to 3600`);
        check[field] = sec;
    };
    time("interval", "intervalSeconds", 30, 1);
    time("timeout", "timeoutSeconds", 30, 1);
    if (v.retries === undefined || v.retries === null) check.retries = 3;
    else if (typeof v.retries === "number" && Number.isInteger(v.retries)) {
        check.retries = Math.min(100, Math.max(1, v.retries));
        if (check.retries !== v.retries) s.note(`${s.key}.retries`, "approximated", `${v.retries} is ${check.retries}: berth's retries are 1 to 100`);
    } else {
        check.retries = 3;
        s.note(`${s.key}.retries`, "refused", `a whole number (got ${JSON.stringify(v.retries)}): Compose's default 3 is used`);
    }
    time("start_period", "startPeriodSeconds", 0, 0);
    if (v.start_interval !== undefined) s.note(`${s.key}.start_interval`, "approximated", notInSpec("a faster check interval during the start period: the interval applies throughout"));
    s.out.health = { readiness: check };
}

function mapRestart(v: unknown, s: ServiceCtx, p: string) {
    const m = typeof v === "string" ? /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(v) : null;
    if (!m || (m[2] !== undefined && m[1] !== "on-failure")) return s.note(p, "refused", `${JSON.stringify(v)}: accepted no, always, on-failure[:N], unless-stopped; berth's default (always) is used`);
    if (m[2] !== undefined && +m[2] === 0) {
        // Docker reads a maximum of 0 as no maximum.
        s.out.restart = "on-failure";
        s.note(p, "mapped", `on-failure:${m[2]} is on-failure: Docker reads a maximum of 0 as no maximum`);
    } else s.out.restart = m[2] !== undefined ? `on-failure:${+m[2]}` : m[1];
    if (m[1] === "no" || m[1] === "on-failure") {
        s.kubernetes.services[s.name] = { restart: "always" };
        const cmd = `pulumi config set --path 'berth:services.${s.name}.restart' always --stack <stack>`;
        s.kubernetes.commands.push(cmd);
        s.note(p, "approximated", `${m[1]} runs so on Docker; Kubernetes refuses it (a Deployment's pods always restart): for a Kubernetes stack run ${cmd}`);
    }
}

function mapReplicas(v: unknown, s: ServiceCtx, p: string) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return s.note(p, "refused", `a whole number of replicas (got ${JSON.stringify(v)})`);
    if (v > 100) {
        s.note(p, "approximated", `${v} replicas is 100: berth runs at most 100 (use scaling on Kubernetes)`);
        s.out.replicas = 100;
    } else s.out.replicas = v;
}

/** Compose's memory units (Docker's RAMInBytes: 1024-based, b/k/m/g/t with an optional b), as a Kubernetes size. */
export function memoryQuantity(v: unknown): { quantity: string; exact: boolean } | undefined {
    const m = typeof v === "number" ? ["", String(v), ""] : typeof v === "string" ? /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim()) : null;
    if (!m) return undefined;
    const pow = { "": 0, k: 1, m: 2, g: 3, t: 4, p: 5 }[m[2].toLowerCase() as "k"]!;
    const bytes = parseFloat(m[1]) * 1024 ** pow;
    for (const [unit, size] of [["Ti", 1024 ** 4], ["Gi", 1024 ** 3], ["Mi", 1024 ** 2]] as const) {
        if (bytes >= size && Number.isInteger(bytes / size)) return { quantity: `${bytes / size}${unit}`, exact: true };
    }
    const ki = Math.ceil(bytes / 1024);
    return { quantity: `${Math.max(1, ki)}Ki`, exact: ki * 1024 === bytes };
}

function mapMemory(v: unknown, s: ServiceCtx, p: string, which: "limit" | "request") {
    const q = memoryQuantity(v);
    if (!q) return s.note(p, "refused", `${JSON.stringify(v)} is not a size such as "512m" or "1g"`);
    if (!q.exact) s.note(p, "approximated", `${v} is ${q.quantity}: berth's sizes are whole Ki, Mi, Gi or Ti`);
    s.out.resources ??= {};
    s.out.resources.memory ??= {};
    s.out.resources.memory[which] ??= q.quantity;
}

function mapCpu(v: unknown, s: ServiceCtx, p: string, which: "limit" | "request") {
    const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= 0) return s.note(p, "refused", `${JSON.stringify(v)} is not a number of cpus such as 0.5`);
    const milli = Math.round(n * 1000);
    if (milli === 0) return s.note(p, "refused", `${v} cpus is less than berth's smallest, 1m (0.001)`);
    if (milli !== n * 1000) s.note(p, "approximated", `${v} cpus is ${milli}m`);
    s.out.resources ??= {};
    s.out.resources.cpu ??= {};
    s.out.resources.cpu[which] ??= milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

function mapDeploy(v: unknown, s: ServiceCtx) {
    if (!isRecord(v)) return s.note(s.key, "refused", `a mapping (got ${JSON.stringify(v)})`);
    for (const [k, x] of Object.entries(v)) {
        const p = `${s.key}${step(k)}`;
        if (isExtension(k)) continue;
        if (k === "replicas") mapReplicas(x, s, p);
        else if (k === "resources" && isRecord(x)) {
            for (const [which, field] of [["limits", "limit"], ["reservations", "request"]] as const) {
                const r = x[which];
                if (!isRecord(r)) continue;
                for (const [rk, rv] of Object.entries(r)) {
                    const rp = `${p}.${which}${step(rk)}`;
                    if (rk === "cpus") mapCpu(rv, s, rp, field);
                    else if (rk === "memory") mapMemory(rv, s, rp, field);
                    else if (rk === "pids") s.note(rp, "approximated", notInSpec("a limit on processes: the engine's default applies"));
                    else s.note(rp, "refused", notInSpec(`${rk} (devices, generic resources): berth reserves cpu and memory only`));
                }
            }
        } else if (k === "restart_policy" && isRecord(x)) {
            const cond = x.condition ?? "any";
            const policy = { none: "no", "on-failure": "on-failure", any: "always" }[String(cond)];
            if (!policy) s.note(`${p}.condition`, "refused", `${JSON.stringify(cond)}: accepted none, on-failure, any`);
            // max_attempts limits on-failure's restarts, as on-failure:N does.
            const attempts = policy === "on-failure" && typeof x.max_attempts === "number" && Number.isInteger(x.max_attempts) && x.max_attempts > 0 ? x.max_attempts : undefined;
            if (policy && s.raw.restart === undefined) mapRestart(attempts !== undefined ? `on-failure:${attempts}` : policy, s, p);
            for (const rk of Object.keys(x)) {
                if (rk === "condition" || (rk === "max_attempts" && attempts !== undefined && s.raw.restart === undefined)) continue;
                s.note(`${p}${step(rk)}`, "approximated", notInSpec(`restart ${rk}: the engine restarts without a delay or window${rk === "max_attempts" ? ", and limits restarts only with condition on-failure (restart: on-failure:N)" : ""}`));
            }
        } else if (k === "mode" && (x === "replicated" || x === null)) s.note(p, "mapped", "replicated is how berth runs a service");
        else if (k === "mode") s.note(p, "refused", `mode ${JSON.stringify(x)}: berth runs a number of replicas (one per node is not in the spec)`);
        else if (k === "update_config") s.note(p, "approximated", "berth starts new replicas before stopping old ones (Kubernetes: set rollingUpdate in the module for its bounds)");
        else if (k === "labels") s.note(p, "approximated", notInSpec("service labels"));
        else s.note(p, "approximated", notInSpec(`deploy ${k}: the target schedules and rolls back by its own defaults`));
    }
}

function mapCapabilities(_v: unknown, s: ServiceCtx) {
    // Both keys are read together, once (at the first of them met).
    if (s.capabilitiesRead) return;
    s.capabilitiesRead = true;
    const list = (k: "cap_add" | "cap_drop") => {
        const v = s.raw[k];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v)) {
            s.note(join("services", s.composeName, k), "refused", `a list of capabilities (got ${JSON.stringify(v)})`);
            return [];
        }
        const out: string[] = [];
        v.forEach((c, i) => {
            const name = String(c).toUpperCase().replace(/^CAP_/, "");
            if (name !== "ALL" && !/^[A-Z_]+$/.test(name)) s.note(join("services", s.composeName, k, i), "refused", `${JSON.stringify(c)} is not a capability name such as NET_ADMIN`);
            else out.push(name);
        });
        return out;
    };
    const add = list("cap_add");
    const drop = list("cap_drop");
    if (add.includes("ALL")) s.note(join("services", s.composeName, "cap_add"), "refused", "cap_add: ALL is left out: berth never grants every capability; list the ones the service needs");
    const adds = add.filter((c) => c !== "ALL");
    if (drop.includes("ALL")) {
        s.security.baseCapabilities = "none";
        if (adds.length) s.security.capabilities = adds;
    } else {
        if (adds.length) s.security.capabilities = adds;
        if (drop.length) s.security.dropCapabilities = drop;
    }
}

function mapUser(v: unknown, s: ServiceCtx) {
    if (v === null) return;
    const user = String(v);
    const parsed = appSchema.shape.services.valueType.shape.security.unwrap().shape.user.safeParse(user);
    if ((typeof v !== "string" && typeof v !== "number") || !parsed.success) return s.note(s.key, "refused", `user ${JSON.stringify(v)}: a name or uid, optionally ":" and a group name or gid`);
    s.security.user = user;
    if (!/^\d+(:\d+)?$/.test(user)) {
        s.note(s.key, "approximated", `user ${JSON.stringify(user)} names a user or group: Docker runs it as written, Kubernetes refuses it (a pod takes numeric ids only); for a Kubernetes stack write the uid:gid instead (docker run --rm --entrypoint id <image> -u ${user.split(":")[0]} prints them)`);
    }
}

/** A name other services reach this one by (an alias, a container_name): a DNS label that is no service's name. */
function addAlias(s: ServiceCtx, alias: string, p: string) {
    if (alias === s.composeName || alias === s.name) return;
    if (!/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/.test(alias)) {
        return s.note(p, "approximated", `${JSON.stringify(alias)} is not made an alias: berth's names are lowercase DNS labels (a-z, 0-9, '-', at most 32 characters); other services reach it as ${s.name}, so change addresses that use ${alias}`);
    }
    if (s.serviceNames.has(alias) || [...s.serviceNames.values()].includes(alias)) return s.note(p, "refused", `"${alias}" is the name of a service: left out (a name reaches one service)`);
    const other = Object.entries(s.services).find(([, o]) => (o.aliases as string[] | undefined)?.includes(alias));
    if (other) return s.note(p, "refused", `"${alias}" is already an alias of service ${other[0]}: left out (a name reaches one service)`);
    const mine = (s.out.aliases ??= []) as string[];
    if (!mine.includes(alias)) mine.push(alias);
}

function mapContainerName(v: unknown, s: ServiceCtx) {
    if (typeof v !== "string" || v === "") return s.note(s.key, "refused", `a container name is a string (got ${JSON.stringify(v)})`);
    addAlias(s, v, s.key);
}

/** Compose labels (label_file's, then a mapping or a list of key=value over them) as the service's labels: keys both targets take. */
function mapLabels(s: ServiceCtx) {
    const at = (k: string) => join("services", s.composeName, k);
    const fromFiles: [string, unknown, string][] = [];
    const lf = s.raw.label_file;
    const files = lf === undefined || lf === null ? [] : Array.isArray(lf) ? lf : [lf];
    files.forEach((f, i) => {
        const p = Array.isArray(lf) ? `${at("label_file")}[${i}]` : at("label_file");
        if (typeof f !== "string") return s.note(p, "refused", `a file path (got ${JSON.stringify(f)})`);
        const abs = path.resolve(s.dir, f);
        if (!fs.existsSync(abs)) throw new ComposeImportError(`${p}: label file ${abs} not found (Compose stops here too)`);
        for (const [k, x] of Object.entries(parseDotenv(fs.readFileSync(abs, "utf8"), s.env))) fromFiles.push([k, x ?? "", p]);
    });
    const v = s.raw.labels;
    const key = at("labels");
    const entries: [string, unknown, string][] = v === undefined || v === null ? [] : Array.isArray(v)
        ? v.map((item, i) => {
              const t = String(item);
              const eq = t.indexOf("=");
              return eq < 0 ? [t, "", `${key}[${i}]`] : [t.slice(0, eq), t.slice(eq + 1), `${key}[${i}]`];
          })
        : isRecord(v)
          ? Object.entries(v).map(([k, x]) => [k, x, `${key}${step(k)}`])
          : [];
    if (v !== undefined && v !== null && !Array.isArray(v) && !isRecord(v)) s.note(key, "refused", `a mapping or a list of key=value (got ${JSON.stringify(v)})`);
    const out: Record<string, string> = {};
    for (const [k, x, p] of [...fromFiles, ...entries]) {
        if (k.startsWith(BERTH_LABEL_PREFIX)) s.note(p, "refused", `${k}: keys under ${BERTH_LABEL_PREFIX} are berth's own: left out (rename it)`);
        else if (!labelKey.safeParse(k).success || !isAnnotationKey(k)) {
            s.note(p, "refused", `${JSON.stringify(k)} is not a key Kubernetes takes for an annotation (a name of at most 63 characters: letters, digits, '-', '_', '.', after an optional DNS prefix and "/"): left out; rename it in the module if the Docker stack needs it`);
        } else if (x !== null && typeof x === "object") s.note(p, "refused", `a label's value is text (got ${JSON.stringify(x)})`);
        else out[k] = x === null || x === undefined ? "" : String(x);
    }
    if (Object.keys(out).length > 0) s.out.labels = out;
}

function mapNetworks(v: unknown, s: ServiceCtx) {
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((n) => [String(n), null]) : isRecord(v) ? Object.entries(v) : [];
    if (!Array.isArray(v) && !isRecord(v)) return s.note(s.key, "refused", `a list or mapping of networks (got ${JSON.stringify(v)})`);
    const out: string[] = [];
    entries.forEach(([n, opts], i) => {
        const p = Array.isArray(v) ? `${s.key}[${i}]` : `${s.key}${step(n)}`;
        const b = n === "default" ? "default" : s.networkNames.get(n);
        if (!b) return s.note(p, "refused", `network ${JSON.stringify(n)} is not declared in the top-level networks (Compose refuses it too)`);
        out.push(b);
        if (isRecord(opts)) {
            for (const k of Object.keys(opts)) {
                if (isExtension(k)) continue;
                if (k === "aliases") {
                    if (!Array.isArray(opts.aliases)) s.note(`${p}.aliases`, "refused", `a list of names (got ${JSON.stringify(opts.aliases)})`);
                    else opts.aliases.forEach((a, j) => addAlias(s, String(a), `${p}.aliases[${j}]`));
                    if (entries.length > 1) s.note(`${p}.aliases`, "approximated", `berth gives a service its aliases on every network it joins, not on ${n} only`);
                } else s.note(`${p}${step(k)}`, "refused", notInSpec(`${k} on a network: the target assigns addresses`));
            }
        }
    });
    if (out.length === 0) s.note(s.key, "approximated", "no network: berth puts the service on the default network");
    else s.out.networks = out;
}

function mapVolumes(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of mounts (got ${JSON.stringify(v)})`);
    v.forEach((item, i) => {
        const p = `${s.key}[${i}]`;
        let type: string;
        let source: string | undefined;
        let target: string;
        let readOnly = false;
        if (typeof item === "string") {
            const parts = item.split(":");
            // A Windows drive (C:\...) is a bind mount's source.
            if (/^[a-zA-Z]$/.test(parts[0]) && parts.length > 2) parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
            if (parts.length === 1) {
                type = "volume";
                target = parts[0];
            } else {
                [source, target] = parts;
                const mode = parts[2] ?? "";
                readOnly = mode.split(",").includes("ro");
                type = /^[./~]|^[a-zA-Z]:[\\/]/.test(source) ? "bind" : "volume";
                const flags = mode.split(",").filter((f) => f && f !== "ro" && f !== "rw");
                if (flags.length) s.note(p, "approximated", notInSpec(`mount options ${flags.join(",")}: left out`));
            }
        } else if (isRecord(item)) {
            type = String(item.type ?? "volume");
            source = typeof item.source === "string" ? item.source : undefined;
            target = String(item.target ?? "");
            readOnly = item.read_only === true;
            for (const k of ["bind", "volume", "tmpfs", "image", "consistency"]) {
                if (item[k] !== undefined && !(k === type && type !== "volume")) s.note(`${p}.${k}`, "approximated", notInSpec(`mount ${k} options: left out`));
            }
        } else return s.note(p, "refused", `a mount is "source:target[:ro]" or a mapping (got ${JSON.stringify(item)})`);
        if (type === "bind") return mapBind(s, p, source ?? "", target, readOnly);
        if (type !== "volume") return s.note(p, "refused", notInSpec(`a ${type} mount at ${target}: mount a named volume there instead`));
        if (!target.startsWith("/")) return s.note(p, "refused", `the mount path ${JSON.stringify(target)} is not absolute`);
        if (source === undefined || source === "") {
            return s.note(
                p,
                "approximated",
                `anonymous volume at ${target}: left out, so the image's own files there are used (Compose mounts a fresh volume, seeded from the image, per container); to keep data there, declare a named volume and mount it`,
            );
        }
        const b = s.volumeNames.get(source);
        if (!b) return s.note(p, "refused", `volume ${JSON.stringify(source)} is not declared in the top-level volumes (Compose refuses it too): declare it`);
        s.out.volumes ??= [];
        s.out.volumes.push({ volume: b, path: target, ...(readOnly ? { readOnly: true } : {}) });
    });
}

/**
 * A bind mount: of one file, a file (files: read from the repository at every
 * deploy, on both targets); of a folder (or a path that does not exist yet), a
 * bind mount (bindMounts), which Docker stacks take and Kubernetes stacks
 * refuse. The Docker socket is never taken: the spec wants an explicit opt-in.
 */
function mapBind(s: ServiceCtx, p: string, source: string, target: string, readOnly: boolean) {
    if (!target.startsWith("/")) return s.note(p, "refused", `the mount path ${JSON.stringify(target)} is not absolute`);
    const abs = path.resolve(s.dir, source.replace(/^~(?=\/|$)/, os.homedir()));
    if (isDockerSocketPath(abs)) {
        return s.note(
            p,
            "refused",
            `bind mount of ${source} at ${target}: the Docker API socket gives the container root on the host, so berth takes it only when the spec opts in: add { hostPath: ${JSON.stringify(abs)}, path: ${JSON.stringify(target)}, allowDockerSocket: true } to bindMounts in the module (Docker stacks only)`,
        );
    }
    // Written relative to the program's folder, as berth reads it.
    const rel = path.relative(s.programDir, abs).split(path.sep).join("/") || ".";
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (stat?.isFile()) {
        s.out.files ??= [];
        s.out.files.push({ path: target, source: rel, ...(stat.mode & 0o111 ? { mode: 0o755 } : {}) });
        s.note(
            p,
            readOnly ? "mapped" : "approximated",
            `bind mount of the file ${source}: files (source ${rel}), read at every deploy and placed in the container on both targets${readOnly ? "" : "; it is a copy, so what the container writes there does not reach the host (and on Kubernetes it is read-only)"}`,
        );
        return;
    }
    s.out.bindMounts ??= [];
    s.out.bindMounts.push({ hostPath: rel, path: target, ...(readOnly ? { readOnly: true } : {}) });
    s.note(
        p,
        "approximated",
        `bind mount of the folder ${source}: bindMounts (hostPath ${rel}), which Docker stacks mount and Kubernetes stacks refuse (a node does not have this machine's folders: use a volume, or files for config files)${stat ? "" : `; ${abs} does not exist yet: create it before deploying (berth refuses a missing host path, where Compose would create an empty folder)`}`,
    );
}

/** Compose's configs of a service, as files: short (`name`, at /name) or long (source, target, mode) syntax. */
function mapConfigs(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of configs (got ${JSON.stringify(v)})`);
    const top = isRecord(s.doc.configs) ? s.doc.configs : {};
    v.forEach((item, i) => {
        const p = `${s.key}[${i}]`;
        const name = typeof item === "string" ? item : isRecord(item) ? String(item.source ?? "") : "";
        if (!Object.hasOwn(top, name)) return s.note(p, "refused", `config ${JSON.stringify(name)} is not declared in the top-level configs (Compose refuses it too)`);
        const def = top[name];
        const at = join("configs", name);
        let from: { source: string } | { content: string };
        if (isRecord(def) && typeof def.file === "string") {
            const abs = path.resolve(s.dir, def.file);
            if (!fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) return s.note(at, "refused", `file ${def.file} is not a file next to the Compose file (${abs}): Compose refuses it too`);
            from = { source: path.relative(s.programDir, abs).split(path.sep).join("/") };
        } else if (isRecord(def) && typeof def.content === "string") {
            from = { content: def.content };
        } else if (isRecord(def) && typeof def.environment === "string") {
            const value = s.env[def.environment];
            if (value === undefined) return s.note(at, "refused", `the variable ${def.environment} is not set: set it and import again (the value is written into the module)`);
            from = { content: value };
            s.note(at, "approximated", `environment: the value of ${def.environment} when imported is written inline (content); Compose reads it at every up`);
        } else if (isRecord(def) && def.external) {
            return s.note(at, "refused", "external: the config lives outside the app; put its content into the repository and give it as file: (or content:)");
        } else return s.note(at, "refused", "a config needs file, content or environment");
        let target = `/${name}`;
        let mode: number | undefined;
        if (isRecord(item)) {
            if (typeof item.target === "string" && item.target) target = item.target.startsWith("/") ? item.target : `/${item.target}`;
            if (item.mode !== undefined) {
                // YAML 1.1, as Compose reads it, takes 0440 as octal; so are its digits here.
                const m = typeof item.mode === "string" ? parseInt(item.mode, 8) : typeof item.mode === "number" && /^[0-7]{1,4}$/.test(String(item.mode)) ? parseInt(String(item.mode), 8) : NaN;
                if (Number.isInteger(m) && m >= 0 && m <= 0o777) mode = m;
                else s.note(`${p}.mode`, "refused", `permission bits from 0 to 0777 (got ${JSON.stringify(item.mode)}): berth's default 0644 applies`);
            }
            for (const k of ["uid", "gid"]) if (item[k] !== undefined) s.note(`${p}.${k}`, "approximated", notInSpec(`the config file's ${k}: the file belongs to root (Docker) or to the pod's user (Kubernetes), readable by all`));
        }
        s.out.files ??= [];
        if (s.out.files.some((f) => f.path === target)) return s.note(p, "refused", `a second file at ${target}: give it another target`);
        s.out.files.push({ path: target, ...from, ...(mode !== undefined ? { mode } : {}) });
        if (!s.configsNoted.has(name)) {
            s.configsNoted.add(name);
            s.note(at, "mapped", "source" in from ? `files[].source ${from.source}, read at every deploy` : "files[].content, inline");
            for (const k of Object.keys(isRecord(def) ? def : {})) {
                if (["file", "content", "environment", "external"].includes(k) || isExtension(k)) continue;
                s.note(`${at}${step(k)}`, "approximated", notInSpec(`config ${k}: left out`));
            }
        }
    });
}

/** A replicated service sharing a volume (Compose's replicas share one): ReadWriteMany, as berth refuses one ReadWriteOnce directory for many. */
function checkSharedVolumes(ctx: Ctx) {
    for (const [name, svc] of Object.entries(ctx.services)) {
        if ((svc.replicas as number | undefined) === undefined || (svc.replicas as number) <= 1) continue;
        for (const m of svc.volumes ?? []) {
            if (ctx.volumes[m.volume].access === "ReadWriteMany") continue;
            ctx.volumes[m.volume].access = "ReadWriteMany";
            ctx.findings.push({
                path: `volumes.${m.volume}`,
                kind: "approximated",
                message: `access ReadWriteMany: ${name}'s ${svc.replicas} replicas share it, as in Compose (Kubernetes needs a storage class that supports ReadWriteMany; or set perReplica: true to give each replica its own copy)`,
            });
        }
    }
}

/** service_healthy needs the dependency's readiness check and a TCP port (Kubernetes waits on its Service with a TCP connection). */
function resolveHealthyDeps(ctx: Ctx) {
    for (const d of ctx.healthyDeps) {
        const from = ctx.services[d.from];
        const to = ctx.services[d.to];
        if (!from?.dependsOn || !to) continue;
        if (!to.health?.readiness) {
            from.dependsOn[d.to] = "started";
            ctx.findings.push({ path: d.path, kind: "approximated", message: `service_healthy, but ${d.to} has no healthcheck: berth waits until it has started (add a healthcheck to ${d.to})` });
        } else if (!to.ports?.length) {
            from.dependsOn[d.to] = "started";
            ctx.findings.push({
                path: d.path,
                kind: "approximated",
                message: `service_healthy, but ${d.to} declares no port: berth waits until it has started (on Kubernetes a dependent waits for the dependency's Service; add expose: [<port>] to ${d.to})`,
            });
        } else if (!to.ports.some((p) => (p.protocol ?? "tcp") === "tcp")) {
            from.dependsOn[d.to] = "started";
            ctx.findings.push({
                path: d.path,
                kind: "approximated",
                message: `service_healthy, but ${d.to} declares UDP ports only: berth waits until it has started (a dependent waits until a TCP connection to ${d.to} opens; add a TCP port to ${d.to})`,
            });
        }
    }
}

function mapSecrets(v: unknown, s: ServiceCtx) {
    if (!Array.isArray(v)) return s.note(s.key, "refused", `a list of secrets (got ${JSON.stringify(v)})`);
    const top = isRecord(s.doc.secrets) ? s.doc.secrets : {};
    v.forEach((item, i) => {
        const p = `${s.key}[${i}]`;
        const source = typeof item === "string" ? item : isRecord(item) ? String(item.source ?? "") : "";
        if (!Object.hasOwn(top, source)) return s.note(p, "refused", `secret ${JSON.stringify(source)} is not declared in the top-level secrets (Compose refuses it too)`);
        const config = secretConfig(s, source);
        if (!config) return;
        let target = `/run/secrets/${source}`;
        if (isRecord(item)) {
            if (typeof item.target === "string" && item.target) target = item.target.startsWith("/") ? item.target : `/run/secrets/${item.target}`;
            for (const k of ["uid", "gid", "mode"]) if (item[k] !== undefined) s.note(`${p}.${k}`, "approximated", notInSpec(`the secret file's ${k}: the target's default applies`));
        }
        const key = path.posix.basename(target).replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
        s.out.secrets ??= {};
        if (Object.hasOwn(s.out.secrets, key)) return s.note(p, "refused", `a second secret file named like ${key}: give it another target`);
        s.out.secrets[key] = { config, as: "file", ...(target !== `/run/secrets/${key}` ? { path: target } : {}) };
    });
}

/** The stack config key of a top-level secret (once), with the command that sets it. */
function secretConfig(s: ServiceCtx, name: string): string | undefined {
    const known = s.secrets.get(name);
    if (known) return known.config;
    const def = (s.doc.secrets as Record<string, unknown>)[name];
    const at = join("secrets", name);
    const config = configKey(name);
    const set = (value: string) => `pulumi config set --secret berth:${config} ${value} --stack <stack>`;
    let entry: SecretToSet;
    if (isRecord(def) && typeof def.file === "string") {
        const abs = path.resolve(s.dir, def.file);
        entry = { config, secret: name, from: { file: abs }, command: `${set(`"$(cat ${JSON.stringify(path.relative(s.programDir, abs)).slice(1, -1)})"`)}` };
    } else if (isRecord(def) && typeof def.environment === "string") {
        entry = { config, secret: name, from: { env: def.environment }, command: set(`"$${def.environment}"`) };
    } else if (isRecord(def) && def.external) {
        entry = { config, secret: name, from: { external: true }, command: set("<the value>") };
        s.note(at, "approximated", `external: the value lives outside the app; berth reads it from the stack's secret config ${config}: ${entry.command}`);
    } else {
        s.note(at, "refused", "a secret needs file, environment or external");
        return undefined;
    }
    s.note(at, "mapped", `the stack's secret config berth:${config}, set with: ${entry.command}`);
    for (const k of Object.keys(isRecord(def) ? def : {})) {
        if (["file", "environment", "external"].includes(k) || isExtension(k)) continue;
        s.note(`${at}${step(k)}`, "approximated", notInSpec(`secret ${k}: left out`));
    }
    s.secrets.set(name, entry);
    return config;
}

// ---------------------------------------------------------------- output

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A value as TypeScript source (4-space indent; short arrays of plain values on one line). */
export function toTs(v: unknown, indent = ""): string {
    const inner = indent + "    ";
    if (Array.isArray(v)) {
        if (v.length === 0) return "[]";
        const flat = v.every((x) => typeof x !== "object" || x === null);
        const one = `[${v.map((x) => toTs(x)).join(", ")}]`;
        if (flat && one.length + indent.length < 100) return one;
        // Small objects of plain values (ports, mounts), one a line.
        const inline = (x: unknown) =>
            isRecord(x) && Object.values(x).every((y) => typeof y !== "object" || y === null)
                ? `{ ${Object.entries(x)
                      .filter(([, y]) => y !== undefined)
                      .map(([k, y]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${k === "mode" && typeof y === "number" ? `0o${y.toString(8)}` : JSON.stringify(y)}`)
                      .join(", ")} }`
                : undefined;
        const items = v.map(inline);
        if (items.every((x) => x !== undefined && x.length + inner.length < 120)) return `[\n${items.map((x) => `${inner}${x},`).join("\n")}\n${indent}]`;
        return `[\n${v.map((x) => `${inner}${toTs(x, inner)},`).join("\n")}\n${indent}]`;
    }
    if (isRecord(v)) {
        const keys = Object.keys(v).filter((k) => v[k] !== undefined);
        if (keys.length === 0) return "{}";
        // A file's mode reads as permission bits (0o644), as the spec's TSDoc writes them.
        const value = (k: string) => (k === "mode" && typeof v[k] === "number" ? `0o${(v[k] as number).toString(8)}` : toTs(v[k], inner));
        return `{\n${keys.map((k) => `${inner}${IDENT.test(k) ? k : JSON.stringify(k)}: ${value(k)},`).join("\n")}\n${indent}}`;
    }
    return JSON.stringify(v);
}

/** The import of berth's entry module from a module written at `modulePath` (default: under apps/). */
export function entryImport(modulePath = path.join(REPO_ROOT, "apps", "app.ts")): string {
    let rel = path.relative(path.dirname(path.resolve(modulePath)), path.join(REPO_ROOT, "components")).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return rel;
}

/** The TypeScript module: the spec, typed against berth's entry module. */
export function renderModule(r: ImportResult, opts: { source: string; modulePath?: string }): string {
    const counts = (k: Kind) => r.findings.filter((f) => f.kind === k).length;
    return [
        `// Imported from ${opts.source} by \`npm run import\` (berth's Compose importer):`,
        `// ${counts("mapped")} keys mapped, ${counts("approximated")} approximated, ${counts("refused")} refused (the report lists them).`,
        "// Values from ${...} and .env were resolved when it was imported. Deploy it with",
        `// App.create(${JSON.stringify(r.name)}, { spec: app }); docs/reference.md has what each field means.`,
        `import { AppInput } from ${JSON.stringify(entryImport(opts.modulePath))};`,
        "",
        `export const app = ${toTs(r.spec)} satisfies AppInput;`,
        "",
    ].join("\n");
}

/** The report: one line per approximation and refusal, then the commands the stacks need. */
export function renderReport(r: ImportResult, source: string): string {
    const counts = (k: Kind) => r.findings.filter((f) => f.kind === k).length;
    const lines = [`berth import ${source}: ${Object.keys(r.spec.services).length} services; ${counts("mapped")} keys mapped, ${counts("approximated")} approximated, ${counts("refused")} refused`];
    for (const kind of ["refused", "approximated"] as const) {
        for (const f of r.findings.filter((x) => x.kind === kind)) lines.push(`  ${kind.padEnd(12)} ${f.path}: ${f.message}`);
    }
    if (r.secrets.length) {
        lines.push("every stack needs these secrets (run from the repository's folder):");
        for (const s of r.secrets) lines.push(`  ${s.command}`);
    }
    if (Object.keys(r.policy).length) {
        lines.push("berth's policy pack (advisory in dev, mandatory in staging and prod) will flag:");
        for (const [name, notes] of Object.entries(r.policy)) lines.push(`  services.${name}: ${notes.join("; ")}`);
    }
    if (r.kubernetes.commands.length) {
        lines.push("a Kubernetes stack also needs:");
        for (const c of r.kubernetes.commands) lines.push(`  ${c}`);
    }
    return lines.join("\n") + "\n";
}

/** A table cell: `|` and `<` escaped for Markdown. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "\\<");

/** The mapping table, as docs/reference.md shows it. */
export function keyTable(): string {
    const rows = ["| Compose key | outcome | what berth does |", "|---|---|---|"];
    for (const [k, r] of Object.entries(TOP_LEVEL_KEYS)) rows.push(`| \`${k}\` (top level) | ${r.kind} | ${cell(r.what)} |`);
    rows.push("| `x-*` (top level and service) | ignored | extension fields (YAML anchors that use them are resolved) |");
    for (const [k, r] of Object.entries(SERVICE_KEYS).sort(([a], [b]) => a.localeCompare(b))) rows.push(`| \`services.*.${k}\` | ${r.kind} | ${cell(r.what)} |`);
    return rows.join("\n") + "\n";
}
