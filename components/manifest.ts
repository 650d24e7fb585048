/**
 * The manifest: a plain description of what a stack deploys, published as the
 * stack output `berth`. It holds no secret values (only secret names), so it
 * can be read by anyone who reads the stack's outputs. berth reads the last
 * one back for its data-safety check (datasafety.ts) and diffs two of them for
 * preview summaries (summary.ts).
 */
import { filesHash } from "./files";
import { Check } from "./spec";
import { DeployContext, Driver } from "./target";

export interface ServiceManifest {
    /** The image reference, or "build <context>@<content hash>". */
    readonly image: string;
    readonly replicas: number;
    readonly scaling?: { min: number; max: number; cpuPercent?: number; memoryPercent?: number };
    /** Plain env vars (values are not secret). */
    readonly env: Record<string, string>;
    /** Names of the secrets the service gets; never their values. */
    readonly secrets: string[];
    readonly ports: { port: number; publish?: number }[];
    readonly probes: Record<string, string>;
    readonly networks: string[];
    readonly volumes: string[];
    /** Its files by path: sha256 of the path, mode and content (first 10 hex digits), never the content. Absent when it has none. */
    readonly files?: Record<string, string>;
    /** Its bind mounts, `<host path>:<path>[:ro]` (Docker). Absent when it has none. */
    readonly bindMounts?: string[];
}

export interface Manifest {
    /** The target's name (drivers.ts). */
    readonly target: string;
    /** Where published ports are reachable: the Docker publish address, or the Kubernetes Service type. */
    readonly exposure: string;
    readonly services: Record<string, ServiceManifest>;
    readonly volumes: Record<string, { identity: Record<string, string>; retain: boolean; allowDataLoss: boolean }>;
}

/** A check in words, e.g. "http GET /healthz on 8080 every 2s". */
export function describeCheck(c: Check): string {
    const what = c.http ? `http GET ${c.http.path} on ${c.http.port}` : c.tcp ? `tcp ${c.tcp.port}` : `command ${c.command!.join(" ")}`;
    return `${what} every ${c.intervalSeconds}s (timeout ${c.timeoutSeconds}s, ${c.retries} retries, start period ${c.startPeriodSeconds}s)`;
}

export function manifestOf(driver: Driver, ctx: DeployContext, imageOf: (svc: string) => string): Manifest {
    const volumes: Manifest["volumes"] = {};
    for (const [name, spec] of Object.entries(ctx.volumes)) {
        volumes[name] = { identity: driver.volumeIdentity(ctx, name), retain: spec.retain, allowDataLoss: spec.allowDataLoss };
    }
    const services: Manifest["services"] = {};
    for (const [name, svc] of Object.entries(ctx.services)) {
        const probes: Record<string, string> = {};
        for (const [k, c] of Object.entries(svc.health)) if (c) probes[k] = describeCheck(c);
        services[name] = {
            image: imageOf(name),
            replicas: svc.fixedReplicas,
            ...(svc.scaling ? { scaling: { min: svc.scaling.min, max: svc.scaling.max, cpuPercent: svc.scaling.cpuPercent, memoryPercent: svc.scaling.memoryPercent } } : {}),
            env: svc.env,
            secrets: Object.keys(svc.secrets).sort(),
            ports: svc.ports.map((p) => (p.publish !== undefined ? { port: p.port, publish: p.publish } : { port: p.port })),
            probes,
            networks: svc.networks,
            volumes: svc.volumes.map((m) => `${m.volume}:${m.path}`),
            ...(svc.files.length ? { files: Object.fromEntries(svc.files.map((f) => [f.path, filesHash([f])])) } : {}),
            ...(svc.bindMounts.length ? { bindMounts: svc.bindMounts.map((m) => `${m.hostPath}:${m.path}${m.readOnly ? ":ro" : ""}`) } : {}),
        };
    }
    return { target: driver.kind, exposure: driver.exposure(ctx.settings), services, volumes };
}
