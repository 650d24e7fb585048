/**
 * Where the app description meets a target. Each target (docker.ts,
 * kubernetes.ts) implements this interface once; the components in app.ts
 * never ask which target they are on.
 */
import * as pulumi from "@pulumi/pulumi";
import { NetworkSpec, ServiceSpec, VolumeSpec } from "./spec";
import { StackConfig } from "./stack";

/** A service after the stack's overrides are applied. */
export interface ResolvedService extends ServiceSpec {
    readonly name: string;
    /** Replicas that run when no autoscaler decides (Docker: scaling.min). */
    readonly fixedReplicas: number;
}

export interface DeployContext {
    /** Pulumi project and stack names. */
    readonly project: string;
    readonly stack: string;
    readonly config: StackConfig;
    /** All services, by name (for dependencies and network membership). */
    readonly services: Readonly<Record<string, ResolvedService>>;
    readonly networks: Readonly<Record<string, NetworkSpec>>;
    readonly volumes: Readonly<Record<string, VolumeSpec>>;
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

export interface Target {
    readonly kind: "docker" | "kubernetes";
    network(name: string, spec: NetworkSpec, parent: pulumi.ComponentResource): pulumi.Resource;
    /** Makes the volume's resources (none where the workload makes them: a Kubernetes StatefulSet's claims). */
    volume(name: string, spec: VolumeSpec, parent: pulumi.ComponentResource): void;
    service(svc: ResolvedService, dependsOn: pulumi.Resource[], parent: pulumi.ComponentResource): ServiceHandle;
}
