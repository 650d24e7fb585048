/**
 * berth's policies, checked by the engine on every preview and up that names
 * the pack (`--policy-pack policies`). Each reads the resources the targets
 * register (components/docker.ts, components/kubernetes.ts) by their type
 * token and inputs. How strict each one is, and what a policy allows, comes
 * from the per-stack file in policies/config/: a pack does not see the stack.
 *
 * Properties unknown during a preview (e.g. a digest not yet pushed) are not
 * judged: the up that knows them is.
 */
import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";

const K8S_STATEFULSET = "kubernetes:apps/v1:StatefulSet";
export const K8S_WORKLOADS = ["kubernetes:apps/v1:Deployment", K8S_STATEFULSET];
export const DOCKER_CONTAINER = "docker:index/container:Container";
const K8S_PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const K8S_SERVICE = "kubernetes:core/v1:Service";
const DOCKER_VOLUME = "docker:index/volume:Volume";

/** A container as each target states it. */
interface Container {
    readonly name: string;
    readonly image?: string;
    readonly readiness: boolean;
    readonly cpuLimit: boolean;
    readonly memoryLimit: boolean;
    readonly privileged: boolean;
}

type Props = Record<string, any>;

/** The app containers a resource runs (init containers only wait and are not judged). */
export function containersOf(args: Pick<ResourceValidationArgs, "type" | "name" | "props">): Container[] {
    const p = args.props as Props;
    if (K8S_WORKLOADS.includes(args.type)) {
        const containers: Props[] = p.spec?.template?.spec?.containers ?? [];
        return containers.map((c) => ({
            name: `${args.name} container ${c.name}`,
            image: c.image,
            readiness: c.readinessProbe !== undefined,
            cpuLimit: c.resources?.limits?.cpu !== undefined,
            memoryLimit: c.resources?.limits?.memory !== undefined,
            privileged: c.securityContext?.privileged === true,
        }));
    }
    if (args.type === DOCKER_CONTAINER) {
        return [
            {
                name: args.name,
                image: p.image,
                readiness: p.healthcheck !== undefined,
                cpuLimit: p.cpus !== undefined || p.cpuShares !== undefined,
                memoryLimit: p.memory !== undefined,
                privileged: p.privileged === true,
            },
        ];
    }
    return [];
}

/**
 * The tag of an image reference, "" when it has none, undefined when it is
 * pinned by digest (or not known yet).
 */
export function imageTag(image: string): string | undefined {
    if (image.includes("@sha256:") || image.startsWith("sha256:")) return undefined;
    const last = image.slice(image.lastIndexOf("/") + 1);
    const colon = last.lastIndexOf(":");
    return colon < 0 ? "" : last.slice(colon + 1);
}

const containerPolicy = (
    name: string,
    description: string,
    check: (c: Container, report: ReportViolation) => void,
): ResourceValidationPolicy => ({
    name,
    description,
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
        for (const c of containersOf(args)) check(c, report);
    },
});

export interface PublishedPortsConfig {
    /** Host addresses a Docker port may be published on. */
    readonly allowedAddresses: string[];
    /** Kubernetes Service types the stack may create. */
    readonly allowedServiceTypes: string[];
}

export const policies: ResourceValidationPolicy[] = [
    containerPolicy("berth-readiness-check", "Every service has a readiness check, so that traffic and dependents wait for it.", (c, report) => {
        if (!c.readiness) report(`${c.name} has no readiness check: give the service health.readiness (http, tcp or command).`);
    }),
    containerPolicy("berth-resource-limits", "Every service has cpu and memory limits.", (c, report) => {
        const missing = [!c.cpuLimit && "cpu", !c.memoryLimit && "memory"].filter(Boolean);
        if (missing.length) report(`${c.name} has no ${missing.join(" and ")} limit: set resources.${missing[0]}.limit in the spec or the stack's berth:services override.`);
    }),
    containerPolicy("berth-image-tag", "Every image names a tag other than `latest`, or a digest.", (c, report) => {
        if (c.image === undefined) return;
        const tag = imageTag(c.image);
        if (tag === "") report(`${c.name} runs image "${c.image}" without a tag: name a version tag or a digest.`);
        else if (tag === "latest") report(`${c.name} runs image "${c.image}": the tag latest names no fixed image; name a version tag or a digest.`);
    }),
    containerPolicy("berth-no-privileged", "No container runs privileged.", (c, report) => {
        if (c.privileged) report(`${c.name} runs privileged: berth never asks for this; remove whatever sets it.`);
    }),
    {
        name: "berth-volumes-retained",
        description: "Every volume is retained on delete or protected, so that no destroy takes its data.",
        enforcementLevel: "advisory",
        validateResource: (args, report) => {
            const p = args.props as Props;
            if (args.type === K8S_STATEFULSET) {
                // Per-replica claims: the StatefulSet's retention policy says whether they outlive it.
                const templates: Props[] = p.spec?.volumeClaimTemplates ?? [];
                if (templates.length && !args.opts.protect && p.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted !== "Retain")
                    report(`${args.name}'s per-replica volumes (${templates.map((t) => t.metadata?.name).join(", ")}) are deleted with it: remove retain: false from the volume, or set berth:protectVolumes.`);
                return;
            }
            if (args.type !== K8S_PVC && args.type !== DOCKER_VOLUME) return;
            // The engine does not show retainOnDelete to a pack: the targets label it.
            const retain =
                args.type === K8S_PVC
                    ? p.metadata?.labels?.["berth.dev/retain"]
                    : (p.labels as { label: string; value: string }[] | undefined)?.find((l) => l.label === "berth.dev/retain")?.value;
            if (!args.opts.protect && retain !== "true")
                report(`volume ${args.name} is neither retained nor protected: a destroy deletes its data. Remove retain: false from the volume, or set berth:protectVolumes.`);
        },
    },
    {
        name: "berth-published-ports",
        description: "Ports are published only where the stack allows: Docker host addresses, Kubernetes Service types.",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                allowedAddresses: { type: "array", items: { type: "string" }, default: ["127.0.0.1"] },
                allowedServiceTypes: { type: "array", items: { type: "string" }, default: ["ClusterIP", "NodePort"] },
            },
        },
        validateResource: (args, report) => {
            const cfg = args.getConfig<PublishedPortsConfig>();
            const p = args.props as Props;
            if (args.type === DOCKER_CONTAINER) {
                for (const port of (p.ports ?? []) as Props[]) {
                    const ip = port.ip ?? "0.0.0.0";
                    if (!cfg.allowedAddresses.includes(ip))
                        report(`${args.name} publishes port ${port.external ?? port.internal} on ${ip}; this stack allows ${cfg.allowedAddresses.join(", ")} (berth:docker.publishAddress).`);
                }
            }
            if (args.type === K8S_SERVICE) {
                const type = p.spec?.type ?? "ClusterIP";
                if (!cfg.allowedServiceTypes.includes(type))
                    report(`${args.name} is a ${type} Service; this stack allows ${cfg.allowedServiceTypes.join(", ")} (berth:kubernetes.serviceType).`);
            }
        },
    },
];
