/**
 * Where the app description meets a target. A target is one driver module
 * (docker.ts, kubernetes.ts) that owns everything about it: its settings
 * (`berth:<target>` in a stack, or the App's args), what it refuses, a
 * volume's identity, how published ports are exposed, the physical names an
 * app takes, and the resources it makes. drivers.ts lists the drivers; the
 * components in app.ts never ask which target they are on.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { NetworkSpec, ServiceSpec, VolumeSpec, serviceSchema } from "./spec";
import type { StackConfig } from "./stack";

/** A service after the stack's overrides are applied. */
export interface ResolvedService extends ServiceSpec {
    readonly name: string;
    /** Replicas that run when no autoscaler decides (Docker: scaling.min). */
    readonly fixedReplicas: number;
}

export interface DeployContext<S = unknown> {
    /** Pulumi project and stack names. */
    readonly project: string;
    readonly stack: string;
    /** The stack's settings that every target shares (target, protectVolumes, per-service and per-volume overrides). */
    readonly config: StackConfig;
    /** The target's own settings: `berth:<target>` with the App's args over it, parsed by the driver's schema. */
    readonly settings: S;
    /** All services, by name (for dependencies and network membership). */
    readonly services: Readonly<Record<string, ResolvedService>>;
    readonly networks: Readonly<Record<string, NetworkSpec>>;
    readonly volumes: Readonly<Record<string, VolumeSpec>>;
    /** A secret's value by its config key: the App's `secrets` arg, else the stack's `berth:<key>`. */
    secret(key: string): pulumi.Output<string>;
}

/** The service that mounts a volume (a per-replica volume has exactly one). */
export function mountedBy(ctx: DeployContext, volume: string): ResolvedService | undefined {
    return Object.values(ctx.services).find((s) => s.volumes.some((m) => m.volume === volume));
}

export interface ServiceHandle {
    /** Where the service answers outside the app, if it publishes a port. */
    readonly url?: pulumi.Output<string>;
    /** Resources a dependent must wait for (started or healthy). */
    readonly readyWhen: pulumi.Resource[];
}

/** What a service is given: the handles of the networks it joins and the volumes it mounts, and what it waits for. */
export interface ServiceUses<N, V> {
    readonly networks: Readonly<Record<string, N>>;
    readonly volumes: Readonly<Record<string, V>>;
    readonly dependsOn: pulumi.Resource[];
}

/** One app on one target: makes each network, volume and service; networks and volumes return handles that services are given. */
export interface Target<N = unknown, V = unknown> {
    network(name: string, spec: NetworkSpec, parent: pulumi.ComponentResource): N;
    /** A volume's handle (for a Kubernetes per-replica volume: nothing to make, its StatefulSet makes the claims). */
    volume(name: string, spec: VolumeSpec, parent: pulumi.ComponentResource): V;
    service(svc: ResolvedService, uses: ServiceUses<N, V>, parent: pulumi.ComponentResource): ServiceHandle;
}

/** What a driver sees of the input when it says what it refuses: only typed parts (the rest is already reported). */
export interface RefusalInput<S> {
    /** The accepted service names. */
    readonly serviceNames: string[];
    /** A service's field, where it is typed. */
    readonly field: <K extends keyof typeof serviceSchema.shape>(service: string, key: K) => z.output<(typeof serviceSchema.shape)[K]> | undefined;
    /** The stack's shared settings. */
    readonly stack: StackConfig;
    /** The target's settings, when they parsed. */
    readonly settings: S | undefined;
}

export interface Driver<S = any, N = any, V = any> {
    /** The value of `berth:target` that selects it. */
    readonly kind: string;
    /**
     * Its settings: `berth:<kind>` in a stack's config, with the App's
     * `settings.<kind>` arg over it. `undefined` when neither is given: a
     * schema with defaults accepts that, one with required fields says what
     * it needs.
     */
    readonly settings: z.ZodType<S>;
    /** What the target cannot honour for this app, each a message naming the key path and what would work. */
    refuse(input: RefusalInput<S>): string[];
    /** The fields whose change replaces a volume (the data-safety check compares them). */
    volumeIdentity(ctx: DeployContext<S>, volume: string): Record<string, string>;
    /** Where published ports are reachable, in a word (the manifest's `exposure`). */
    exposure(settings: S): string;
    /**
     * The physical names and addresses this app takes on the target (a Docker
     * volume's name, a published host port, a Kubernetes namespace): two Apps
     * of one program that take the same one are refused before anything registers.
     */
    claims(ctx: DeployContext<S>): string[];
    /** The app's resources on this target, children of `app`. */
    deploy(appName: string, ctx: DeployContext<S>, app: pulumi.ComponentResource): Target<N, V>;
}

/** Types a driver module's export (its settings type is inferred from its schema). */
export const defineDriver = <S, N, V>(driver: Driver<S, N, V>): Driver<S, N, V> => driver;
