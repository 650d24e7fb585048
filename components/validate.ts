/**
 * Validation of the plain inputs, before any resource is registered: the
 * app description (`appSchema`) and the stack's `berth:*` config
 * (`stackConfigSchema`). Errors name the stack, the key path and what would
 * be accepted.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { z } from "zod";
import { DRIVERS, TargetKind, driverOf } from "./drivers";
import { fileBytes, sourcePath } from "./files";
import { AppInput, AppSpec, FILES_MAX_BYTES, FileSpec, ServiceSpec, VolumeSpec, appSchema, isDnsName, isRecord, keyStep, own, parseAll, serviceSchema, typedField, volumeSchema } from "./spec";
import { StackConfig, stackConfigSchema } from "./stack";

/** A service with the stack's overrides applied: the one place that merges them. */
export function withOverrides(svc: ServiceSpec, o: StackConfig["services"][string] = {}, images: StackConfig["images"] = {}) {
    const scaling = o.scaling ?? svc.scaling;
    const replicas = o.replicas ?? svc.replicas;
    return {
        ...svc,
        image: svc.image !== undefined ? (own(images, svc.image) ?? svc.image) : undefined,
        env: { ...svc.env, ...o.env },
        resources: o.resources ?? svc.resources,
        restart: o.restart ?? svc.restart,
        scaling,
        replicas,
        /** Replicas that run when no autoscaler decides; the most that may run is `scaling.max`. */
        fixedReplicas: scaling ? scaling.min : replicas,
    };
}

/** A volume with the stack's overrides applied. */
export function volumeWithOverrides(spec: VolumeSpec, o: StackConfig["volumes"][string] = {}): VolumeSpec {
    return { ...spec, ...o };
}

/** A RunError: the engine shows its message without a stack trace. */
/**
 * berth's errors for users: RunErrors, whose message the engine shows without
 * a stack trace. They carry no stack at all: @pulumi/pulumi formats a failed
 * program's error with util.inspect even for a RunError (a tracing event), and
 * formatting this stack took 25 to 30 seconds of a refused preview here
 * (measured: a data-safety refusal 36 s with the stack, 8.6 s without).
 */
export class BerthError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.stack = undefined;
    }
}

export class BerthInputError extends BerthError {
    constructor(
        readonly stackName: string,
        readonly problems: string[],
    ) {
        super(`berth: stack "${stackName}" has invalid input:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "BerthInputError";
    }
}

/** A top-level `berth:` key as messages print it: plain, or quoted. */
export const berthKey = (k: string) => `berth:${keyStep(k).replace(/^\./, "")}`;

function describe(prefix: string, issues: z.core.$ZodIssue[]): string[] {
    return issues.map((i) => {
        const path = i.path.map((p) => keyStep(typeof p === "number" ? p : String(p))).join("");
        // A bad record key (a service, env var or volume name) carries its reason one level down.
        const message = i.code === "invalid_key" ? `invalid name: ${i.issues.map((n) => n.message).join("; ")}` : i.message;
        return `${prefix}${path}: ${message}`;
    });
}

/** Raw `berth:*` config values, with structured values decoded from JSON. */
export function readBerthConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(all)) {
        if (!key.startsWith("berth:")) continue;
        let v: unknown = value;
        try {
            v = JSON.parse(value);
        } catch {
            // a plain string
        }
        out[key.slice("berth:".length)] = v;
    }
    return out;
}

/**
 * Keys named `__proto__` (from JSON, as stack config arrives): as a key of a
 * JavaScript object it would set the object's prototype, so the schema never
 * sees it and the entry (an env var, say) would vanish without a word.
 */
function reservedKeys(prefix: string, value: unknown, path = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => reservedKeys(prefix, v, `${path}[${i}]`));
    if (!isRecord(value)) return [];
    return Object.keys(value).flatMap((k) =>
        k === "__proto__"
            ? [`${prefix}${path}["__proto__"]: __proto__ is reserved (JavaScript would drop it as a key); use another name`]
            : reservedKeys(prefix, value[k], `${path}${keyStep(k)}`),
    );
}

export interface ValidatedInput {
    readonly app: AppSpec;
    readonly stack: StackConfig;
    /** The stack's target's settings, parsed by its driver. */
    readonly settings: unknown;
    /** Secret config keys the app uses, by key. */
    readonly secretKeys: string[];
}

/** Whether a config key was set with --secret (the SDK marks it so for the program). */
export type IsSecret = (fullKey: string) => boolean;
const sdkIsSecret: IsSecret = (k) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean }).isConfigSecret(k);

/** What a program passes beside the stack's config (AppArgs). */
export interface GivenInput {
    /** Target settings by target name, over the stack's `berth:<target>`. */
    readonly settings?: Readonly<Record<string, unknown>>;
    /** Secret config keys whose values the program passes itself. */
    readonly secrets?: readonly string[];
}

/** A target's settings: the program's over the stack's, key by key. */
function mergeSettings(fromStack: unknown, given: unknown): unknown {
    if (given === undefined) return fromStack;
    return isRecord(fromStack) && isRecord(given) ? { ...fromStack, ...given } : given;
}

/**
 * A service's files as this machine has them: each source a readable file
 * (relative to the program's folder), all of them together within
 * FILES_MAX_BYTES (a ConfigMap's limit, on every target).
 */
export function fileProblems(service: string, files: readonly FileSpec[]): string[] {
    const problems: string[] = [];
    let total = 0;
    files.forEach((f, i) => {
        // Neither or both of source and content: the spec says so already.
        if ((f.source === undefined) === (f.content === undefined)) return;
        if (f.source !== undefined) {
            const abs = sourcePath(f.source);
            let stat: fs.Stats | undefined;
            try {
                stat = fs.statSync(abs);
            } catch {
                // reported below
            }
            if (!stat?.isFile()) {
                problems.push(`app.services.${service}.files[${i}].source: ${stat ? "is not a file" : "no such file"}: ${abs} (a source is read relative to the program's folder, ${process.cwd()}); give a file of the repository, or the content inline (content)`);
                return;
            }
        }
        total += fileBytes(f).length;
    });
    if (total > FILES_MAX_BYTES) {
        problems.push(
            `app.services.${service}.files: ${total} bytes together, more than ${FILES_MAX_BYTES} (1 MiB, what one Kubernetes ConfigMap holds, the limit on every target); put large files into the image (COPY in its Dockerfile) or into a volume`,
        );
    }
    return problems;
}

export function validate(
    stackName: string,
    appInput: AppInput,
    rawConfig: Record<string, unknown> = readBerthConfig(),
    isSecret: IsSecret = sdkIsSecret,
    given: GivenInput = {},
): ValidatedInput {
    const problems: string[] = [];
    // Every check runs in this one round: parseAll keeps the typed parts of a
    // partly refused input, and the checks below read only typed fields.
    const appResult = parseAll(appSchema, appInput);
    problems.push(...describe("app", appResult.issues));
    problems.push(...reservedKeys("app", appInput), ...reservedKeys("berth:", rawConfig).map((p) => p.replace(/^berth:\./, "berth:")));

    // Secret keys live in the berth namespace beside the stack settings.
    const secretKeys = new Set<string>();
    for (const svc of Object.values(appInput?.services ?? {})) {
        for (const s of Object.values(svc?.secrets ?? {})) if (s && typeof s.config === "string") secretKeys.add(s.config);
    }
    const settings: Record<string, unknown> = {};
    const known = Object.keys(stackConfigSchema.shape);
    for (const [k, v] of Object.entries(rawConfig)) {
        if (secretKeys.has(k)) continue;
        if (!known.includes(k)) {
            // A secret is some App's: another App of the program may use it.
            if (isSecret(`berth:${k}`)) continue;
            problems.push(`${berthKey(k)}: unknown key (accepted: ${known.map((x) => `berth:${x}`).join(", ")}, or a secret key that a service uses)`);
            continue;
        }
        settings[k] = v;
    }
    const stackResult = parseAll(stackConfigSchema, settings);
    problems.push(...describe("berth:", stackResult.issues).map((p) => p.replace(/^berth:\./, "berth:")));

    for (const key of secretKeys) {
        if (given.secrets?.includes(key)) continue;
        if (!Object.hasOwn(rawConfig, key)) {
            problems.push(`berth:${key}: not set; a service reads it as a secret (set it with: pulumi config set --secret berth:${key} --stack ${stackName})`);
        } else if (!isSecret(`berth:${key}`)) {
            problems.push(`berth:${key}: is plain text in config; secrets must be set with --secret (pulumi config set --secret berth:${key} --stack ${stackName})`);
        }
    }

    // Each target's settings, parsed by its driver: the stack's target's
    // always (with the program's over them), another's where the stack sets them.
    const targetKind = stackResult.data?.target;
    let targetSettings: unknown;
    for (const [kind, driver] of Object.entries(DRIVERS) as [TargetKind, (typeof DRIVERS)[TargetKind]][]) {
        const fromStack = settings[kind];
        const fromProgram = given.settings?.[kind];
        if (kind !== targetKind && fromStack === undefined && fromProgram === undefined) continue;
        const result = parseAll(driver.settings, mergeSettings(fromStack, fromProgram));
        // A problem is the program's where the program gave that key, else the stack's.
        const programKeys = isRecord(fromProgram) ? Object.keys(fromProgram) : fromProgram !== undefined ? null : [];
        for (const issue of result.issues) {
            const mine = programKeys === null || (issue.path.length > 0 && programKeys.includes(String(issue.path[0])));
            problems.push(...describe(mine ? `settings.${kind}` : `berth:${kind}`, [issue]));
        }
        if (kind === targetKind) targetSettings = result.data;
    }

    const stack = stackResult.data;
    if (stack) {
        // The app's services by accepted name, each field read only where it is typed.
        const rawServices: Record<string, unknown> = isRecord(appInput?.services) ? appInput.services : {};
        const serviceNames = Object.keys(rawServices).filter(isDnsName);
        const field = <K extends keyof typeof serviceSchema.shape>(name: string, key: K) => typedField(own(rawServices, name), key);
        problems.push(...driverOf(stack.target).refuse({ serviceNames, field, stack, settings: targetSettings as never }));
        for (const name of serviceNames) problems.push(...fileProblems(name, field(name, "files") ?? []));
        for (const [name, o] of Object.entries(stack.services)) {
            if (!serviceNames.includes(name)) {
                problems.push(`berth:services.${name}: unknown service (services: ${serviceNames.join(", ")})`);
                continue;
            }
            const secrets = field(name, "secrets") ?? {};
            if (o.env) {
                for (const k of Object.keys(o.env)) {
                    if (Object.hasOwn(secrets, k)) problems.push(`berth:services.${name}.env${keyStep(k)}: "${k}" is a secret of the service; it cannot be overridden in plain config`);
                }
            }
            if (o.replicas !== undefined && (o.scaling ?? field(name, "scaling"))) {
                problems.push(`berth:services.${name}.replicas: the service has a scaling rule; override berth:services.${name}.scaling (min, max) instead`);
            }
        }
        // One data directory is never run twice: with the stack's overrides, a
        // service that may run more than one replica shares a volume only when
        // its access allows it; otherwise each replica needs its own copy.
        const rawVolumes: Record<string, unknown> = isRecord(appInput?.volumes) ? appInput.volumes : {};
        const appVolume = (v: string) => (isDnsName(v) ? parseAll(volumeSchema, rawVolumes[v]).data : undefined);
        for (const name of serviceNames) {
            const o = own(stack.services, name) ?? {};
            const scaling = o.scaling ?? field(name, "scaling");
            const replicas = o.replicas ?? field(name, "replicas");
            const most = scaling ? scaling.max : replicas;
            const where = (override: boolean) => `${override ? "berth:services." : "app.services."}${name}`;
            const at = scaling ? `${where(o.scaling !== undefined)}.scaling.max` : `${where(o.replicas !== undefined)}.replicas`;
            if (most === undefined || most <= 1) continue;
            for (const m of field(name, "volumes") ?? []) {
                const spec = Object.hasOwn(rawVolumes, m.volume) ? appVolume(m.volume) : undefined;
                if (!spec) continue;
                const vol = volumeWithOverrides(spec, own(stack.volumes, m.volume));
                if (!vol.perReplica && vol.access === "ReadWriteOnce") {
                    problems.push(
                        `${at}: up to ${most} replicas would share volume ${m.volume}, one ReadWriteOnce data directory; set volumes.${m.volume}.perReplica: true to give each replica its own copy, or volumes.${m.volume}.access: ReadWriteMany if they may share it`,
                    );
                }
            }
        }
        const used = [...new Set(serviceNames.map((n) => field(n, "image")).filter((i): i is string => i !== undefined))];
        for (const from of Object.keys(stack.images)) {
            if (!used.includes(from)) {
                problems.push(`berth:images${keyStep(from)}: no service's image is ${from}, so this override would change nothing (the app's images: ${used.join(", ") || "none, every service is built"})`);
            }
        }
        for (const name of Object.keys(stack.volumes)) {
            if (!Object.hasOwn(rawVolumes, name)) {
                problems.push(`berth:volumes.${name}: unknown volume (volumes: ${Object.keys(rawVolumes).join(", ") || "none"})`);
            }
        }
    }
    if (problems.length > 0) throw new BerthInputError(stackName, problems);
    return { app: appResult.data!, stack: stack!, settings: targetSettings, secretKeys: [...secretKeys] };
}
