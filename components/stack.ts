/**
 * Per-stack configuration (`stacks/Pulumi.<stack>.yaml`, namespace `berth`):
 * which target a stack deploys to, and what it overrides. Validated with zod
 * before any resource is registered.
 */
import { z } from "zod";
import { envName, resourcesSchema, restartPolicy, scalingSchema, typedSoFar, volumeSchema } from "./spec";

const dnsName = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "a lowercase DNS label");

export const dockerConfigSchema = z.strictObject({
    /** Host address that published ports bind to. @default "127.0.0.1" */
    publishAddress: z.union([z.ipv4(), z.literal("0.0.0.0")]).default("127.0.0.1"),
    /** Docker engine to deploy to, e.g. "ssh://me@host" or "tcp://host:2376". @default the local engine (DOCKER_HOST) */
    host: z.string().regex(/^(unix|tcp|ssh|npipe):\/\//, "a Docker host URL: unix://, tcp://, ssh:// or npipe://").optional(),
});

export const kubernetesConfigSchema = z.strictObject({
    /** Path to a kubeconfig file. @default $KUBECONFIG or ~/.kube/config */
    kubeconfig: z.string().min(1).optional(),
    /** kubeconfig context. @default the current context */
    context: z.string().min(1).optional(),
    /** The stack's namespace, created by berth. */
    namespace: dnsName,
    /** How published ports are exposed. @default "NodePort" */
    serviceType: z.enum(["NodePort", "LoadBalancer", "ClusterIP"]).default("NodePort"),
    /**
     * The address users reach the cluster's nodes on (an IP address or a DNS
     * host name): the host of a NodePort service's URL output. Unset, the host
     * is 127.0.0.1 when the kubeconfig's server for the stack's context is this
     * machine (127.0.0.1, localhost or ::1), and otherwise there is no URL
     * output (with a warning naming this key).
     * @default 127.0.0.1 for a cluster on this machine, else none
     */
    nodeAddress: z
        .string()
        .refine((s) => z.ipv4().safeParse(s).success || z.ipv6().safeParse(s).success || /^(?=.{1,253}$)(?!(.*\.)?\d+$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(s), {
            message: 'the address users reach the cluster\'s nodes on: an IPv4 or IPv6 address or a lowercase DNS host name, without scheme or port (e.g. "203.0.113.10" or "nodes.example.com")',
        })
        .optional(),
    /** Also create an Ingress for published http ports with this host. @default none */
    ingressHost: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a DNS host name").optional(),
    /** Registry that built images are referenced from, e.g. "127.0.0.1:5000". */
    registry: z.string().regex(/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, 'a registry such as "127.0.0.1:5000" or "ghcr.io/team"').optional(),
});

export const serviceOverrideSchema = z.strictObject({
    replicas: z.int().min(0, "0 or more").max(100, "at most 100").optional(),
    /** Env vars added to (or replacing) the service's own. */
    env: z.record(envName, z.string()).optional(),
    resources: resourcesSchema.optional(),
    scaling: scalingSchema.optional(),
    /** The service's restart policy on this stack (see the app's services.<name>.restart). @default the app's */
    restart: restartPolicy.optional(),
});

export const stackConfigSchema = z
    .strictObject({
        /** Where this stack deploys: "docker" or "kubernetes". */
        target: z.enum(["docker", "kubernetes"]),
        /** Docker target settings. @default {} */
        docker: dockerConfigSchema.default({ publishAddress: "127.0.0.1" }),
        /** Kubernetes target settings; required when target is kubernetes. */
        kubernetes: kubernetesConfigSchema.optional(),
        /** Protect volumes so that the engine refuses to replace or delete them (prod). @default false */
        protectVolumes: z.boolean().default(false),
        /** Per-service overrides of replicas, env, resources and scaling. @default {} */
        services: z.record(dnsName, serviceOverrideSchema).default({}),
        /** Per-volume overrides of size, access and allowDataLoss. @default {} */
        volumes: z.record(dnsName, volumeSchema.pick({ size: true, access: true, allowDataLoss: true }).partial()).default({}),
    })
    .refine((c) => c.target !== "kubernetes" || c.kubernetes !== undefined, {
        message: "target kubernetes needs berth:kubernetes (namespace, and optionally kubeconfig, context, serviceType)",
        path: ["kubernetes"],
        ...typedSoFar,
    });
export type StackConfig = z.infer<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;

