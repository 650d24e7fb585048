/**
 * Per-stack configuration (`stacks/Pulumi.<stack>.yaml`, namespace `berth`):
 * which target a stack deploys to, that target's settings (`berth:<target>`,
 * whose schema its driver owns), and what the stack overrides. Validated
 * with zod before any resource is registered.
 */
import { z } from "zod";
import { DRIVERS } from "./drivers";
import { dnsName, envName, imageRef, resourcesSchema, restartPolicy, scalingSchema, volumeSchema } from "./spec";

export const serviceOverrideSchema = z.strictObject({
    replicas: z.int().min(0, "0 or more").max(100, "at most 100").optional(),
    /** Env vars added to (or replacing) the service's own. */
    env: z.record(envName, z.string()).optional(),
    resources: resourcesSchema.optional(),
    scaling: scalingSchema.optional(),
    /** The service's restart policy on this stack (see the app's services.<name>.restart). @default the app's */
    restart: restartPolicy.optional(),
});

// Typed loosely on purpose: the drivers' types refer to this config's type.
const kinds = Object.keys(DRIVERS) as [string, ...string[]];
/** Each target's settings, as given (`berth:<target>`); its driver parses them (validate.ts). */
const targetSettings = Object.fromEntries(kinds.map((kind) => [kind, z.unknown().optional()])) as Record<string, z.ZodOptional<z.ZodUnknown>>;

export const stackConfigSchema = z.strictObject({
    /** Where this stack deploys: a target in drivers.ts ("docker" or "kubernetes"). */
    target: z.enum(kinds),
    ...targetSettings,
    /** Protect volumes so that the engine refuses to replace or delete them (prod). @default false */
    protectVolumes: z.boolean().default(false),
    /** Per-service overrides of replicas, env, resources and scaling. @default {} */
    services: z.record(dnsName, serviceOverrideSchema).default({}),
    /**
     * Image references this stack runs instead of the app's, e.g.
     * `{ "postgres:16": "localhost:5000/mirror/postgres:16" }` for a private
     * mirror: every service whose `image` is a key runs the value instead, on
     * either target (Docker pulls it; Kubernetes' pods reference it). A key
     * that no service's `image` names is refused, with the images the app
     * uses. Built images (`build`) are not affected. @default {}
     */
    images: z.record(imageRef, imageRef).default({}),
    /** Per-volume overrides of size, access and allowDataLoss. @default {} */
    volumes: z.record(dnsName, volumeSchema.pick({ size: true, access: true, allowDataLoss: true }).partial()).default({}),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;
