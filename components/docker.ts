/**
 * The Docker target's driver: the one place that maps the app description to
 * Docker objects through @pulumi/docker, with its own settings
 * (`berth:docker`).
 *
 *   network -> docker.Network `<prefix>-<network>` (internal where asked)
 *   volume  -> docker.Volume `<prefix>-<volume>` (deterministic, retained on delete by default)
 *   service -> one docker.Container per replica (+ docker.Image for a build,
 *              + a generated HAProxy load balancer for a published port);
 *              files uploaded into it (bind-mounted from berth's cache with a
 *              read-only root), bind mounts as bind mounts
 *
 * The prefix is `<project>-<stack>` unless `namePrefix` says otherwise (a
 * second App in one stack needs its own). Containers are autonamed, so that a
 * stateless service's replacement starts the new container (and waits until
 * it is healthy) before it removes the old one; a service with a volume is
 * replaced stop-first instead.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { CHECKER, checkArgv, checkerBinary, checkerBinaryProblem, checkerHash, usesChecker } from "./checker";
import { fileBytes, hostFile, isUtf8, octalMode, sourcePath } from "./files";
import { buildTag, contextHash } from "./images";
import { BindMountSpec, Check, NetworkSpec, VolumeSpec, keyStep, restartLimit } from "./spec";
import { DeployContext, RefusalInput, ResolvedService, ServiceHandle, ServiceUses, Target, defineDriver, mountedBy } from "./target";

/** The Docker target's settings: `berth:docker`, or the App's `settings.docker`. */
export const dockerSettings = z
    .strictObject({
        /** Host address that published ports bind to. @default "127.0.0.1" */
        publishAddress: z.union([z.ipv4(), z.literal("0.0.0.0")]).default("127.0.0.1"),
        /** Docker engine to deploy to, e.g. "ssh://me@host" or "tcp://host:2376". @default the local engine (DOCKER_HOST) */
        host: z.string().regex(/^(unix|tcp|ssh|npipe):\/\//, "a Docker host URL: unix://, tcp://, ssh:// or npipe://").optional(),
        /**
         * The start of the names of the app's volumes, networks and images. A
         * second App in one stack needs its own (names are checked across Apps).
         * Changing it renames the volumes: the data-safety check refuses that.
         * @default "<project>-<stack>"
         */
        namePrefix: z
            .string()
            .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "lowercase letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters")
            .optional(),
    })
    .prefault({});
export type DockerSettings = z.infer<typeof dockerSettings>;

const namePrefix = (ctx: DeployContext<DockerSettings>) => ctx.settings.namePrefix ?? `${ctx.project}-${ctx.stack}`;

/**
 * The Docker name of a volume, `<prefix>-<volume>`, and `-<ordinal>` after
 * it for a per-replica volume's copy: deterministic, so a later up finds
 * retained data.
 */
export function dockerVolumeName(ctx: DeployContext<DockerSettings>, volume: string, ordinal?: number | string): string {
    return `${namePrefix(ctx)}-${volume}${ordinal === undefined ? "" : `-${ordinal}`}`;
}

/** The image the generated load balancers run (HAProxy from Debian). */
export const LB_CONTEXT = path.join(__dirname, "lb");

/**
 * Seconds as Docker reports a healthcheck duration back (Go's
 * time.Duration: "30s", "1m0s", "1h2m0s"): written any other way ("60s"), the
 * provider reads back a different string and every preview proposes to
 * replace the container.
 */
export function goDuration(seconds: number): string {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * A container's healthcheck, in exec form (no shell): a command check runs
 * the user's command; an http or tcp check runs berth's checker, which
 * checkerFiles places in the container (checker.ts).
 */
export function healthcheck(c: Check): docker.types.input.ContainerHealthcheck {
    return {
        tests: ["CMD", ...(c.command ?? checkArgv(c))],
        interval: goDuration(c.intervalSeconds),
        timeout: goDuration(c.timeoutSeconds),
        retries: c.retries,
        startPeriod: goDuration(c.startPeriodSeconds),
    };
}

/** The one check Docker runs (it has one healthcheck per container): readiness, else startup, else liveness. */
export const dockerCheck = (h: ResolvedService["health"]) => h.readiness ?? h.startup ?? h.liveness;

/**
 * What puts the checker into a container whose check runs it (checker.ts):
 * an upload of the static binary from the program's machine (mode 0755, so
 * that any user runs it) before the container starts. The engine refuses any
 * upload into a read-only root filesystem (the provider copies to "/"), so
 * such a container gets the binary bind-mounted read-only from the engine's
 * host instead, which is this machine's only with a local engine (the driver
 * refuses a read-only root with an http or tcp check on any other).
 */
export function checkerFiles(check: Check | undefined, readOnlyRoot: boolean): { uploads: docker.types.input.ContainerUpload[]; volumes: docker.types.input.ContainerVolume[] } {
    if (!usesChecker(check)) return { uploads: [], volumes: [] };
    if (readOnlyRoot) return { uploads: [], volumes: [{ hostPath: checkerBinary(), containerPath: CHECKER, readOnly: true }] };
    return { uploads: [{ file: CHECKER, source: checkerBinary(), sourceHash: checkerHash(), permissions: "0755" }], volumes: [] };
}

/** Whether the engine is this machine's (no berth:docker.host, and DOCKER_HOST unset or a unix socket). */
export const localEngine = (host: string | undefined, env: NodeJS.ProcessEnv = process.env) => {
    const engine = host ?? env.DOCKER_HOST;
    return !engine || engine.startsWith("unix://");
};

/** The engine's restart policy for each of the spec's ("never" is the older name of "no"). */
const RESTART = { always: "always", "on-failure": "on-failure", never: "no", no: "no", "unless-stopped": "unless-stopped" } as const;

/**
 * Docker's capability adds and drops: from nothing but the listed ones
 * (baseCapabilities "none"), or from the engine's default set (see
 * serviceSchema.security.baseCapabilities).
 */
export function dockerCapabilities(sec: ResolvedService["security"]): docker.types.input.ContainerCapabilities | undefined {
    const list = (l: string[]) => (l.length ? l : undefined);
    if (sec.baseCapabilities === "none") return { drops: ["ALL"], adds: list(sec.capabilities) };
    if (!sec.capabilities.length && !sec.dropCapabilities.length) return undefined;
    return { adds: list(sec.capabilities), drops: list(sec.dropCapabilities) };
}

function memoryMb(q: string | undefined): number | undefined {
    if (!q) return undefined;
    const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(q)!;
    const factor = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] as "Ki" | "Mi" | "Gi" | "Ti"];
    return Math.max(6, Math.ceil(Number(m[1]) * factor));
}

function cpus(q: string | undefined): string | undefined {
    if (!q) return undefined;
    return q.endsWith("m") ? String(Number(q.slice(0, -1)) / 1000) : q;
}

/**
 * A request path as HAProxy's configuration reads it: the characters it would
 * take as quoting (`"`, `'`: a fatal error, the load balancer never starts),
 * an escape (`\`, silently dropped) or a comment (`#`, the rest of the path
 * silently dropped) are percent-encoded, as they are on the wire.
 */
export const haproxyPath = (path: string) => path.replace(/["'\\#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function haproxyConfig(svc: ResolvedService): string {
    const lines = [
        "global",
        "  log stdout format raw local0",
        "defaults",
        "  mode http",
        "  log global",
        "  option httplog",
        "  option dontlognull",
        // A replica that is stopping refuses new connections and closes idle
        // keep-alive ones: such a request is sent again, to another replica
        // (redispatch on every retry), so a rolling update fails none. Only
        // GET/HEAD/OPTIONS are resent once sent (see each backend); a request
        // that never reached a replica (conn-failure) always is. No retry on a
        // response timeout: a slow answer is not run twice.
        "  retries 3",
        "  retry-on conn-failure empty-response junk-response",
        "  option redispatch 1",
        "  timeout connect 2s",
        "  timeout client 30s",
        "  timeout server 30s",
        "resolvers docker",
        "  nameserver dns 127.0.0.11:53",
        "  hold valid 1s",
        "  hold obsolete 1s",
    ];
    // A published port is HTTP when the service has an HTTP check on it: it is
    // balanced per request, with retries; any other port (a database, Redis,
    // DNS over TCP, TLS passed through) is balanced per connection, bytes
    // untouched (mode tcp), its replicas checked by a TCP connect.
    const httpPorts = new Set([svc.health.readiness, svc.health.liveness, svc.health.startup].flatMap((c) => (c?.http ? [c.http.port] : [])));
    for (const p of svc.ports.filter((x) => x.publish !== undefined)) {
        const server = `  server-template r 1-20 ${svc.name}:${p.port} check inter 1s fall 1 rise 1 resolvers docker init-addr none`;
        if (!httpPorts.has(p.port)) {
            lines.push(`frontend f${p.publish}`, "  mode tcp", "  option tcplog", `  bind *:${p.publish}`, `  default_backend b${p.port}`, `backend b${p.port}`, "  mode tcp", "  balance roundrobin", server);
            continue;
        }
        const check = svc.health.readiness?.http ? `option httpchk GET ${haproxyPath(svc.health.readiness.http.path)}` : "";
        lines.push(
            `frontend f${p.publish}`,
            `  bind *:${p.publish}`,
            `  default_backend b${p.port}`,
            `backend b${p.port}`,
            "  balance roundrobin",
            "  http-request disable-l7-retry if !METH_GET !METH_HEAD !METH_OPTIONS",
            ...(check ? [`  ${check}`] : []),
            server,
        );
    }
    return lines.join("\n") + "\n";
}

/**
 * The platform images are built for on the local engine: this machine's. Left
 * unset, the provider warns on every preview and up that it guessed it; for an
 * engine elsewhere (docker.host or DOCKER_HOST not a unix socket) berth does not
 * guess, and the provider does.
 */
export function localPlatform(): string | undefined {
    const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
    return arch ? `linux/${arch}` : undefined;
}

/** A network's handle: the Docker network. A volume's: its Docker volumes, one per replica for a per-replica volume. */
type DockerTarget = Target<docker.Network, docker.Volume[]>;

function deploy(appName: string, ctx: DeployContext<DockerSettings>, app: pulumi.ComponentResource): DockerTarget {
    const dc = ctx.settings;
    // The engine is local unless berth:docker.host or DOCKER_HOST names one elsewhere.
    const engine = dc.host ?? process.env.DOCKER_HOST;
    const platform = !engine || engine.startsWith("unix://") ? localPlatform() : undefined;
    const provider = dc.host ? new docker.Provider(`${appName}-docker`, { host: dc.host }, { parent: app }) : undefined;
    const prefix = namePrefix(ctx);
    const labels = (extra: Record<string, string>) =>
        Object.entries({ "berth.dev/project": ctx.project, "berth.dev/stack": ctx.stack, ...extra }).map(([label, value]) => ({ label, value }));
    let lbImage: docker.Image | undefined;

    return {
        network(name: string, spec: NetworkSpec, parent) {
            const net = name.slice(appName.length + 1);
            return new docker.Network(
                `${name}-net`,
                { name: `${prefix}-${net}`, driver: "bridge", internal: spec.internal, attachable: false, ipv6: false, labels: labels({ "berth.dev/network": net }) },
                { parent, provider },
            );
        },

        volume(name: string, spec: VolumeSpec, parent) {
            const vol = name.slice(appName.length + 1);
            // A per-replica volume: one for each replica of the service that mounts it.
            const ordinals = spec.perReplica ? [...Array(mountedBy(ctx, vol)?.fixedReplicas ?? 0).keys()] : [undefined];
            return ordinals.map(
                (i) =>
                    new docker.Volume(
                        i === undefined ? `${name}-vol` : `${name}-vol-${i}`,
                        {
                            name: dockerVolumeName(ctx, vol, i),
                            driver: "local",
                            labels: labels({ "berth.dev/volume": vol, "berth.dev/retain": String(spec.retain) }),
                        },
                        { parent, provider, retainOnDelete: spec.retain, protect: ctx.config.protectVolumes && !spec.allowDataLoss },
                    ),
            );
        },

        service(svc: ResolvedService, { networks, volumes, dependsOn }: ServiceUses<docker.Network, docker.Volume[]>, parent): ServiceHandle {
            if (svc.scaling) {
                // Nothing here watches load: the rule's max, targets and scale-down window are Kubernetes' HPA's.
                const s = svc.scaling;
                const targets = [s.cpuPercent !== undefined ? `cpuPercent ${s.cpuPercent}` : "", s.memoryPercent !== undefined ? `memoryPercent ${s.memoryPercent}` : ""].filter(Boolean).join(", ");
                pulumi.log.warn(
                    `service ${svc.name}: Docker has no autoscaler; it runs scaling.min = ${s.min} replicas (max ${s.max}, ${targets} and scaleDownStabilizationSeconds ${s.scaleDownStabilizationSeconds} apply on Kubernetes only)`,
                    parent,
                );
            }
            let image: pulumi.Input<string>;
            if (svc.build) {
                const built = new docker.Image(
                    `${appName}-${svc.name}-image`,
                    {
                        // The tag is the build context's content hash: a changed context is a new
                        // image reference, which replaces the containers; an unchanged one is not.
                        imageName: `${prefix}-${svc.name}:${buildTag(svc.build)}`,
                        build: {
                            context: svc.build.context,
                            dockerfile: svc.build.dockerfile ? path.join(svc.build.context, svc.build.dockerfile) : undefined,
                            platform,
                            target: svc.build.target,
                            args: svc.build.args,
                        },
                        skipPush: true,
                    },
                    { parent, provider },
                );
                image = built.imageName;
            } else {
                image = new docker.RemoteImage(`${appName}-${svc.name}-image`, { name: svc.image!, keepLocally: true }, { parent, provider }).imageId;
            }

            const secretNames = Object.keys(svc.secrets);
            const envSecrets = secretNames.filter((s) => svc.secrets[s].as === "env");
            const plainEnv = Object.entries(svc.env).map(([k, v]) => `${k}=${v}`);
            const envs: pulumi.Input<string[]> = envSecrets.length
                ? pulumi.all(envSecrets.map((s) => ctx.secret(svc.secrets[s].config).apply((v) => `${s}=${v}`))).apply((se) => [...plainEnv, ...se])
                : plainEnv;
            const uploads: docker.types.input.ContainerUpload[] = secretNames
                .filter((s) => svc.secrets[s].as === "file")
                .map((s) => ({ file: svc.secrets[s].path ?? `/run/secrets/${s}`, content: ctx.secret(svc.secrets[s].config) }));
            // Files: uploaded before the container starts; with a read-only root (where the
            // engine refuses uploads) bind-mounted read-only from berth's cache instead.
            // Either way a new content changes the container's inputs, which replaces it.
            const readOnlyRoot = svc.security.readOnlyRootFilesystem;
            if (!readOnlyRoot) {
                for (const f of svc.files) {
                    const bytes = fileBytes(f);
                    uploads.push({ file: f.path, ...(isUtf8(bytes) ? { content: bytes.toString("utf8") } : { contentBase64: bytes.toString("base64") }), permissions: octalMode(f.mode) });
                }
            }
            const mounts: docker.types.input.ContainerMount[] = [
                ...(readOnlyRoot ? svc.files.map((f) => ({ type: "bind", source: hostFile(f), target: f.path, readOnly: true })) : []),
                ...svc.bindMounts.map((m) => ({ type: "bind", source: sourcePath(m.hostPath), target: m.path, readOnly: m.readOnly })),
            ];
            const check = dockerCheck(svc.health);
            const checker = checkerFiles(check, svc.security.readOnlyRootFilesystem);
            const hasVolume = svc.volumes.length > 0;

            const containers: docker.Container[] = [];
            for (let i = 0; i < svc.fixedReplicas; i++) {
                containers.push(
                    new docker.Container(
                        `${appName}-${svc.name}-${i}`,
                        {
                            image,
                            entrypoints: svc.command,
                            command: svc.args,
                            workingDir: svc.workingDir,
                            envs,
                            uploads: uploads.length || checker.uploads.length ? [...checker.uploads, ...uploads] : undefined,
                            mounts: mounts.length ? mounts : undefined,
                            healthcheck: check ? healthcheck(check) : undefined,
                            // `pulumi up` waits until the container is healthy.
                            wait: check !== undefined,
                            waitTimeout: check ? check.startPeriodSeconds + (check.intervalSeconds + check.timeoutSeconds) * (check.retries + 2) + 30 : undefined,
                            restart: RESTART[restartLimit(svc.restart).policy],
                            maxRetryCount: restartLimit(svc.restart).maxRetries,
                            networksAdvanced: svc.networks.map((n) => ({ name: networks[n].name, aliases: [svc.name, ...svc.aliases] })),
                            volumes: [
                                ...svc.volumes.map((m) => ({ volumeName: volumes[m.volume][ctx.volumes[m.volume].perReplica ? i : 0].name, containerPath: m.path, readOnly: m.readOnly })),
                                ...checker.volumes,
                            ],
                            privileged: false,
                            securityOpts: ["no-new-privileges"],
                            capabilities: dockerCapabilities(svc.security),
                            readOnly: svc.security.readOnlyRootFilesystem,
                            user: svc.security.user ?? (svc.security.runAsUser !== undefined ? String(svc.security.runAsUser) : undefined),
                            memory: memoryMb(svc.resources?.memory?.limit),
                            // No swap beyond the limit (as on Kubernetes); unset, Docker allows as much
                            // swap again, reads it back and every preview proposes to remove it.
                            memorySwap: memoryMb(svc.resources?.memory?.limit),
                            memoryReservation: memoryMb(svc.resources?.memory?.request),
                            cpus: cpus(svc.resources?.cpu?.limit),
                            // Old replicas get time to finish in-flight requests.
                            destroyGraceSeconds: 10,
                            stopTimeout: 10,
                            // The service's own labels cannot be berth's (the spec refuses berth.dev/ keys).
                            labels: labels({ ...svc.labels, "berth.dev/service": svc.name, "berth.dev/replica": String(i) }),
                        },
                        {
                            parent,
                            provider,
                            dependsOn,
                            // The provider updates healthchecks and mounts in place and ignores the change
                            // (measured: a file's new bind source under a read-only root was "updated", and
                            // the container kept serving the old file): replace the container instead.
                            replaceOnChanges: ["healthcheck", "mounts"],
                            // Stateless: new before old. With a volume: never two on one data directory.
                            deleteBeforeReplace: hasVolume,
                        },
                    ),
                );
            }

            let url: pulumi.Output<string> | undefined;
            const published = svc.ports.filter((p) => p.publish !== undefined);
            const ready: pulumi.Resource[] = [...containers];
            if (published.length > 0) {
                const lbCheck: Check = { tcp: { port: published[0].publish! }, intervalSeconds: 2, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 0 };
                lbImage ??= new docker.Image(
                    `${appName}-lb-image`,
                    { imageName: `${prefix}-lb:${contextHash(LB_CONTEXT)}`, build: { context: LB_CONTEXT, platform }, skipPush: true },
                    { parent: app, provider },
                );
                const lb = new docker.Container(
                    `${appName}-${svc.name}-lb`,
                    {
                        image: lbImage.imageName,
                        uploads: [{ file: "/etc/haproxy/haproxy.cfg", content: haproxyConfig(svc) }, ...checkerFiles(lbCheck, false).uploads],
                        healthcheck: healthcheck(lbCheck),
                        wait: true,
                        waitTimeout: 60,
                        restart: "always",
                        networksAdvanced: svc.networks.map((n) => ({ name: networks[n].name })),
                        ports: published.map((p) => ({ internal: p.publish!, external: p.publish!, ip: dc.publishAddress, protocol: p.protocol })),
                        privileged: false,
                        securityOpts: ["no-new-privileges"],
                        capabilities: { drops: ["ALL"], adds: published.some((p) => p.publish! < 1024) ? ["NET_BIND_SERVICE"] : undefined },
                        // Limits like any service's (the policy pack asks every container for them).
                        memory: 256,
                        memorySwap: 256,
                        cpus: "0.5",
                        destroyGraceSeconds: 10,
                        labels: labels({ "berth.dev/service": svc.name, "berth.dev/role": "load-balancer" }),
                    },
                    { parent, provider, dependsOn: containers, replaceOnChanges: ["healthcheck"] },
                );
                ready.push(lb);
                url = pulumi.output(`http://${dc.publishAddress}:${published[0].publish}`);
            }
            return { url, readyWhen: ready };
        },
    };
}

function volumeIdentity(ctx: DeployContext<DockerSettings>, volume: string): Record<string, string> {
    // A per-replica volume is a set of volumes, one per ordinal.
    const perReplica = ctx.volumes[volume].perReplica && mountedBy(ctx, volume);
    return { name: dockerVolumeName(ctx, volume, perReplica ? "<ordinal>" : undefined), driver: "local" };
}

/**
 * What a service takes from this machine, as this machine has it: every bind
 * mount's host path exists (Docker would make an empty folder owned by root
 * for a missing one: a typo would pass unseen), and the engine is local when
 * anything is mounted from here (bind mounts, and the files of a service with
 * a read-only root, mounted from berth's cache).
 */
function hostPathProblems(name: string, binds: readonly BindMountSpec[], filesFromHost: boolean, settings: DockerSettings | undefined): string[] {
    const problems: string[] = [];
    binds.forEach((m, i) => {
        const abs = sourcePath(m.hostPath);
        if (!fs.existsSync(abs)) {
            problems.push(`app.services.${name}.bindMounts[${i}].hostPath: no such file or folder: ${abs} (a host path is relative to the program's folder, ${process.cwd()}); create it, or fix the path`);
        }
    });
    const engine = settings?.host ?? process.env.DOCKER_HOST;
    if (!localEngine(settings?.host)) {
        const where = settings?.host ? "berth:docker.host" : "DOCKER_HOST";
        if (binds.length > 0) {
            problems.push(`app.services.${name}.bindMounts: the Docker engine is not on this machine (${where} is ${engine}), so it cannot mount this machine's folders; use a volume, or files for config files`);
        }
        if (filesFromHost) {
            problems.push(
                `app.services.${name}.files: with security.readOnlyRootFilesystem the engine refuses uploads, so berth bind-mounts the files from this machine, and the Docker engine is not on it (${where} is ${engine}); drop readOnlyRootFilesystem for this stack's engine, or deploy from the engine's machine`,
            );
        }
    }
    return problems;
}

/**
 * What the Docker target cannot do with berth's checker (checker.ts): run
 * any http or tcp check (or a published port's load balancer check) without
 * the static binary on this machine; place it in a read-only root filesystem
 * of a container on an engine elsewhere (neither an upload nor a bind mount of
 * this machine's file reaches it).
 */
function checkerRefusals(serviceNames: string[], field: RefusalInput<DockerSettings>["field"], settings: DockerSettings | undefined): string[] {
    const needs: string[] = [];
    const problems: string[] = [];
    const local = localEngine(settings?.host);
    for (const name of serviceNames) {
        const health = field(name, "health");
        const check = health && dockerCheck(health);
        const kind = health && (["readiness", "startup", "liveness"] as const).find((k) => health[k] === check);
        if (usesChecker(check)) {
            const key = `app.services.${name}.health.${kind}`;
            needs.push(key);
            if (!local && field(name, "security")?.readOnlyRootFilesystem) {
                problems.push(
                    `${key}: an ${check!.http ? "http" : "tcp"} check on Docker runs berth's checker inside the container, and with app.services.${name}.security.readOnlyRootFilesystem true it can only be bind-mounted from the engine's host, which is not this machine (${settings?.host ?? process.env.DOCKER_HOST}); use a command check that the image can run, set readOnlyRootFilesystem to false, or deploy to a local engine`,
                );
            }
        }
        const p = (field(name, "ports") ?? []).findIndex((x) => x.publish !== undefined);
        if (p >= 0) needs.push(`app.services.${name}.ports[${p}].publish`);
    }
    const missing = needs.length ? checkerBinaryProblem() : undefined;
    if (missing) {
        problems.push(
            ...needs.map(
                (key) =>
                    `${key}: ${key.endsWith(".publish") ? "the load balancer's tcp check" : "an http or tcp check"} on Docker runs berth's checker, a static busybox copied into the container from this machine, but ${missing}; run npm run setup (it installs Debian's busybox-static), set BERTH_CHECKER_BINARY to a static busybox, or use a command check that the image can run`,
            ),
        );
    }
    return problems;
}

export const dockerDriver = defineDriver({
    kind: "docker",
    settings: dockerSettings,
    refuse: ({ serviceNames, field, settings }) => [
        ...serviceNames.flatMap((name) => [
            ...(field(name, "ports") ?? []).flatMap((p, i) =>
                p.protocol === "udp" && p.publish !== undefined
                    ? [
                          `app.services.${name}.ports[${i}]: a published UDP port cannot be honoured on Docker: berth publishes through a generated HAProxy load balancer, which proxies TCP only; publish a TCP port, or leave this one unpublished (peers still reach ${name}:${p.port}/udp)`,
                      ]
                    : [],
            ),
            ...hostPathProblems(name, field(name, "bindMounts") ?? [], (field(name, "files") ?? []).length > 0 && field(name, "security")?.readOnlyRootFilesystem === true, settings),
            // A file secret is uploaded into the container before it starts, which the engine
            // refuses on a read-only root; a bind mount would put the value in plain text on a
            // disk of this machine, so it is refused instead of failing at create.
            ...(field(name, "security")?.readOnlyRootFilesystem === true
                ? Object.entries(field(name, "secrets") ?? {}).flatMap(([secret, s]) =>
                      s.as === "file"
                          ? [
                                `app.services.${name}.secrets${keyStep(secret)}: a file secret is uploaded into the container, which the Docker engine refuses with app.services.${name}.security.readOnlyRootFilesystem true; give it as: "env" on this stack, or set readOnlyRootFilesystem to false (Kubernetes mounts it from a Secret either way)`,
                            ]
                          : [],
                  )
                : []),
        ]),
        ...checkerRefusals(serviceNames, field, settings),
    ],
    volumeIdentity,
    exposure: (settings) => settings.publishAddress,
    claims(ctx) {
        const engine = `Docker engine ${ctx.settings.host ?? "(local)"}`;
        const prefix = namePrefix(ctx);
        const used = new Set(Object.values(ctx.services).flatMap((s) => s.networks));
        return [
            ...Object.keys(ctx.volumes).map((v) => `${engine}: volume ${volumeIdentity(ctx, v).name}`),
            ...[...used].map((n) => `${engine}: network ${prefix}-${n}`),
            ...Object.values(ctx.services)
                .filter((s) => s.build)
                .map((s) => `${engine}: image ${prefix}-${s.name}`),
            ...Object.values(ctx.services).flatMap((s) =>
                s.ports.filter((p) => p.publish !== undefined).map((p) => `${engine}: published port ${p.publish}/${p.protocol}`),
            ),
        ];
    },
    deploy,
});
