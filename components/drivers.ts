/**
 * The registry of targets: the one place that lists them. A target is its
 * driver module (see target.ts: `Driver`) and its line here; nothing else in
 * berth names a target.
 */
import { dockerDriver } from "./docker";
import { kubernetesDriver } from "./kubernetes";
import { Driver } from "./target";

export const DRIVERS = {
    docker: dockerDriver,
    kubernetes: kubernetesDriver,
} satisfies Record<string, Driver>;

/** A target's name, as `berth:target` gives it. */
export type TargetKind = keyof typeof DRIVERS;
export const TARGET_KINDS = Object.keys(DRIVERS) as [TargetKind, ...TargetKind[]];

/** Each target's settings as a program passes them (the input of its schema). */
export type TargetSettings = { [K in TargetKind]?: Partial<import("zod").input<(typeof DRIVERS)[K]["settings"]>> };

/** The driver of a target named in a validated stack config. */
export function driverOf(kind: string): Driver {
    if (!Object.hasOwn(DRIVERS, kind)) throw new Error(`berth: no target named ${JSON.stringify(kind)} (targets: ${TARGET_KINDS.join(", ")})`);
    return DRIVERS[kind as TargetKind];
}
