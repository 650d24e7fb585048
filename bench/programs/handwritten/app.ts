// What a developer would write without berth: the same resources, names and
// inputs as berth renders (components/docker.ts, components/kubernetes.ts)
// for the bench's apps, declared directly with @pulumi/docker and
// @pulumi/kubernetes. No component resources, no validation, no manifest.
// test/unit/bench.test.ts checks that both render the same resources.
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The tag of a build context: sha256 over its files' relative paths and contents, 12 hex digits. */
export function contextTag(dir: string): string {
    const h = createHash("sha256");
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            if (e.name === "node_modules" || e.name === ".git") continue;
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) h.update(path.relative(dir, p)).update("\0").update(fs.readFileSync(p)).update("\0");
        }
    };
    walk(dir);
    return h.digest("hex").slice(0, 12);
}

/** berth's checker (components/checker.ts): Debian's busybox-static, uploaded into a container whose check is http or tcp. */
const CHECKER = "/.berth/busybox";
const checkerUpload = () => ({ file: CHECKER, source: "/bin/busybox", sourceHash: createHash("sha256").update(fs.readFileSync("/bin/busybox")).digest("hex"), permissions: "0755" });
const httpCheck = (port: number, path: string) => ["CMD", CHECKER, "wget", "-q", "-Y", "off", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`];
const tcpCheck = (port: number, timeout: number) => ["CMD", CHECKER, "nc", "-w", String(timeout), "127.0.0.1", String(port), "-e", CHECKER, "true"];

function labels(project: string, stack: string, extra: Record<string, string>) {
    return Object.entries({ "berth.dev/project": project, "berth.dev/stack": stack, ...extra }).map(([label, value]) => ({ label, value }));
}

function network(project: string, stack: string, net: string, internal: boolean) {
    return new docker.Network(`demo-${net}-net`, {
        name: `${project}-${stack}-${net}`,
        driver: "bridge",
        internal,
        attachable: false,
        ipv6: false,
        labels: labels(project, stack, { "berth.dev/network": net }),
    });
}

/** The demo (services/demo.ts with web on `port`, contexts under `src`) on Docker. */
export function demoDocker(o: { project: string; stack: string; src: string; lbContext: string; port: number; password: pulumi.Output<string> }) {
    const { project, stack } = o;
    const prefix = `${project}-${stack}`;
    const platform = "linux/amd64";
    const image = (svc: string, context: string, name = `demo-${svc}-image`) =>
        new docker.Image(name, { imageName: `${prefix}-${svc}:${contextTag(context)}`, build: { context, platform }, skipPush: true });
    const lbImage = image("lb", o.lbContext, "demo-lb-image");
    const pgdata = new docker.Volume(
        "demo-pgdata-vol",
        { name: `${prefix}-pgdata`, driver: "local", labels: labels(project, stack, { "berth.dev/volume": "pgdata", "berth.dev/retain": "true" }) },
        { retainOnDelete: true, protect: false },
    );
    const frontend = network(project, stack, "frontend", false);
    const backend = network(project, stack, "backend", true);
    const images = Object.fromEntries(["db", "redis", "web", "worker"].map((s) => [s, image(s, path.join(o.src, s))]));
    const appEnv = ["REDIS_URL=redis://redis:6379", "PGHOST=db", "PGUSER=app", "PGDATABASE=app"];
    const common = (svc: string, replica: number) => ({
        privileged: false,
        securityOpts: ["no-new-privileges"],
        capabilities: { drops: ["ALL"] },
        readOnly: false,
        restart: "always",
        destroyGraceSeconds: 10,
        stopTimeout: 10,
        wait: true,
        labels: labels(project, stack, { "berth.dev/service": svc, "berth.dev/replica": String(replica) }),
    });
    const limits = (cpus: string, memory: number, reservation: number) => ({ cpus, memory, memorySwap: memory, memoryReservation: reservation });
    const opts = { replaceOnChanges: ["healthcheck"], deleteBeforeReplace: false };

    const redis = new docker.Container(
        "demo-redis-0",
        {
            ...common("redis", 0),
            ...limits("0.25", 128, 32),
            image: images.redis.imageName,
            envs: [],
            healthcheck: { tests: tcpCheck(6379, 5), interval: "2s", timeout: "5s", retries: 3, startPeriod: "50s" },
            uploads: [checkerUpload()],
            waitTimeout: 115,
            networksAdvanced: [{ name: backend.name, aliases: ["redis"] }],
            volumes: [],
        },
        opts,
    );
    const db = new docker.Container(
        "demo-db-0",
        {
            ...common("db", 0),
            ...limits("0.5", 512, 128),
            image: images.db.imageName,
            envs: o.password.apply((p) => [`POSTGRES_PASSWORD=${p}`]),
            healthcheck: { tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "app"], interval: "2s", timeout: "5s", retries: 10, startPeriod: "50s" },
            waitTimeout: 164,
            networksAdvanced: [{ name: backend.name, aliases: ["db"] }],
            volumes: [{ volumeName: pgdata.name, containerPath: "/var/lib/postgresql/data", readOnly: false }],
        },
        { ...opts, deleteBeforeReplace: true },
    );
    const envs = o.password.apply((p) => [...appEnv, `PGPASSWORD=${p}`]);
    const web = [0, 1].map(
        (i) =>
            new docker.Container(
                `demo-web-${i}`,
                {
                    ...common("web", i),
                    ...limits("0.5", 256, 64),
                    image: images.web.imageName,
                    envs,
                    healthcheck: { tests: httpCheck(8080, "/healthz"), interval: "2s", timeout: "5s", retries: 3, startPeriod: "50s" },
                    uploads: [checkerUpload()],
                    waitTimeout: 115,
                    networksAdvanced: [
                        { name: frontend.name, aliases: ["web"] },
                        { name: backend.name, aliases: ["web"] },
                    ],
                    volumes: [],
                },
                { ...opts, dependsOn: [db, redis] },
            ),
    );
    new docker.Container(
        "demo-worker-0",
        {
            ...common("worker", 0),
            ...limits("0.25", 128, 64),
            image: images.worker.imageName,
            envs,
            healthcheck: {
                tests: ["CMD", "bash", "-c", "test $(( $(date +%s) - $(stat -c %Y /tmp/worker-alive) )) -lt 10"],
                interval: "5s",
                timeout: "5s",
                retries: 3,
                startPeriod: "50s",
            },
            waitTimeout: 130,
            networksAdvanced: [{ name: backend.name, aliases: ["worker"] }],
            volumes: [],
        },
        { ...opts, dependsOn: [db, redis] },
    );
    const haproxy = fs.readFileSync(path.join(__dirname, "../../haproxy.cfg"), "utf8").replace(/38080/g, String(o.port));
    new docker.Container(
        "demo-web-lb",
        {
            image: lbImage.imageName,
            uploads: [{ file: "/etc/haproxy/haproxy.cfg", content: haproxy }, checkerUpload()],
            healthcheck: { tests: tcpCheck(o.port, 2), interval: "2s", timeout: "2s", retries: 3, startPeriod: "0s" },
            wait: true,
            waitTimeout: 60,
            restart: "always",
            networksAdvanced: [{ name: frontend.name }, { name: backend.name }],
            ports: [{ internal: o.port, external: o.port, ip: "127.0.0.1", protocol: "tcp" }],
            privileged: false,
            securityOpts: ["no-new-privileges"],
            capabilities: { drops: ["ALL"] },
            memory: 256,
            memorySwap: 256,
            cpus: "0.5",
            destroyGraceSeconds: 10,
            labels: labels(project, stack, { "berth.dev/service": "web", "berth.dev/role": "load-balancer" }),
        },
        { replaceOnChanges: ["healthcheck"], dependsOn: web },
    );
}

/** The bench's N-service app on Docker: per service an image pull and two containers on one network. */
export function scaleDocker(o: { project: string; stack: string; services: number }) {
    const { project, stack } = o;
    const backend = network(project, stack, "backend", false);
    const check = { tests: httpCheck(80, "/"), interval: "10s", timeout: "5s", retries: 3, startPeriod: "0s" };
    for (let s = 0; s < o.services; s++) {
        const svc = `svc${s}`;
        const image = new docker.RemoteImage(`demo-${svc}-image`, { name: "nginx:1.27", keepLocally: true });
        for (let i = 0; i < 2; i++) {
            new docker.Container(
                `demo-${svc}-${i}`,
                {
                    image: image.imageId,
                    envs: [],
                    healthcheck: check,
                    uploads: [checkerUpload()],
                    wait: true,
                    waitTimeout: 105,
                    restart: "always",
                    networksAdvanced: [{ name: backend.name, aliases: [svc] }],
                    volumes: [],
                    privileged: false,
                    securityOpts: ["no-new-privileges"],
                    capabilities: { drops: ["ALL"] },
                    readOnly: false,
                    memory: 128,
                    memorySwap: 128,
                    memoryReservation: 64,
                    cpus: "0.5",
                    destroyGraceSeconds: 10,
                    stopTimeout: 10,
                    labels: labels(project, stack, { "berth.dev/service": svc, "berth.dev/replica": String(i) }),
                },
                { replaceOnChanges: ["healthcheck"], deleteBeforeReplace: false },
            );
        }
    }
}

/** The bench's N-service app on Kubernetes: namespace, three policies, and per service a Deployment and a Service. */
export function scaleKubernetes(o: { project: string; stack: string; services: number; namespace: string; kubeconfig?: string; context?: string; fakeNode?: boolean }) {
    const ns = o.namespace;
    const provider = new k8s.Provider("demo-k8s", { kubeconfig: o.kubeconfig, context: o.context, namespace: ns });
    const namespace = new k8s.core.v1.Namespace(
        "demo-ns",
        { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": o.project, "berth.dev/stack": o.stack }, annotations: { "pulumi.com/patchForce": "true" } } },
        { provider, retainOnDelete: false },
    );
    const opts = { provider, dependsOn: [namespace] };
    const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: ns, labels: { "app.kubernetes.io/part-of": o.project, ...labels } });
    new k8s.networking.v1.NetworkPolicy("demo-default-deny", { metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }, opts);
    new k8s.networking.v1.NetworkPolicy(
        "demo-allow-dns",
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
        opts,
    );
    const member = { matchLabels: { "berth.dev/net-backend": "true" } };
    new k8s.networking.v1.NetworkPolicy(
        "demo-backend-policy",
        {
            metadata: meta("net-backend"),
            spec: {
                podSelector: member,
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: member }] }],
                egress: [{ to: [{ podSelector: member }] }, { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
            },
        },
        opts,
    );
    const placement = o.fakeNode
        ? { nodeSelector: { type: "kwok" }, tolerations: [{ key: "berth.dev/fake-node", operator: "Exists", effect: "NoSchedule" }] }
        : {};
    for (let s = 0; s < o.services; s++) {
        const svc = `svc${s}`;
        const labels = { "app.kubernetes.io/name": svc };
        new k8s.apps.v1.Deployment(
            `demo-${svc}-deployment`,
            {
                metadata: meta(svc, labels),
                spec: {
                    replicas: 2,
                    selector: { matchLabels: labels },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
                    template: {
                        metadata: { labels: { ...labels, "app.kubernetes.io/part-of": o.project, "berth.dev/net-backend": "true" } },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                            restartPolicy: "Always",
                            containers: [
                                {
                                    name: svc,
                                    image: "nginx:1.27",
                                    env: [],
                                    ports: [{ containerPort: 80, protocol: "TCP" }],
                                    readinessProbe: { httpGet: { path: "/", port: 80 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 0 },
                                    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
                                    securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: { drop: ["ALL"] } },
                                    lifecycle: { preStop: { sleep: { seconds: 5 } } },
                                    volumeMounts: [],
                                },
                            ],
                            volumes: [],
                            ...placement,
                        },
                    },
                },
            },
            opts,
        );
        new k8s.core.v1.Service(
            `demo-${svc}-service`,
            { metadata: meta(svc, labels), spec: { type: "ClusterIP", selector: labels, ports: [{ name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" }] } },
            opts,
        );
    }
}
