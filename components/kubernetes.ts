/**
 * The Kubernetes target's driver: the one place that maps the app description
 * to Kubernetes objects, all in the app's namespace, with its own settings
 * (`berth:kubernetes`).
 *
 *   network  -> NetworkPolicies (default deny; members of a network talk to each other; DNS)
 *   volume   -> PersistentVolumeClaim (retained on delete by default, protected in prod)
 *   volume with perReplica -> the volume claim template of its service's StatefulSet
 *   service  -> Deployment, or a StatefulSet when it mounts a per-replica volume
 *               (+ Service, Secret, ConfigMap of its files, HorizontalPodAutoscaler, Ingress as asked);
 *               a built image is pushed to the stack's registry (registry.ts) and run by digest
 *
 * The namespace is retained on destroy whenever a volume is retained, since
 * deleting a namespace deletes the PVCs in it; the next up adopts both.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
// A dependency of @pulumi/pulumi, so present wherever the program runs.
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import { fileBytes, fileKey, filesHash, isUtf8 } from "./files";
import { CHECKER_CONTEXT, waitArgv } from "./checker";
import { buildTag, contextHash } from "./images";
import { DynamicProviderHost, RegistryImage } from "./registry";
import { Check, DOCKER_DEFAULT_CAPABILITIES, KUBERNETES_RESTART, NetworkSpec, VolumeSpec, isAnnotationKey, numericUser } from "./spec";
import { DeployContext, ResolvedService, ServiceHandle, ServiceUses, Target, defineDriver, mountedBy } from "./target";

/** A namespace's name: a DNS-1123 label (up to 63 characters, as Kubernetes allows). */
const namespaceName = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "a lowercase DNS label");

/** The Kubernetes target's settings: `berth:kubernetes`, or the App's `settings.kubernetes`. */
export const kubernetesSettings = z.strictObject(
    {
        /** Path to a kubeconfig file. @default $KUBECONFIG or ~/.kube/config */
        kubeconfig: z.string().min(1).optional(),
        /** kubeconfig context. @default the current context */
        context: z.string().min(1).optional(),
        /** The app's namespace, created by berth; each App in a stack needs its own. */
        namespace: namespaceName,
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
    },
    { error: (issue) => (issue.input === undefined ? "target kubernetes needs berth:kubernetes (namespace, and optionally kubeconfig, context, serviceType)" : undefined) },
);
export type KubernetesSettings = z.infer<typeof kubernetesSettings>;

/** The registry repository of a built service's image: `<registry>/<project>-<service>`. */
const registryRepository = (svc: ResolvedService, ctx: DeployContext<KubernetesSettings>) => `${ctx.settings.registry}/${ctx.project}-${svc.name}`;

const LABEL_NAME = "app.kubernetes.io/name";
const LABEL_PART_OF = "app.kubernetes.io/part-of";
const netLabel = (net: string) => `berth.dev/net-${net}`;
/** Server-side apply takes over an existing object's fields (a retained namespace or PVC). */
const ADOPT = { "pulumi.com/patchForce": "true" };
/**
 * A claim is not awaited: its workload's rollout is (a pod starts only once its
 * claim is bound). The provider's await for a claim of a WaitForFirstConsumer
 * StorageClass (a local-path or most CSI classes) waits for phase Pending, which
 * an adopted, already-Bound claim never shows again: the second up after a
 * destroy hung for 5 minutes and failed.
 */
const CLAIM = { ...ADOPT, "pulumi.com/skipAwait": "true" };

/**
 * How `up` waits for a Deployment with the Recreate strategy (a service with a
 * volume): until its new pods are ready. The provider's own Deployment await
 * returns as soon as the old pods are scaled to 0 (the controller has not yet
 * made the new ReplicaSet, and keeps the Progressing condition from the last
 * rollout: kubernetes/kubernetes#115538), so `up` would end with no db pod at
 * all. These conditions replace it (the provider reads them only once the
 * Deployment's status has observed its generation): with a fixed count, every
 * pod is updated and available and no old one is left (`replicas` counts the
 * old ReplicaSet's too); with an autoscaled count, which only the Deployment
 * knows, new pods exist (the new ReplicaSet is made only after every old pod
 * is gone) and the Deployment is Available (for Recreate: all its replicas).
 */
export function recreateAwait(replicas: number | undefined): Record<string, string> {
    const waitFor =
        replicas === undefined
            ? ["jsonpath={.status.updatedReplicas}", 'jsonpath={.status.conditions[?(@.type=="Available")].status}=True']
            : replicas === 0
              ? [] // nothing to wait for: the provider's await handles 0 (and the status leaves the counts out)
              : [`jsonpath={.status.updatedReplicas}=${replicas}`, `jsonpath={.status.availableReplicas}=${replicas}`, `jsonpath={.status.replicas}=${replicas}`];
    return waitFor.length > 0 ? { "pulumi.com/waitFor": JSON.stringify(waitFor) } : {};
}

function probe(c: Check | undefined): k8s.types.input.core.v1.Probe | undefined {
    if (!c) return undefined;
    return {
        ...(c.http ? { httpGet: { path: c.http.path, port: c.http.port } } : {}),
        ...(c.tcp ? { tcpSocket: { port: c.tcp.port } } : {}),
        ...(c.command ? { exec: { command: c.command } } : {}),
        periodSeconds: c.intervalSeconds,
        timeoutSeconds: c.timeoutSeconds,
        failureThreshold: c.retries,
        initialDelaySeconds: c.startPeriodSeconds,
    };
}

function resources(svc: ResolvedService): k8s.types.input.core.v1.ResourceRequirements | undefined {
    const r = svc.resources;
    if (!r) return undefined;
    const pick = (k: "request" | "limit") => {
        const out: Record<string, string> = {};
        if (r.cpu?.[k]) out.cpu = r.cpu[k]!;
        if (r.memory?.[k]) out.memory = r.memory[k]!;
        return Object.keys(out).length ? out : undefined;
    };
    return { requests: pick("request"), limits: pick("limit") };
}

/**
 * How long a pod that receives traffic keeps serving after it is told to stop,
 * before its process gets SIGTERM: the endpoint controller and every node's
 * kube-proxy take a moment to stop sending it new connections (a rolling
 * update without it fails the requests of that moment). Within the default
 * 30 s termination grace, which leaves the process 25 s to finish.
 */
export const ENDPOINT_DRAIN_SECONDS = 5;

/** Annotations, or none when empty. */
const orNone = (a: Record<string, string>) => (Object.keys(a).length > 0 ? a : undefined);

/**
 * The Service port a dependent waits on until its dependency is healthy: the
 * readiness check's port when it is an http or tcp one, else the first TCP
 * port (the spec refuses "healthy" on a service with none). A connection to
 * the Service opens only while a ready pod backs it.
 */
export function waitPort(dep: ResolvedService): number {
    const checked = dep.health.readiness?.http?.port ?? dep.health.readiness?.tcp?.port;
    // The Service `<service>` has every port at its container port (a published one is also on `<service>-published`).
    return (dep.ports.find((x) => x.protocol === "tcp" && x.port === checked) ?? dep.ports.find((x) => x.protocol === "tcp")!).port;
}

/**
 * The init container that holds a dependent until `dep` is healthy: berth's
 * checker image (checker.ts), not the dependent's, so the dependent's image
 * needs no shell or tool; it runs as nobody on a read-only root with no
 * capabilities.
 */
export function waitContainer(dep: ResolvedService, checkerImage: pulumi.Input<string>): k8s.types.input.core.v1.Container {
    return {
        name: `wait-for-${dep.name}`,
        image: checkerImage,
        command: waitArgv(dep.name, waitPort(dep)),
        resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        securityContext: {
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
    };
}

/** The registry repository of berth's checker image: `<registry>/berth/checker` (a built service's is `<registry>/<project>-<service>`: never the same). */
export const checkerRepository = (registry: string) => `${registry}/berth/checker`;

/**
 * Where the stack's cluster is, as far as its kubeconfig tells (read at
 * program time, so a preview decides it too): the API server of the context
 * the provider uses (berth:kubernetes.context, else the kubeconfig's
 * current-context) in the kubeconfig the provider reads
 * (berth:kubernetes.kubeconfig, a path or the file's contents; else
 * $KUBECONFIG, merged as kubectl merges it; else ~/.kube/config).
 */
export type ClusterLocation = { server: string; local: boolean } | { unknown: string };

export function clusterLocation(kubeconfig: string | undefined, context: string | undefined, env: NodeJS.ProcessEnv = process.env): ClusterLocation {
    const home = (p: string) => (p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p);
    const docs: { from: string; text: string }[] = [];
    if (kubeconfig !== undefined && /\n/.test(kubeconfig)) docs.push({ from: "berth:kubernetes.kubeconfig", text: kubeconfig });
    else {
        const files = kubeconfig !== undefined ? [home(kubeconfig)] : env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(os.homedir(), ".kube", "config")];
        for (const f of files) {
            try {
                docs.push({ from: f, text: fs.readFileSync(f, "utf8") });
            } catch {
                // kubectl skips a missing file of $KUBECONFIG's list
            }
        }
        if (docs.length === 0) return { unknown: `no kubeconfig file at ${files.join(path.delimiter)}` };
    }
    // Merged as kubectl merges: the first file to set a current-context or to name a context or cluster wins.
    let current: string | undefined;
    const contexts = new Map<string, string | undefined>();
    const clusters = new Map<string, string | undefined>();
    for (const d of docs) {
        let doc: any;
        try {
            doc = yaml.load(d.text);
        } catch (e) {
            return { unknown: `${d.from} is not YAML: ${(e as Error).message.split("\n")[0]}` };
        }
        if (!doc || typeof doc !== "object") continue;
        if (!current && typeof doc["current-context"] === "string" && doc["current-context"]) current = doc["current-context"];
        for (const c of Array.isArray(doc.contexts) ? doc.contexts : []) if (c?.name && !contexts.has(c.name)) contexts.set(c.name, c.context?.cluster);
        for (const c of Array.isArray(doc.clusters) ? doc.clusters : []) if (c?.name && !clusters.has(c.name)) clusters.set(c.name, c.cluster?.server);
    }
    const from = docs.map((d) => d.from).join(path.delimiter);
    const name = context ?? current;
    if (!name) return { unknown: `${from} has no current-context and berth:kubernetes.context is not set` };
    if (!contexts.has(name)) return { unknown: `context ${name} is not in ${from}` };
    const cluster = contexts.get(name);
    const server = cluster !== undefined ? clusters.get(cluster) : undefined;
    if (typeof server !== "string") return { unknown: `context ${name} in ${from} names no cluster with a server` };
    let host: string;
    try {
        host = new URL(server).hostname.replace(/^\[(.*)\]$/, "$1");
    } catch {
        return { unknown: `the server of context ${name} (${server}) is not a URL` };
    }
    return { server, local: host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) };
}

/** An address as the host of a URL: an IPv6 address in brackets. */
const urlHost = (address: string) => (address.includes(":") ? `[${address}]` : address);

/** A network's handle: its NetworkPolicy. A volume's: its claim (none for a per-replica volume: its StatefulSet makes them). */
type KubernetesTarget = Target<k8s.networking.v1.NetworkPolicy, k8s.core.v1.PersistentVolumeClaim | undefined>;

function deploy(appName: string, ctx: DeployContext<KubernetesSettings>, app: pulumi.ComponentResource): KubernetesTarget {
    const kc = ctx.settings;
    const ns = kc.namespace;
    const provider = new k8s.Provider(
        `${appName}-k8s`,
        { kubeconfig: kc.kubeconfig, context: kc.context, namespace: ns },
        { parent: app },
    );
    const anyRetained = Object.values(ctx.volumes).some((v) => v.retain);
    const namespace = new k8s.core.v1.Namespace(
        `${appName}-ns`,
        { metadata: { name: ns, labels: { [LABEL_PART_OF]: ctx.project, "berth.dev/stack": ctx.stack }, annotations: ADOPT } },
        { parent: app, provider, retainOnDelete: anyRetained },
    );
    const base = { provider, dependsOn: [namespace] };
    const meta = (name: string, labels: Record<string, string> = {}) => ({
        name,
        namespace: ns,
        labels: { [LABEL_PART_OF]: ctx.project, ...labels },
    });

    // The namespace is closed by default: only what a network or a published port allows gets through.
    new k8s.networking.v1.NetworkPolicy(
        `${appName}-default-deny`,
        { metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        { parent: app, ...base },
    );
    new k8s.networking.v1.NetworkPolicy(
        `${appName}-allow-dns`,
        {
            metadata: meta("allow-dns"),
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        },
        { parent: app, ...base },
    );

    /**
     * The host of a NodePort URL: berth:kubernetes.nodeAddress, else 127.0.0.1
     * for a cluster on this machine; undefined (with the reason) otherwise.
     * Read once, when a NodePort service needs it.
     */
    let nodeHost: { host?: string; why?: string } | undefined;
    const nodePortHost = () =>
        (nodeHost ??= (() => {
            if (kc.nodeAddress) return { host: kc.nodeAddress };
            const where = clusterLocation(kc.kubeconfig, kc.context);
            if ("unknown" in where) return { why: `berth cannot tell whether the cluster is on this machine (${where.unknown})` };
            return where.local ? { host: "127.0.0.1" } : { why: `the cluster's API server (${where.server}) is not on this machine` };
        })());

    /** The provider of the image builds, made with the first built service. */
    let imageHost: DynamicProviderHost | undefined;
    const images = () => (imageHost ??= new DynamicProviderHost(`${appName}-images`, { parent: app }));
    /** berth's checker image, built and pushed with the first service that waits for a healthy dependency. */
    let checker: RegistryImage | undefined;
    const checkerImage = () =>
        (checker ??= new RegistryImage(
            `${appName}-checker-image`,
            { context: CHECKER_CONTEXT, repository: checkerRepository(kc.registry!), tag: contextHash(CHECKER_CONTEXT) },
            { parent: app, provider: images() },
        ));

    return {
        network(name: string, spec: NetworkSpec, parent) {
            const net = name.slice(appName.length + 1);
            const member = { matchLabels: { [netLabel(net)]: "true" } };
            return new k8s.networking.v1.NetworkPolicy(
                `${name}-policy`,
                {
                    metadata: meta(`net-${net}`),
                    spec: {
                        podSelector: member,
                        policyTypes: ["Ingress", "Egress"],
                        ingress: [{ from: [{ podSelector: member }] }],
                        // An internal network reaches only its members; others may also reach outside the cluster.
                        egress: spec.internal ? [{ to: [{ podSelector: member }] }] : [{ to: [{ podSelector: member }] }, { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
                    },
                },
                { parent, ...base },
            );
        },

        volume(name: string, spec: VolumeSpec, parent) {
            const vol = name.slice(appName.length + 1);
            // The StatefulSet of the service that mounts it makes a per-replica volume's claims.
            if (spec.perReplica) return undefined;
            return new k8s.core.v1.PersistentVolumeClaim(
                `${name}-pvc`,
                {
                    // A retained claim outlives the stack; patchForce lets the next up adopt it
                    // (take over its fields) instead of failing on a field-manager conflict.
                    metadata: { ...meta(vol, { "berth.dev/volume": vol, "berth.dev/retain": String(spec.retain) }), annotations: CLAIM },
                    spec: { accessModes: [spec.access], resources: { requests: { storage: spec.size } } },
                },
                { parent, ...base, retainOnDelete: spec.retain, protect: ctx.config.protectVolumes && !spec.allowDataLoss },
            );
        },

        service(svc: ResolvedService, { volumes: claims, dependsOn }: ServiceUses<unknown, k8s.core.v1.PersistentVolumeClaim | undefined>, parent): ServiceHandle {
            const labels = { [LABEL_NAME]: svc.name };
            const podLabels: Record<string, string> = { ...labels, [LABEL_PART_OF]: ctx.project };
            for (const n of svc.networks) podLabels[netLabel(n)] = "true";

            const secretNames = Object.keys(svc.secrets);
            let secret: k8s.core.v1.Secret | undefined;
            if (secretNames.length > 0) {
                // Autonamed (`<app>-<service>-secret-<random>`): a changed value replaces the
                // Secret under a new name, which changes the pod template, so the pods roll and
                // read the new value. (A fixed name would be replaced in place and the running
                // pods would keep the old value.) The name carries no hash of the value.
                secret = new k8s.core.v1.Secret(
                    `${appName}-${svc.name}-secret`,
                    {
                        metadata: { namespace: ns, labels: meta(svc.name, labels).labels },
                        type: "Opaque",
                        stringData: Object.fromEntries(secretNames.map((s) => [s, ctx.secret(svc.secrets[s].config)])),
                    },
                    { parent, ...base },
                );
            }
            const env: k8s.types.input.core.v1.EnvVar[] = [
                ...Object.entries(svc.env).map(([name, value]) => ({ name, value })),
                ...secretNames
                    .filter((s) => svc.secrets[s].as === "env")
                    .map((s) => ({ name: s, valueFrom: { secretKeyRef: { name: secret!.metadata.name, key: s } } })),
            ];
            const fileSecrets = secretNames.filter((s) => svc.secrets[s].as === "file");
            // A service's files: one ConfigMap named by their hash, so that a new content
            // is a new ConfigMap, a changed pod template, and a rollout. Each file is
            // mounted alone (subPath): the rest of its folder stays the image's.
            let filesMap: k8s.core.v1.ConfigMap | undefined;
            let filesHashed: string | undefined;
            if (svc.files.length > 0) {
                filesHashed = filesHash(svc.files);
                const data: Record<string, string> = {};
                const binaryData: Record<string, string> = {};
                svc.files.forEach((f, i) => {
                    const bytes = fileBytes(f);
                    if (isUtf8(bytes)) data[fileKey(f, i)] = bytes.toString("utf8");
                    else binaryData[fileKey(f, i)] = bytes.toString("base64");
                });
                filesMap = new k8s.core.v1.ConfigMap(
                    `${appName}-${svc.name}-files`,
                    {
                        metadata: meta(`${svc.name}-files-${filesHashed}`, labels),
                        data: Object.keys(data).length ? data : undefined,
                        binaryData: Object.keys(binaryData).length ? binaryData : undefined,
                        immutable: true,
                    },
                    { parent, ...base },
                );
            }
            const perReplica = svc.volumes.filter((m) => ctx.volumes[m.volume].perReplica);
            const shared = svc.volumes.filter((m) => !ctx.volumes[m.volume].perReplica);
            const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [
                // A claim template's mount is named as the template: the volume's name.
                ...svc.volumes.map((m) => ({ name: ctx.volumes[m.volume].perReplica ? m.volume : `vol-${m.volume}`, mountPath: m.path, readOnly: m.readOnly })),
                ...fileSecrets.map((s) => ({ name: "secrets", mountPath: svc.secrets[s].path ?? `/run/secrets/${s}`, subPath: s, readOnly: true })),
                ...svc.files.map((f, i) => ({ name: "files", mountPath: f.path, subPath: fileKey(f, i), readOnly: true })),
            ];
            const volumes: k8s.types.input.core.v1.Volume[] = [
                ...shared.map((m) => ({ name: `vol-${m.volume}`, persistentVolumeClaim: { claimName: m.volume } })),
                ...(fileSecrets.length ? [{ name: "secrets", secret: { secretName: secret!.metadata.name } }] : []),
                ...(filesMap ? [{ name: "files", configMap: { name: filesMap.metadata.name, items: svc.files.map((f, i) => ({ key: fileKey(f, i), path: fileKey(f, i), mode: f.mode })) } }] : []),
            ];
            // A built image is pushed to the stack's registry and run by digest.
            const image: pulumi.Input<string> = svc.build
                ? new RegistryImage(
                      `${appName}-${svc.name}-image`,
                      {
                          context: svc.build.context,
                          dockerfile: svc.build.dockerfile,
                          repository: registryRepository(svc, ctx),
                          tag: buildTag(svc.build),
                          target: svc.build.target,
                          args: svc.build.args,
                      },
                      { parent, provider: images() },
                  ).ref
                : svc.image!;
            // Dependents wait (at every start, not only the first deploy) until a
            // dependency that must be healthy answers on its Service, which
            // routes only to ready pods: from berth's checker image, pushed to
            // the stack's registry once per app (the driver refuses a wait
            // without a registry).
            const healthyDeps = Object.keys(svc.dependsOn).filter((dep) => svc.dependsOn[dep] === "healthy");
            const initContainers = healthyDeps.map((dep) => waitContainer(ctx.services[dep], checkerImage().ref));
            const hasVolume = svc.volumes.length > 0;
            // The service's labels are annotations: its labels select its pods and stay berth's.
            const annotations = Object.keys(svc.labels).length > 0 ? svc.labels : undefined;
            const template: k8s.types.input.core.v1.PodTemplateSpec = {
                // The files' hash, beside the ConfigMap's name that carries it: kubectl shows why pods rolled.
                metadata: { labels: podLabels, annotations: orNone({ ...svc.labels, ...(filesHashed ? { "berth.dev/files-sha256": filesHashed } : {}) }) },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                    // The only policy a Deployment or StatefulSet accepts; validate refuses a service's restart that it cannot honour.
                    restartPolicy: "Always",
                    initContainers: initContainers.length ? initContainers : undefined,
                    containers: [
                        {
                            name: svc.name,
                            image,
                            command: svc.command,
                            args: svc.args,
                            workingDir: svc.workingDir,
                            env,
                            ports: svc.ports.map((p) => ({ containerPort: p.port, protocol: p.protocol.toUpperCase() })),
                            readinessProbe: probe(svc.health.readiness),
                            livenessProbe: probe(svc.health.liveness),
                            startupProbe: probe(svc.health.startup),
                            resources: resources(svc),
                            securityContext: containerSecurity(svc),
                            // a Service sends it traffic: keep serving while the endpoint is removed
                            lifecycle: svc.ports.length > 0 ? { preStop: { sleep: { seconds: ENDPOINT_DRAIN_SECONDS } } } : undefined,
                            volumeMounts,
                        },
                    ],
                    volumes,
                },
            };
            const workloadOpts = {
                parent,
                ...base,
                dependsOn: [namespace, ...dependsOn, ...(secret ? [secret] : []), ...(filesMap ? [filesMap] : []), ...shared.map((m) => claims[m.volume]!)],
            };
            // With a scaling rule the workload starts at the rule's minimum (so an up
            // ends with min ready pods, not 1 until the HPA's first sync) and the HPA
            // owns replicas afterwards: the engine ignores them once created (the
            // provider then leaves the field to the HPA's manager, or sends its live
            // value: never a conflict, never a reset).
            const replicas = svc.scaling ? svc.scaling.min : svc.fixedReplicas;
            const replicasOpts = svc.scaling ? { ignoreChanges: ["spec.replicas"] } : {};
            const workload =
                perReplica.length > 0
                    ? // Each replica its own copy: a StatefulSet replaces pods one at a time,
                      // each stopped before its successor starts on the same claim.
                      new k8s.apps.v1.StatefulSet(
                          `${appName}-${svc.name}-statefulset`,
                          {
                              metadata: { ...meta(svc.name, labels), annotations },
                              spec: {
                                  serviceName: svc.name,
                                  replicas,
                                  selector: { matchLabels: labels },
                                  podManagementPolicy: "OrderedReady",
                                  updateStrategy: { type: "RollingUpdate" },
                                  // Claims outlive the StatefulSet and a scale-down, as retained volumes do.
                                  persistentVolumeClaimRetentionPolicy: {
                                      whenDeleted: perReplica.every((m) => ctx.volumes[m.volume].retain) ? "Retain" : "Delete",
                                      whenScaled: "Retain",
                                  },
                                  template,
                                  volumeClaimTemplates: perReplica.map((m) => ({
                                      metadata: {
                                          name: m.volume,
                                          labels: { [LABEL_PART_OF]: ctx.project, "berth.dev/volume": m.volume, "berth.dev/retain": String(ctx.volumes[m.volume].retain) },
                                      },
                                      spec: { accessModes: [ctx.volumes[m.volume].access], resources: { requests: { storage: ctx.volumes[m.volume].size } } },
                                  })),
                              },
                          },
                          // A protected volume protects the StatefulSet that holds its claims.
                          { ...workloadOpts, ...replicasOpts, protect: ctx.config.protectVolumes && perReplica.some((m) => !ctx.volumes[m.volume].allowDataLoss) },
                      )
                    : new k8s.apps.v1.Deployment(
                          `${appName}-${svc.name}-deployment`,
                          {
                              metadata: {
                                  ...meta(svc.name, labels),
                                  ...(hasVolume || annotations ? { annotations: { ...svc.labels, ...(hasVolume ? recreateAwait(svc.scaling ? undefined : replicas) : {}) } } : {}),
                              },
                              spec: {
                                  replicas,
                                  selector: { matchLabels: labels },
                                  // A service with a volume never runs twice on one data directory.
                                  strategy: hasVolume
                                      ? { type: "Recreate" }
                                      : { type: "RollingUpdate", rollingUpdate: svc.rollingUpdate ?? { maxSurge: 1, maxUnavailable: 0 } },
                                  template,
                              },
                          },
                          { ...workloadOpts, ...replicasOpts },
                      );
            const workloadKind = perReplica.length > 0 ? "StatefulSet" : "Deployment";

            let url: pulumi.Output<string> | undefined;
            if (svc.ports.length > 0) {
                // Peers reach every port at <service>:<container port> (and at each
                // alias), on ClusterIP Services; a published port is exposed apart, on
                // a Service of the stack's type that carries the published ports only.
                const clusterPorts = svc.ports.map((p) => ({ name: `${p.protocol}-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol.toUpperCase() }));
                for (const name of [svc.name, ...svc.aliases]) {
                    new k8s.core.v1.Service(
                        name === svc.name ? `${appName}-${svc.name}-service` : `${appName}-${svc.name}-alias-${name}`,
                        {
                            metadata: meta(name, name === svc.name ? labels : { ...labels, "berth.dev/alias-of": svc.name }),
                            spec: { type: "ClusterIP", selector: labels, ports: clusterPorts },
                        },
                        { parent, ...base },
                    );
                }
                const publishedPorts = svc.ports.filter((p) => p.publish !== undefined);
                if (publishedPorts.length > 0) {
                    const type = kc.serviceType;
                    const publishedName = `${svc.name}-published`;
                    const service = new k8s.core.v1.Service(
                        `${appName}-${svc.name}-published-service`,
                        {
                            // The provider's await for a LoadBalancer Service waits for
                            // status.loadBalancer.ingress, which a cluster without a
                            // load-balancer controller never sets (the up failed after
                            // 10 minutes). The workload's rollout is awaited instead, and
                            // the address is read once it is done (below).
                            metadata: { ...meta(publishedName, labels), ...(type === "LoadBalancer" ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}) },
                            spec: {
                                type,
                                selector: labels,
                                ports: publishedPorts.map((p) => ({
                                    name: `${p.protocol}-${p.publish}`,
                                    port: p.publish!,
                                    targetPort: p.port,
                                    protocol: p.protocol.toUpperCase(),
                                })),
                            },
                        },
                        { parent, ...base },
                    );
                    const pub = publishedPorts[0];
                    new k8s.networking.v1.NetworkPolicy(
                        `${appName}-${svc.name}-published`,
                        {
                            metadata: meta(`${svc.name}-published`),
                            spec: {
                                podSelector: { matchLabels: labels },
                                policyTypes: ["Ingress"],
                                ingress: [{ ports: publishedPorts.map((p) => ({ port: p.port, protocol: p.protocol.toUpperCase() })) }],
                            },
                        },
                        { parent, ...base },
                    );
                    if (kc.ingressHost) {
                        new k8s.networking.v1.Ingress(
                            `${appName}-${svc.name}-ingress`,
                            {
                                metadata: meta(svc.name, labels),
                                spec: {
                                    rules: [
                                        {
                                            host: kc.ingressHost,
                                            http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: publishedName, port: { number: pub.publish! } } } }] },
                                        },
                                    ],
                                },
                            },
                            { parent, ...base },
                        );
                    }
                    // A name only the cluster resolves (scripts/lib.sh's report_url says so).
                    const internal = `http://${publishedName}.${ns}.svc.cluster.local:${pub.publish}`;
                    if (kc.ingressHost) url = pulumi.output(`http://${kc.ingressHost}/`);
                    else if (type === "NodePort") {
                        const { host, why } = nodePortHost();
                        // A new Service's node port is assigned by the API server: unknown at a preview (not "undefined").
                        if (host) url = service.spec.ports.apply((ps) => (ps[0].nodePort === undefined ? (pulumi.output(pulumi.unknown) as pulumi.Output<string>) : pulumi.output(`http://${urlHost(host)}:${ps[0].nodePort}`)));
                        else
                            pulumi.log.warn(
                                `service ${svc.name}: no URL output: ${why}, so its NodePort is not reached on 127.0.0.1; set berth:kubernetes.nodeAddress to the address users reach the cluster's nodes on`,
                            );
                    } else if (type === "LoadBalancer") {
                        // The Service as it is once the workload has rolled out: the
                        // address a load-balancer controller gave it by then, if any
                        // (a later up reads it again). At a preview of a new Service
                        // the read is skipped and the internal name stands.
                        const live = k8s.core.v1.Service.get(`${appName}-${svc.name}-published-service-status`, service.id, { parent, provider, dependsOn: [workload] });
                        url = live.status.apply((st) => {
                            const ing = st?.loadBalancer?.ingress?.[0];
                            const address = ing?.ip || ing?.hostname;
                            return address ? `http://${urlHost(address)}:${pub.publish}` : internal;
                        });
                    } else url = pulumi.output(internal);
                }
            }

            if (svc.scaling) {
                const s = svc.scaling;
                const metrics: k8s.types.input.autoscaling.v2.MetricSpec[] = [];
                if (s.cpuPercent !== undefined)
                    metrics.push({ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: s.cpuPercent } } });
                if (s.memoryPercent !== undefined)
                    metrics.push({ type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: s.memoryPercent } } });
                new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    `${appName}-${svc.name}-hpa`,
                    {
                        metadata: meta(svc.name, labels),
                        spec: {
                            scaleTargetRef: { apiVersion: "apps/v1", kind: workloadKind, name: svc.name },
                            minReplicas: s.min,
                            maxReplicas: s.max,
                            metrics,
                            behavior: {
                                scaleDown: { stabilizationWindowSeconds: s.scaleDownStabilizationSeconds },
                                scaleUp: { policies: [{ type: "Pods", value: s.scaleUpPodsPerMinute, periodSeconds: 60 }] },
                            },
                        },
                    },
                    { parent, ...base, dependsOn: [workload] },
                );
            }
            return { url, readyWhen: [workload] };
        },
    };
}

function containerSecurity(svc: ResolvedService): k8s.types.input.core.v1.SecurityContext {
    // All dropped, then the kept ones added by name: with baseCapabilities
    // "default", Docker's 14 (so the runtime's own default set does not decide).
    const sec = svc.security;
    const user = numericUser(sec);
    const kept =
        sec.baseCapabilities === "none"
            ? sec.capabilities
            : [...new Set([...DOCKER_DEFAULT_CAPABILITIES, ...sec.capabilities])].filter((c) => !sec.dropCapabilities.includes(c)).sort();
    return {
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: svc.security.readOnlyRootFilesystem,
        // A name is refused before this (refuse): only numbers reach here.
        runAsUser: user.uid,
        runAsGroup: user.gid,
        runAsNonRoot: user.uid !== undefined && user.uid > 0 ? true : undefined,
        capabilities: { drop: ["ALL"], add: kept.length ? kept : undefined },
    };
}

export const kubernetesDriver = defineDriver({
    kind: "kubernetes",
    settings: kubernetesSettings,
    refuse({ serviceNames, field, stack, settings }) {
        const problems: string[] = [];
        if (!settings?.registry) {
            for (const name of serviceNames) {
                const build = field(name, "build");
                if (build) {
                    problems.push(`berth:kubernetes.registry: service ${name} is built from ${build.context}, so the stack needs a registry to reference its image from (e.g. "127.0.0.1:5000")`);
                }
            }
        }
        if (!settings?.registry) {
            for (const name of serviceNames) {
                for (const [dep, cond] of Object.entries(field(name, "dependsOn") ?? {})) {
                    if (cond !== "healthy") continue;
                    problems.push(
                        `app.services.${name}.dependsOn.${dep}: "healthy" on Kubernetes runs an init container of berth's checker image (a static busybox, so that ${name}'s image needs no shell), which berth builds and pushes to the stack's registry, and berth:kubernetes.registry is not set; set it (e.g. "127.0.0.1:5000"), or use "started"`,
                    );
                }
            }
        }
        for (const name of serviceNames) {
            (field(name, "bindMounts") ?? []).forEach((m, i) =>
                problems.push(
                    `app.services.${name}.bindMounts[${i}]: a bind mount of ${m.hostPath} cannot be honoured on Kubernetes: a pod runs on a node, which does not have this machine's folders; use a volume (volumes, and services.${name}.volumes) for data, or services.${name}.files for config files`,
                ),
            );
        }
        // Service names: each service's and each alias's, and <service>-published for a published one.
        const publishedNames = new Map(serviceNames.filter((n) => (field(n, "ports") ?? []).some((p) => p.publish !== undefined)).map((n) => [`${n}-published`, n]));
        for (const name of serviceNames) {
            const aliases = field(name, "aliases") ?? [];
            const ports = field(name, "ports");
            if (aliases.length > 0 && ports && ports.length === 0) {
                problems.push(
                    `app.services.${name}.aliases: cannot be honoured on Kubernetes for a service without ports: an alias is a Service selecting ${name}'s pods, and a Service forwards the ports it lists; declare the ports peers use in app.services.${name}.ports`,
                );
            }
            for (const [i, n] of [name, ...aliases].entries()) {
                const owner = publishedNames.get(n);
                if (owner !== undefined) {
                    problems.push(
                        `app.services.${name}${i === 0 ? "" : `.aliases[${i - 1}]`}: "${n}" cannot be a name on Kubernetes in this app: berth names the Service that publishes ${owner}'s ports ${n}; rename it`,
                    );
                }
            }
            for (const key of Object.keys(field(name, "labels") ?? {})) {
                if (!isAnnotationKey(key)) {
                    problems.push(
                        `app.services.${name}.labels[${JSON.stringify(key)}]: cannot be honoured on Kubernetes, where a service's labels are annotations and an annotation's key is a name of at most 63 characters (letters, digits, '-', '_', '.', starting and ending with a letter or digit), optionally after a DNS prefix and "/" (e.g. "example.com/owner"); shorten or rename it`,
                    );
                }
            }
            const user = field(name, "security")?.user;
            const named = user !== undefined ? numericUser({ user }).name : undefined;
            if (user !== undefined && named !== undefined) {
                problems.push(
                    `app.services.${name}.security.user: "${user}" names ${named === user.split(":")[0] ? "a user" : "a group"} (${named}), which Kubernetes cannot run as: a pod's securityContext takes numeric ids only (runAsUser, runAsGroup); give the uid (and gid) instead, e.g. security.user: "999:999" (the image tells them: docker run --rm --entrypoint id <image> -u ${user.split(":")[0]})`,
                );
            }
            const fromStack = Object.hasOwn(stack.services, name) ? stack.services[name].restart : undefined;
            const restart = fromStack ?? field(name, "restart");
            if (restart !== undefined && !(KUBERNETES_RESTART as readonly string[]).includes(restart)) {
                problems.push(
                    `${fromStack ? "berth:" : "app."}services.${name}.restart: "${restart}" cannot be honoured on Kubernetes: a Deployment or StatefulSet restarts its pods always (restartPolicy Always is the only one it accepts); use ${KUBERNETES_RESTART.map((r) => `"${r}"`).join(" or ")}${fromStack ? "" : `, or set berth:services.${name}.restart for this stack`}`,
                );
            }
        }
        return problems;
    },
    volumeIdentity(ctx, volume) {
        const spec = ctx.volumes[volume];
        // A per-replica volume is a set of claims, one per ordinal, made by its service's StatefulSet.
        const owner = spec.perReplica ? mountedBy(ctx, volume)?.name : undefined;
        return { namespace: ctx.settings.namespace, name: owner ? `${volume}-${owner}-<ordinal>` : volume, access: spec.access };
    },
    exposure: (settings) => settings.serviceType,
    claims: (ctx) => [`Kubernetes context ${ctx.settings.context ?? "(current)"}${ctx.settings.kubeconfig ? ` of ${ctx.settings.kubeconfig.includes("\n") ? "the given kubeconfig" : ctx.settings.kubeconfig}` : ""}: namespace ${ctx.settings.namespace}`],
    deploy,
});
