/**
 * The app description: the single source of truth for what every field means.
 * TypeScript types are inferred from these zod schemas. Each field says whether
 * it is portable (same meaning on Docker and Kubernetes) or target-specific.
 */
import * as path from "path";
import { z } from "zod";
import { SPLIT_RULES, splitWords } from "./shellwords";

/**
 * An environment variable's name (env, secrets, and a stack's env overrides):
 * a letter or `_`, then letters, digits, `_`, `.` and `-` (Compose takes
 * `discovery.type`; Docker takes any name without `=`; Kubernetes any that
 * fits [-._a-zA-Z][-._a-zA-Z0-9]*, so these mean the same on both). Such a
 * name is not a shell variable: a shell in the container does not expand it.
 * (`__proto__` fits the pattern; validate.ts refuses it as a key anywhere.)
 */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const envName = z.string().regex(ENV_NAME, "an env var name: a letter or '_', then letters, digits, '_', '.' or '-' (such as DB_HOST or discovery.type)");

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An issue after which the value still has the declared shape: a refused
 * record key (its entry is left out), an unknown object key, or a failed
 * check on a value of the right type (a range, a pattern).
 */
const leavesTyped = (i: { code: string; continue?: boolean }) => i.continue === true || i.code === "invalid_key";
/** Cross-field checks run while every problem so far leaves the value typed, so that one round reports them all. */
export const typedSoFar = { when: (p: { issues: { code: string; continue?: boolean }[] }) => p.issues.every(leavesTyped) };

/**
 * Parses `input` and keeps every issue, as safeParse does, and also the value
 * whenever the issues leave it typed (see leavesTyped): checks that span
 * fields, or the app and the stack, run on it in the same round.
 */
export function parseAll<S extends z.ZodType>(schema: S, input: unknown): { data?: z.output<S>; issues: z.core.$ZodIssue[] } {
    const ctx = { async: false } as const;
    const r = schema._zod.run({ value: input, issues: [] }, ctx) as z.core.ParsePayload<z.output<S>>;
    return {
        data: r.issues.every(leavesTyped) ? r.value : undefined,
        issues: r.issues.map((i) => z.core.util.finalizeIssue(i, ctx, z.core.config())),
    };
}

/**
 * A name in the app (a service, network or volume): a DNS-1123 label, which
 * both Docker aliases and Kubernetes names accept, at most 32 characters so
 * that the names targets make from it (`<project>-<stack>-<volume>`,
 * `<volume>-<service>-<ordinal>`) stay within their limits.
 */
export const dnsName = z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/, "a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 32 characters");

const port = z.int().min(1, "a port from 1 to 65535").max(65535, "a port from 1 to 65535");

/** Kubernetes-style quantities, e.g. "250m", "0.5" (cpu) or "256Mi", "1Gi" (memory, size). */
const cpuQuantity = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'a cpu quantity such as "250m" or "0.5"');
const bytesQuantity = z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, 'a size such as "256Mi" or "10Gi"');

/**
 * An image reference: [registry[:port]/]path[:tag][@sha256:digest], lowercase path.
 */
export const imageRef = z
    .string()
    .regex(
        /^(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
        'an image reference such as "postgres:16", "registry.example.com/team/app:1.2" or "app@sha256:<64 hex>"',
    );

/**
 * Portable. A health check: exactly one of http, tcp or command. None of them
 * needs a shell or any tool in the image (components/checker.ts). Docker: an
 * http or tcp check runs berth's checker (a static busybox from Debian's
 * busybox-static, uploaded into the container at /.berth/busybox, or bind-mounted
 * there read-only when the root filesystem is read-only) in exec form.
 * Kubernetes: httpGet and tcpSocket probes, run by the kubelet.
 */
export const checkSchema = z
    .strictObject({
        /**
         * GET this path on this container port; healthy on a 2xx/3xx answer. The
         * path is sent as written (`'`, `%`, `$` included). Docker: busybox wget
         * on http://127.0.0.1:<port><path>, which follows a redirect and is
         * healthy when it ends in a 2xx. Kubernetes: an httpGet probe (200-399).
         */
        http: z
            .strictObject({
                path: z.string().regex(/^\/[^\s\x00-\x1f\x7f]*$/, 'a path starting with "/" with no spaces or control characters (encode them: %20)'),
                port,
            })
            .optional(),
        /** Healthy when this container port accepts a TCP connection (Docker: busybox nc to 127.0.0.1; Kubernetes: a tcpSocket probe). */
        tcp: z.strictObject({ port }).optional(),
        /** Healthy when this command exits 0 inside the container: the image's own command, run as written with no shell (Docker: CMD exec form; Kubernetes: an exec probe). */
        command: z.array(z.string()).min(1, "a command with at least one word").optional(),
        /** Seconds between checks. @default 10 */
        intervalSeconds: z.int().min(1).max(3600).default(10),
        /** Seconds before one check counts as failed. @default 5 */
        timeoutSeconds: z.int().min(1).max(3600).default(5),
        /** Failed checks in a row before the container counts as failing. @default 3 */
        retries: z.int().min(1).max(100).default(3),
        /** Seconds after start during which failures do not count. @default 0 */
        startPeriodSeconds: z.int().min(0).max(3600).default(0),
    })
    .refine((c) => [c.http, c.tcp, c.command].filter((x) => x !== undefined).length === 1, {
        message: "exactly one of http, tcp or command",
        ...typedSoFar,
    });
export type Check = z.infer<typeof checkSchema>;

/** Portable. A port the service listens on. */
export const portSchema = z.strictObject({
    /**
     * The container port, reachable by other services at `<service>:<port>`
     * (and `<alias>:<port>`), published or not (Docker: network aliases;
     * Kubernetes: the ClusterIP Service `<service>`, at this port).
     */
    port,
    /** @default "tcp" */
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
    /**
     * Publish this port outside the app on this host port (Docker: through the
     * generated load balancer, bound to the stack's publish address; Kubernetes:
     * a second Service, `<service>-published`, of the type the stack chooses,
     * that carries the published ports only, each at this port). Peers still
     * reach the container port. @default not published
     */
    publish: port.optional(),
});

/** Portable. A volume mounted into a service. */
export const mountSchema = z.strictObject({
    /** The name of a volume declared in `volumes`. */
    volume: dnsName,
    /** The absolute path inside the container. */
    path: z.string().startsWith("/", "an absolute path"),
    /** @default false */
    readOnly: z.boolean().default(false),
});

/**
 * The most a service's `files` may hold together: 1 MiB (1048576 bytes), a
 * Kubernetes ConfigMap's limit (one ConfigMap holds a service's files). The
 * same on Docker, so that a spec valid on one target is valid on the other.
 */
export const FILES_MAX_BYTES = 1024 * 1024;

/** An absolute, normalized path in a container (no `.` or `..` step, no trailing `/`, not `/` itself). */
const containerFilePath = z
    .string()
    .startsWith("/", "an absolute path")
    .refine((p) => p.length > 1 && path.posix.normalize(p) === p && !p.endsWith("/"), {
        message: 'an absolute file path with no "." or ".." step and no trailing "/", e.g. "/etc/nginx/nginx.conf"',
        ...typedSoFar,
    });

/**
 * Portable. A file placed in the container: from a file of the repository
 * (`source`, relative to the program's folder, read at every deploy) or
 * inline (`content`). A change of the content (or of the mode) replaces the
 * containers (Docker) or rolls the pods (Kubernetes). Works with
 * security.readOnlyRootFilesystem.
 *
 * Docker: uploaded into each container (docker.Container `uploads`) before it
 * starts. With a read-only root filesystem, where the engine refuses uploads,
 * it is written to berth's cache on this machine
 * (`~/.cache/berth/files/<sha256 of mode and content>/<name>`) and
 * bind-mounted read-only, so the engine must be local (berth:docker.host
 * unset or unix://). Kubernetes: one ConfigMap per service,
 * `<service>-files-<hash of paths, modes and contents>`, each file mounted
 * alone with subPath (the rest of its folder stays the image's), read-only;
 * a new content is a new ConfigMap, which changes the pod template, so the
 * pods roll.
 *
 * An uploaded file is writable by the container (a copy: what it writes is
 * lost when the container is replaced); a mounted one (Kubernetes, or Docker
 * under a read-only root) is read-only.
 *
 * All of a service's files together hold at most 1 MiB (FILES_MAX_BYTES).
 */
export const fileSchema = z
    .strictObject({
        /** The absolute path of the file in the container. */
        path: containerFilePath,
        /** A file of the repository, relative to the program's folder (where `pulumi` runs); read at every deploy. */
        source: z.string().min(1, "a file path relative to the program's folder").optional(),
        /** The file's content, inline (UTF-8). */
        content: z.string().optional(),
        /** The file's permission bits, e.g. 0o644 or 0o755. @default 0o644 */
        mode: z.int().min(0, "permission bits from 0o000 to 0o777").max(0o777, "permission bits from 0o000 to 0o777").default(0o644),
    })
    .refine((f) => (f.source === undefined) !== (f.content === undefined), { message: "give exactly one of source (a repository file) or content (inline)", ...typedSoFar });
export type FileSpec = z.infer<typeof fileSchema>;

/**
 * Docker only. A folder or file of this machine mounted into the container
 * (Compose's bind mount): `hostPath` is relative to the program's folder (or
 * absolute) and must exist when the stack deploys (Docker would otherwise
 * create an empty folder owned by root). Kubernetes refuses it: a pod runs
 * on a node, which does not have the folder; use a volume for data, or
 * `files` for config files.
 */
export const bindMountSchema = z.strictObject({
    /** The folder or file on this machine: relative to the program's folder, or absolute. */
    hostPath: z.string().min(1, "a folder or file path"),
    /** The absolute path inside the container. */
    path: z.string().startsWith("/", "an absolute path"),
    /** @default false */
    readOnly: z.boolean().default(false),
    /**
     * Mounting the Docker API socket (a `docker.sock`, or a folder that holds
     * one such as /var/run) gives the container root on the host: refused on
     * every target unless this is true. @default false
     */
    allowDockerSocket: z.boolean().default(false),
});
export type BindMountSpec = z.infer<typeof bindMountSchema>;

/** Whether a host path is, or holds, the Docker API socket (/var/run/docker.sock, /run/docker.sock, any docker.sock). */
export function isDockerSocketPath(hostPath: string): boolean {
    const p = path.posix.normalize(hostPath.replace(/\\/g, "/")).replace(/\/+$/, "") || "/";
    if (path.posix.basename(p) === "docker.sock") return true;
    return ["/var/run/docker.sock", "/run/docker.sock"].some((sock) => p === "/" || sock.startsWith(`${p}/`));
}

/** Portable. A secret value from Pulumi secret config, given to the container. */
export const secretSchema = z.strictObject({
    /** The stack config key (in the `berth` namespace) that holds the value; it must be set with --secret. */
    config: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, "a config key name such as dbPassword"),
    /** Given as an environment variable of the secret's name, or as a file. @default "env" */
    as: z.enum(["env", "file"]).default("env"),
    /** For `as: file`: the absolute path of the file. @default /run/secrets/<name> */
    path: z.string().startsWith("/", "an absolute path").optional(),
});

const stabilizationRange = "whole seconds from 0 to 3600 (the most Kubernetes accepts for an HPA's stabilization window), e.g. 300";

/** Portable. Replicas grow and shrink with load. */
export const scalingSchema = z
    .strictObject({
        /** Fewest replicas; Docker, which has no autoscaler, runs this many. */
        min: z.int().min(1, "at least 1"),
        /** Most replicas (Kubernetes). */
        max: z.int().min(1, "at least 1"),
        /** Target average cpu utilisation, percent of the request. */
        cpuPercent: z.int().min(1).max(100).optional(),
        /** Target average memory utilisation, percent of the request. */
        memoryPercent: z.int().min(1).max(100).optional(),
        /**
         * The scale-down stabilization window, in seconds: replicas go down only
         * to the highest count the autoscaler wanted over this many past seconds,
         * so a short dip in load does not remove pods that a rise would need again
         * (Kubernetes: the HPA's behavior.scaleDown.stabilizationWindowSeconds;
         * Docker has no autoscaler and runs `min`, so it is unused there). 0 scales
         * down as soon as the load falls. Whole seconds from 0 to 3600 (Kubernetes'
         * limit). @default 300 (Kubernetes' own default)
         */
        scaleDownStabilizationSeconds: z
            .int({ error: stabilizationRange })
            .min(0, stabilizationRange)
            .max(3600, stabilizationRange)
            .default(300),
        /** At most this many pods added per minute. @default 4 */
        scaleUpPodsPerMinute: z.int().min(1).default(4),
    })
    .refine((s) => s.min <= s.max, { message: "min must not exceed max", path: ["min"], ...typedSoFar })
    .refine((s) => s.cpuPercent !== undefined || s.memoryPercent !== undefined, {
        message: "give cpuPercent or memoryPercent (or both)",
        ...typedSoFar,
    });

/**
 * A command line: a list of words, or one string split into words as Compose
 * splits a string `command` or `entrypoint` (shellwords.ts: quotes and `\`
 * group words, nothing is expanded, no shell runs it). The value is always the
 * list of words.
 */
const commandLine = z.preprocess(
    (v, ctx) => {
        if (typeof v !== "string") return v;
        const r = splitWords(v);
        if ("words" in r) return r.words;
        ctx.issues.push({ code: "custom", message: `${r.error}; ${SPLIT_RULES}`, input: v });
        return v;
    },
    z.array(z.string(), {
        error: (iss) => (iss.code === "invalid_type" ? 'a list of words such as ["npm", "start"], or one string that is split into words as Compose splits it ("npm start")' : undefined),
    }),
) as unknown as z.ZodType<string[], string | string[]>;

const capabilityName = z.string().regex(/^[A-Z_]+$/, "a capability name such as NET_BIND_SERVICE");

/** Docker's default capability set (moby's oci/caps defaults), which baseCapabilities "default" starts from. */
export const DOCKER_DEFAULT_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
] as const;

const RESTART_ACCEPTED = 'one of "always", "unless-stopped", "on-failure", "on-failure:N" (restarted at most N times, N from 1), "no" or "never"';
/** Restart policies (see serviceSchema.restart); "never" is the older name of Compose's "no". */
export const restartPolicy = z
    .union([z.enum(["always", "on-failure", "never", "no", "unless-stopped"]), z.templateLiteral(["on-failure:", z.int()])], { error: RESTART_ACCEPTED })
    .refine((r) => !/^on-failure:(-|0+$)/.test(r), { message: RESTART_ACCEPTED });
export type RestartPolicy = z.infer<typeof restartPolicy>;
/** A policy's name and its most restarts: "on-failure:3" is on-failure with at most 3. */
export function restartLimit(r: RestartPolicy): { policy: "always" | "on-failure" | "never" | "no" | "unless-stopped"; maxRetries?: number } {
    const m = /^on-failure:(\d+)$/.exec(r);
    return m ? { policy: "on-failure", maxRetries: Number(m[1]) } : { policy: r as "always" };
}
/** The restart policies a Kubernetes Deployment or StatefulSet can honour: its pods' restartPolicy is always Always. */
export const KUBERNETES_RESTART = ["always", "unless-stopped"] as const;

/** The prefix of the labels berth sets itself (Docker labels, Kubernetes labels): a service's own labels may not use it. */
export const BERTH_LABEL_PREFIX = "berth.dev/";
/** A label's key (Compose's `labels`): any text without spaces, control characters or `=`, not under berth.dev/. */
export const labelKey = z
    .string()
    .regex(/^[^\s=\x00-\x1f\x7f]+$/, 'a label key such as "com.example.team" or "example.com/owner": no spaces, control characters or "="')
    .refine((k) => !k.startsWith(BERTH_LABEL_PREFIX), `keys under ${BERTH_LABEL_PREFIX} are berth's own (it sets berth.dev/project, berth.dev/service, ...): use your own prefix, such as "com.example/"`);
/**
 * Whether Kubernetes takes `key` as an annotation's key: a name of at most 63
 * characters (letters, digits, '-', '_', '.', starting and ending with a
 * letter or digit), after an optional DNS subdomain prefix and '/'.
 */
/**
 * One step of a key path as messages print it: `.name` for a plain name, else
 * the key quoted (`["discovery.type"]`, `["a\\nb"]`), so that a dot cannot read
 * as nesting and a newline cannot break the one-problem-per-line list.
 */
export const keyStep = (k: string | number) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

export function isAnnotationKey(key: string): boolean {
    const slash = key.lastIndexOf("/");
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    if (prefix !== undefined && !(prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix))) return false;
    return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

/** A service's user as numeric ids (security.user or runAsUser), or the part that is a name. */
export function numericUser(sec: { user?: string; runAsUser?: number }): { uid?: number; gid?: number; name?: string } {
    if (sec.user === undefined) return { uid: sec.runAsUser };
    const [u, g] = sec.user.split(":");
    const name = [u, g].find((x) => x !== undefined && !/^\d+$/.test(x));
    return name !== undefined ? { name } : { uid: Number(u), gid: g === undefined ? undefined : Number(g) };
}

export const resourcesSchema = z.strictObject({
    cpu: z.strictObject({ request: cpuQuantity.optional(), limit: cpuQuantity.optional() }).optional(),
    memory: z.strictObject({ request: bytesQuantity.optional(), limit: bytesQuantity.optional() }).optional(),
});

export const serviceSchema = z
    .strictObject({
        /** Portable. An image reference; give this or `build`. */
        image: imageRef.optional(),
        /**
         * Portable. Build the image from a Dockerfile in this folder (relative to
         * the program). Docker: a docker.Image on the engine; Kubernetes: built
         * on the local engine and pushed to the stack's registry. Either way the
         * tag is the content hash of the context (with `target` and `args`).
         */
        build: z
            .strictObject({
                context: z.string().min(1),
                /** The Dockerfile, relative to the context. @default "Dockerfile" */
                dockerfile: z.string().optional(),
                /** The Dockerfile stage to build (Compose's build.target; `docker build --target`), on both targets. @default the last stage */
                target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a Dockerfile stage name such as \"prod\" (the name after AS in its FROM line)").optional(),
                /** Build arguments by name (Compose's build.args; `docker build --build-arg`), on both targets: the Dockerfile's ARGs. Not secret: they are kept in the image's history and berth's state. @default {} */
                args: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a build argument name (letters, digits and _, as the Dockerfile's ARG names it)"), z.string()).optional(),
            })
            .optional(),
        /**
         * Portable. Replaces the image's entrypoint (Compose's `entrypoint`;
         * Kubernetes' `command`). A list of words, or one string split into
         * words as Compose splits it, with no shell (see splitWords).
         * @default the image's entrypoint
         */
        command: commandLine.optional(),
        /**
         * Portable. Replaces the image's cmd (Compose's `command`; Kubernetes'
         * `args`). A list of words, or one string split into words as Compose
         * splits it, with no shell (see splitWords).
         * @default the image's cmd
         */
        args: commandLine.optional(),
        /** Portable. */
        workingDir: z.string().startsWith("/", "an absolute path").optional(),
        /** Portable. Plain environment variables (never secrets). @default {} */
        env: z.record(envName, z.string()).default({}),
        /** Portable. Secret values by env var / file name. @default {} */
        secrets: z.record(envName, secretSchema).default({}),
        /** Portable. @default [] */
        ports: z.array(portSchema).default([]),
        /** Portable. Readiness gates traffic and dependents; liveness restarts (Kubernetes only, see README); startup delays both. */
        health: z
            .strictObject({ readiness: checkSchema.optional(), liveness: checkSchema.optional(), startup: checkSchema.optional() })
            .default({}),
        /**
         * Portable. Start only after these services have started, or are healthy.
         * "healthy" needs the dependency's health.readiness and a TCP port.
         * Docker: the dependent's containers are created once the dependency's
         * are healthy (its healthcheck). Kubernetes: an init container of berth's
         * checker image (not the dependent's: it needs no shell) waits at every
         * start until a TCP connection to the dependency's Service opens, on the
         * readiness check's port (else its first TCP port); the image is pushed to
         * berth:kubernetes.registry, which "healthy" therefore needs. @default {}
         */
        dependsOn: z.record(dnsName, z.enum(["started", "healthy"])).default({}),
        /** Portable. Replicas when no scaling rule is given. @default 1 */
        replicas: z.int().min(0, "0 or more").max(100, "at most 100").default(1),
        /**
         * What happens when the container exits, as in Compose: "no" (never
         * restarted; "never" is the same), "always", "on-failure" (restarted
         * when it exits non-zero), "on-failure:N" (so, at most N times: Compose's
         * on-failure:N) or "unless-stopped" (as "always", except a container
         * stopped by hand stays stopped when the engine restarts).
         * Docker: the container's restart policy (on-failure:N: policy
         * on-failure with maximum retry count N). Kubernetes: a Deployment or
         * StatefulSet restarts its pods always (restartPolicy Always), so
         * "always" and "unless-stopped" (a workload is stopped there by scaling
         * it to 0, and it stays so) run as they read; "no", "never",
         * "on-failure" and "on-failure:N" are refused for a Kubernetes stack (a
         * stack may set its own: berth:services.<name>.restart). A stack can
         * override it.
         * @default "always" (Compose's default is "no": write it to run as Compose does)
         */
        restart: restartPolicy.default("always"),
        /**
         * Portable. Metadata for tools that read it (Compose's `labels`: a
         * reverse proxy's routing rules, a backup tool's schedule), as text
         * by key. Docker: the labels of the service's containers (beside
         * berth's own). Kubernetes: annotations of the Deployment or
         * StatefulSet and of its pod template (never labels: the selector and
         * berth's labels stay its own); a key Kubernetes does not take as an
         * annotation's (a name of at most 63 characters after an optional DNS
         * prefix and "/") is refused there. Keys under berth.dev/ are berth's
         * and refused. Changing one replaces the containers (Docker) or rolls
         * the pods (Kubernetes). @default {}
         */
        labels: z.record(labelKey, z.string()).default({}),
        /** Portable. */
        resources: resourcesSchema.optional(),
        /** Kubernetes only. Rolling update bounds; Docker always starts new replicas before stopping old ones. */
        rollingUpdate: z
            .strictObject({ maxSurge: z.union([z.int().min(0), z.string().regex(/^\d+%$/)]), maxUnavailable: z.union([z.int().min(0), z.string().regex(/^\d+%$/)]) })
            .refine((r) => !(parseInt(String(r.maxSurge), 10) === 0 && parseInt(String(r.maxUnavailable), 10) === 0), {
                message: "maxSurge and maxUnavailable cannot both be 0 (no pod could be added or removed, so the rollout could never proceed); give one of them at least 1",
                path: ["maxUnavailable"],
                ...typedSoFar,
            })
            .optional(),
        /** Portable (Docker runs `min`). */
        scaling: scalingSchema.optional(),
        /** Portable. Networks the service joins. @default ["default"] */
        networks: z.array(dnsName).default(["default"]),
        /**
         * Portable. More names other services reach this one by, besides its
         * own (Compose's `networks.<net>.aliases`, or a `container_name` that
         * peers use as a host name). DNS labels, none the name of a service or
         * another's alias. Docker: network aliases on every network the
         * service joins. Kubernetes: a ClusterIP Service per alias, selecting
         * the same pods on the same ports (so `<alias>:<port>` answers as
         * `<service>:<port>` does, and the same NetworkPolicies apply); a
         * service with aliases needs ports there (a Service forwards ports).
         * @default []
         */
        aliases: z.array(dnsName).default([]),
        /** Portable. */
        volumes: z.array(mountSchema).default([]),
        /** Portable. Files placed in the container (see fileSchema). @default [] */
        files: z.array(fileSchema).default([]),
        /** Docker only. Folders or files of this machine mounted into the container (see bindMountSchema); refused on Kubernetes. @default [] */
        bindMounts: z.array(bindMountSchema).default([]),
        /** Portable security settings; the defaults are the safe ones. */
        security: z
            .strictObject({
                /** @default false */
                readOnlyRootFilesystem: z.boolean().default(false),
                /** Run as this uid (the image must allow it); or give `user`. @default the image's user */
                runAsUser: z.int().min(0).optional(),
                /**
                 * Run as this user, as Compose's `user` reads: a user name or a
                 * uid, optionally with `:` and a group name or gid ("postgres",
                 * "1000", "1000:1000", "www-data:www-data"); or give `runAsUser`.
                 * Docker: the container's user (the engine looks a name up in the
                 * image's /etc/passwd). Kubernetes: a numeric uid is runAsUser and a
                 * gid runAsGroup; a name is refused there (a pod's securityContext
                 * takes numbers only): give the uid (and gid) the image's name has.
                 * @default the image's user
                 */
                user: z
                    .string()
                    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, 'a user as Compose writes it: a name or uid, optionally ":" and a group name or gid, e.g. "postgres", "1000" or "1000:1000"')
                    .optional(),
                /**
                 * The capabilities the container starts from. "none": every
                 * capability is dropped and only `capabilities` are kept (the
                 * safe default). "default": Docker's default set of 14
                 * (DOCKER_DEFAULT_CAPABILITIES: AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
                 * FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, NET_RAW, SETFCAP,
                 * SETGID, SETPCAP, SETUID, SYS_CHROOT), as Compose runs a service
                 * that has no cap_drop; `capabilities` are added to it and
                 * `dropCapabilities` removed (Compose's cap_add and cap_drop).
                 * Docker: the engine's default set, with those adds and drops.
                 * Kubernetes: all dropped and the same 14 (with the adds, without
                 * the drops) added by name, so that the runtime's own default set
                 * (containerd's and CRI-O's differ) does not decide. Either way the
                 * container never gains privileges (no-new-privileges,
                 * allowPrivilegeEscalation false) and never runs privileged.
                 * @default "none"
                 */
                baseCapabilities: z.enum(["none", "default"]).default("none"),
                /** Capabilities to keep (with baseCapabilities "none") or to add (with "default"). @default [] */
                capabilities: z.array(capabilityName).default([]),
                /** With baseCapabilities "default": capabilities removed from Docker's default set (Compose's cap_drop). @default [] */
                dropCapabilities: z.array(capabilityName).default([]),
            })
            .refine((s) => s.user === undefined || s.runAsUser === undefined, {
                message: "give security.user or security.runAsUser, not both (user: \"<uid>:<gid>\" says both ids)",
                path: ["runAsUser"],
                ...typedSoFar,
            })
            .refine((s) => s.dropCapabilities.length === 0 || s.baseCapabilities === "default", {
                message: 'dropCapabilities goes with baseCapabilities: "default" (with "none", the default, every capability is dropped already and only security.capabilities are kept)',
                path: ["dropCapabilities"],
                ...typedSoFar,
            })
            .default({ readOnlyRootFilesystem: false, baseCapabilities: "none", capabilities: [], dropCapabilities: [] }),
    })
    // These read fields that are present in any object, so they run even when another field is refused.
    .refine((s) => (s.image === undefined) !== (s.build === undefined), {
        message: "give exactly one of image or build",
        when: (p) => isRecord(p.value),
    })
    .refine((s) => s.scaling === undefined || s.replicas === 1, {
        message: "replicas and scaling are exclusive: with scaling, give min and max instead",
        path: ["replicas"],
        when: (p) => isRecord(p.value),
    });
export type ServiceSpec = z.infer<typeof serviceSchema>;

export const networkSchema = z.strictObject({
    /** Portable. No traffic to or from outside the app. @default false */
    internal: z.boolean().default(false),
});
export type NetworkSpec = z.infer<typeof networkSchema>;

export const volumeSchema = z.strictObject({
    /** Portable (Kubernetes: the PVC's request; Docker: informational). @default "1Gi" */
    size: bytesQuantity.default("1Gi"),
    /** Kubernetes: the PVC access mode. @default "ReadWriteOnce" */
    access: z.enum(["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]).default("ReadWriteOnce"),
    /** Portable. Keep the data when the stack is destroyed; the next up adopts it. @default true */
    retain: z.boolean().default(true),
    /** Portable. Allow a change that replaces the volume and so loses its data. @default false */
    allowDataLoss: z.boolean().default(false),
    /**
     * Portable. Each replica of the one service that mounts it gets its own
     * copy (Kubernetes: the service becomes a StatefulSet with a volume claim
     * template, claims `<volume>-<service>-<ordinal>`; Docker: one volume per
     * replica, `<project>-<stack>-<volume>-<ordinal>`). Without it, a volume is
     * one data directory, which a service with more than one replica may mount
     * only with access ReadWriteMany. @default false
     */
    perReplica: z.boolean().default(false),
});
export type VolumeSpec = z.infer<typeof volumeSchema>;

const networksSchema = z.record(dnsName, networkSchema).default({});
const volumesSchema = z.record(dnsName, volumeSchema).default({});

/**
 * A service's field as its schema reads it, or undefined when it has the wrong
 * type (its own issue says so): cross-field checks read only typed fields.
 */
export function typedField<K extends keyof typeof serviceSchema.shape>(svc: unknown, key: K): z.output<(typeof serviceSchema.shape)[K]> | undefined {
    return parseAll(serviceSchema.shape[key], isRecord(svc) ? svc[key] : undefined).data as z.output<(typeof serviceSchema.shape)[K]> | undefined;
}
export const isDnsName = (n: unknown) => dnsName.safeParse(n).success;

/**
 * `record[key]` when the record itself has that key: a name such as
 * `constructor` or `toString` is a valid service, volume or env name, and must
 * never find what every JavaScript object inherits.
 */
export const own = <T>(record: Record<string, T> | undefined, key: string): T | undefined =>
    record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

/** Rules that span fields: every name a service uses must be declared, and start order must be a DAG. */
export const appSchema = z
    .strictObject({
        services: z.record(dnsName, serviceSchema).refine((s) => Object.keys(s).length > 0, { message: "at least one service", ...typedSoFar }),
        /** A network named "default" exists even when not declared. */
        networks: networksSchema,
        volumes: volumesSchema,
    })
    // Runs even when some fields are refused (a name, an option), on the fields
    // that are typed, so that one round reports every problem; a reference to a
    // name that is itself refused is not reported again as undeclared.
    .superRefine(
        (app, ctx) => {
            const services = app.services as Record<string, unknown>;
            const declaredNetworks = parseAll(networksSchema, app.networks).data;
            const declaredVolumes = parseAll(volumesSchema, app.volumes).data;
            const networks = new Set(["default", ...Object.keys(declaredNetworks ?? {})]);
            const published = new Map<number, string>();
            const field = <K extends keyof typeof serviceSchema.shape>(name: string, key: K) => typedField(services[name], key);
            for (const name of Object.keys(services)) {
                field(name, "networks")?.forEach((n, i) => {
                    if (declaredNetworks && isDnsName(n) && !networks.has(n)) {
                        ctx.addIssue({ code: "custom", path: ["services", name, "networks", i], message: `network "${n}" is not declared in networks (declared: ${[...networks].join(", ")})` });
                    }
                });
                field(name, "volumes")?.forEach((m, i) => {
                    if (!declaredVolumes || !isDnsName(m.volume)) return;
                    if (!Object.hasOwn(declaredVolumes, m.volume)) {
                        ctx.addIssue({ code: "custom", path: ["services", name, "volumes", i, "volume"], message: `volume "${m.volume}" is not declared in volumes (declared: ${Object.keys(declaredVolumes).join(", ") || "none"})` });
                    } else if (declaredVolumes[m.volume].perReplica) {
                        const other = Object.keys(services).find((o) => o !== name && field(o, "volumes")?.some((x) => x.volume === m.volume));
                        if (other && other < name) {
                            ctx.addIssue({ code: "custom", path: ["services", name, "volumes", i, "volume"], message: `volume "${m.volume}" is perReplica and already mounted by service "${other}": a per-replica volume belongs to one service (volumes.${m.volume}.perReplica)` });
                        }
                    }
                });
                field(name, "aliases")?.forEach((a, i) => {
                    const at = ["services", name, "aliases", i];
                    if (Object.hasOwn(services, a)) ctx.addIssue({ code: "custom", path: at, message: `"${a}" is the name of service ${a}${a === name ? " itself" : ""}: an alias must be a name no service has` });
                    const other = Object.keys(services).find((o) => (o < name || (o === name && field(o, "aliases")!.indexOf(a) < i)) && field(o, "aliases")?.includes(a));
                    if (other) ctx.addIssue({ code: "custom", path: at, message: `"${a}" is already an alias of service ${other}${other === name ? " (listed twice)" : ""}: a name reaches one service` });
                });
                const dependsOn = field(name, "dependsOn") ?? {};
                for (const dep of Object.keys(dependsOn)) {
                    if (!Object.hasOwn(services, dep)) {
                        ctx.addIssue({ code: "custom", path: ["services", name, "dependsOn", dep], message: `unknown service "${dep}" (services: ${Object.keys(services).join(", ")})` });
                    } else if (dependsOn[dep] === "healthy") {
                        const health = field(dep, "health");
                        const ports = field(dep, "ports");
                        if (health && !health.readiness) {
                            ctx.addIssue({ code: "custom", path: ["services", name, "dependsOn", dep], message: `"healthy" needs services.${dep}.health.readiness; give one, or use "started"` });
                        } else if (health && ports && ports.length === 0) {
                            // Kubernetes waits on the dependency's Service, which routes only to ready pods.
                            ctx.addIssue({ code: "custom", path: ["services", name, "dependsOn", dep], message: `"healthy" needs services.${dep}.ports (a dependent waits until it answers there); declare one, or use "started"` });
                        } else if (health && ports && !ports.some((p) => p.protocol === "tcp")) {
                            // The wait is a TCP connection: a UDP port never answers one.
                            ctx.addIssue({ code: "custom", path: ["services", name, "dependsOn", dep], message: `"healthy" needs a TCP port in services.${dep}.ports (a dependent waits until a TCP connection opens there; ${dep} declares UDP only); declare one, or use "started"` });
                        }
                    }
                }
                const ports = field(name, "ports") ?? [];
                const seen = new Set<string>();
                ports.forEach((p, i) => {
                    const key = `${p.port}/${p.protocol}`;
                    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["services", name, "ports", i, "port"], message: `port ${key} is listed twice` });
                    seen.add(key);
                    if (p.publish !== undefined) {
                        const other = published.get(p.publish);
                        if (other) ctx.addIssue({ code: "custom", path: ["services", name, "ports", i, "publish"], message: `host port ${p.publish} is already published by service "${other}"` });
                        published.set(p.publish, name);
                    }
                });
                for (const [kind, check] of Object.entries(field(name, "health") ?? {})) {
                    const port = check?.http?.port ?? check?.tcp?.port;
                    if (port !== undefined && field(name, "ports") && !ports.some((p) => p.port === port)) {
                        ctx.addIssue({ code: "custom", path: ["services", name, "health", kind], message: `checks port ${port}, which is not in services.${name}.ports` });
                    }
                }
                // A file is placed at a path nothing else mounts: not twice, not at or
                // under a volume, a bind mount or a file secret (which would hide it, or
                // receive it: an upload into a volume would write into its data).
                const mounts: { at: string; what: string }[] = [
                    ...(field(name, "volumes") ?? []).map((m, i) => ({ at: m.path, what: `services.${name}.volumes[${i}] (volume ${m.volume})` })),
                    ...(field(name, "bindMounts") ?? []).map((m, i) => ({ at: m.path, what: `services.${name}.bindMounts[${i}]` })),
                    ...Object.entries(field(name, "secrets") ?? {})
                        .filter(([, sec]) => sec.as === "file")
                        .map(([sname, sec]) => ({ at: sec.path ?? `/run/secrets/${sname}`, what: `services.${name}.secrets.${sname}` })),
                ];
                const filePaths = new Map<string, number>();
                (field(name, "files") ?? []).forEach((f, i) => {
                    const first = filePaths.get(f.path);
                    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["services", name, "files", i, "path"], message: `${f.path} is already placed by services.${name}.files[${first}]: one file per path` });
                    else filePaths.set(f.path, i);
                    const under = mounts.find((m) => f.path === m.at || f.path.startsWith(`${m.at.replace(/\/+$/, "")}/`));
                    if (under) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["services", name, "files", i, "path"],
                            message: `${f.path} is ${f.path === under.at ? "the path" : "under the path"} ${under.at} of ${under.what}: the mount would hide the file (a volume would receive it into its data); place it elsewhere`,
                        });
                    }
                });
                (field(name, "bindMounts") ?? []).forEach((m, i) => {
                    if (isDockerSocketPath(m.hostPath) && !m.allowDockerSocket) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["services", name, "bindMounts", i, "hostPath"],
                            message: `${m.hostPath} is or holds the Docker API socket, which gives the container root on the host: refused unless services.${name}.bindMounts[${i}].allowDockerSocket is true`,
                        });
                    }
                });
                const env = field(name, "env") ?? {};
                for (const [sname, sec] of Object.entries(field(name, "secrets") ?? {})) {
                    if (sname in env) ctx.addIssue({ code: "custom", path: ["services", name, "secrets", sname], message: `"${sname}" is both in env and in secrets` });
                    if (sec.as === "env" && sec.path) ctx.addIssue({ code: "custom", path: ["services", name, "secrets", sname, "path"], message: 'path goes with as: "file" only' });
                }
            }
            // Start order must be acyclic.
            const state = new Map<string, "visiting" | "done">();
            const visit = (name: string, trail: string[]): void => {
                if (state.get(name) === "done" || !Object.hasOwn(services, name)) return;
                if (state.get(name) === "visiting") {
                    ctx.addIssue({ code: "custom", path: ["services", name, "dependsOn"], message: `dependency cycle: ${[...trail, name].join(" -> ")}` });
                    return;
                }
                state.set(name, "visiting");
                for (const dep of Object.keys(field(name, "dependsOn") ?? {})) visit(dep, [...trail, name]);
                state.set(name, "done");
            };
            for (const name of Object.keys(services)) visit(name, []);
        },
        { when: (p) => isRecord(p.value) && isRecord((p.value as { services?: unknown }).services) },
    );
export type AppSpec = z.infer<typeof appSchema>;
export type AppInput = z.input<typeof appSchema>;
