// The demo app rendered on each target with Pulumi mocks: the exact set of
// children, their key inputs and options, and the URNs users depend on.
import { describe, expect, it } from "vitest";
import { demo } from "../../services/demo";
import { checkerHash } from "../../components/checker";
import { goDuration } from "../../components/docker";
import { render } from "./harness";

// How the engine's wire format marks a secret value.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };
const secrets = { dbPassword: "s3cret-value" };

describe("docker target, demo app", async () => {
    const r = await render(demo, dockerCfg, { secrets });

    it("registers exactly the expected children", () => {
        expect(r.resources.map((x) => `${x.type}::${x.name}`).sort()).toMatchSnapshot();
        const count = (t: string) => r.ofType(t).length;
        expect(count("docker:index/container:Container")).toBe(2 /* web */ + 1 /* web lb */ + 1 /* worker */ + 1 /* redis */ + 1 /* db */);
        expect(count("docker:index/network:Network")).toBe(2);
        expect(count("docker:index/volume:Volume")).toBe(1);
        expect(count("docker:index/image:Image")).toBe(5); // web, worker, redis, db, lb
        expect(r.ofType("berth:app:Service").map((x) => x.name).sort()).toEqual(["demo-db", "demo-redis", "demo-web", "demo-worker"]);
    });

    it("names networks and volumes deterministically, internal where asked, volumes retained", () => {
        expect(r.byName("demo-backend-net").inputs).toMatchObject({ name: "berth-test-backend", internal: true, driver: "bridge" });
        expect(r.byName("demo-frontend-net").inputs).toMatchObject({ name: "berth-test-frontend", internal: false });
        expect(r.byName("demo-pgdata-vol").inputs).toMatchObject({ name: "berth-test-pgdata", driver: "local" });
        expect(r.byName("demo-pgdata-vol").opts).toMatchObject({ retainOnDelete: true, protect: false });
    });

    it("runs scaling.min web replicas and warns that Docker has no autoscaler", () => {
        expect(r.resources.filter((x) => /^demo-web-\d$/.test(x.name)).map((x) => x.name)).toEqual(["demo-web-0", "demo-web-1"]);
        expect(r.warnings).toContain(
            "service web: Docker has no autoscaler; it runs scaling.min = 2 replicas (max 6, cpuPercent 70 and scaleDownStabilizationSeconds 300 apply on Kubernetes only)",
        );
    });

    it("maps a web replica: healthcheck, wait, aliases, safe defaults, new-before-old replacement", () => {
        const web = r.byName("demo-web-0");
        expect(web.inputs.name).toBeUndefined(); // autonamed, so create-before-delete works
        expect(web.inputs).toMatchObject({
            wait: true,
            restart: "always",
            privileged: false,
            securityOpts: ["no-new-privileges"],
            capabilities: { drops: ["ALL"] },
            memory: 256,
            memorySwap: 256, // no swap beyond the limit; unset, every preview would propose removing what Docker reads back
            memoryReservation: 64,
            cpus: "0.5",
            destroyGraceSeconds: 10,
        });
        expect(web.inputs.healthcheck).toMatchObject({ interval: "2s", timeout: "5s", retries: 3, startPeriod: "0s" });
        // Exec form, no shell: berth's checker (a static busybox uploaded into the container) GETs the path as one word
        // (test/e2e/healthchecks.test.ts runs it, test/e2e/checks.test.ts in FROM scratch images).
        expect(web.inputs.healthcheck.tests).toEqual(["CMD", "/.berth/busybox", "wget", "-q", "-Y", "off", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]);
        expect(web.inputs.uploads).toEqual([{ file: "/.berth/busybox", source: "/bin/busybox", sourceHash: checkerHash(), permissions: "0755" }]);
        expect(web.inputs.uploads[0].sourceHash).toMatch(/^[0-9a-f]{64}$/);
        expect(web.inputs.networksAdvanced).toEqual([
            { name: "berth-test-frontend", aliases: ["web"] },
            { name: "berth-test-backend", aliases: ["web"] },
        ]);
        expect(web.inputs.ports).toBeUndefined(); // only the load balancer publishes
        expect(web.opts).toMatchObject({ deleteBeforeReplace: false, replaceOnChanges: ["healthcheck", "mounts"] });
        // One secret makes the whole env list a Pulumi secret.
        expect(web.inputs.envs[SECRET_SIG]).toBe(SECRET_VALUE_SIG);
        expect(web.inputs.envs.value).toEqual(expect.arrayContaining(["PGHOST=db", "PGPASSWORD=s3cret-value"]));
    });

    it("checks redis's port with the checker's nc, and runs db's command check as written, with nothing uploaded", () => {
        const redis = r.byName("demo-redis-0").inputs;
        expect(redis.healthcheck.tests).toEqual(["CMD", "/.berth/busybox", "nc", "-w", "5", "127.0.0.1", "6379", "-e", "/.berth/busybox", "true"]);
        expect(redis.uploads).toEqual([{ file: "/.berth/busybox", source: "/bin/busybox", sourceHash: checkerHash(), permissions: "0755" }]);
        const db = r.byName("demo-db-0").inputs;
        expect(db.healthcheck.tests).toEqual(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "app"]);
        expect(db.uploads).toBeUndefined();
        expect(JSON.stringify(r.ofType("docker:index/container:Container").map((c) => c.inputs.healthcheck))).not.toMatch(/\/dev\/tcp|printf|HTTP_CHECK/);
    });

    it("replaces the db stop-first and mounts its volume", () => {
        const db = r.byName("demo-db-0");
        expect(db.opts.deleteBeforeReplace).toBe(true);
        expect(db.inputs.volumes).toEqual([{ volumeName: "berth-test-pgdata", containerPath: "/var/lib/postgresql/data", readOnly: false }]);
    });

    it("generates a load balancer that publishes on 127.0.0.1 and follows replicas by DNS", () => {
        const lb = r.byName("demo-web-lb");
        expect(lb.inputs.ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
        expect(lb.inputs.uploads.map((u: any) => u.file)).toEqual(["/etc/haproxy/haproxy.cfg", "/.berth/busybox"]);
        expect(lb.inputs.healthcheck.tests).toEqual(["CMD", "/.berth/busybox", "nc", "-w", "2", "127.0.0.1", "8080", "-e", "/.berth/busybox", "true"]);
        const cfg: string = lb.inputs.uploads[0].content;
        expect(cfg).toContain("server-template r 1-20 web:8080 check");
        expect(cfg).toContain("nameserver dns 127.0.0.11:53");
        expect(cfg).toContain("option httpchk GET /healthz");
        expect(lb.inputs.networksAdvanced).toEqual([{ name: "berth-test-frontend" }, { name: "berth-test-backend" }]);
        expect(r.outputs.urls).toEqual({ web: "http://127.0.0.1:8080" });
    });

    it("tags built images by their context's content", () => {
        const img = r.byName("demo-web-image");
        expect(img.inputs.imageName).toMatch(/^berth-test-web:[0-9a-f]{12}$/);
        expect(img.inputs.skipPush).toBe(true);
        // Built for this machine's platform (the local engine), so the provider need not warn that it guessed.
        expect(img.inputs.build.platform).toBe(`linux/${process.arch === "x64" ? "amd64" : process.arch}`);
        expect(r.byName("demo-web-0").inputs.image).toBe(img.inputs.imageName);
    });
});

describe("kubernetes target, demo app", async () => {
    const r = await render(demo, k8sCfg, { secrets });

    it("registers exactly the expected children", () => {
        expect(r.resources.map((x) => `${x.type}::${x.name}`).sort()).toMatchSnapshot();
        expect(r.ofType("kubernetes:apps/v1:Deployment").map((x) => x.name).sort()).toEqual(["demo-db-deployment", "demo-redis-deployment", "demo-web-deployment", "demo-worker-deployment"]);
        expect(r.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").map((x) => x.name)).toEqual(["demo-web-hpa"]);
        expect(r.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((x) => x.name)).toEqual(["demo-pgdata-pvc"]);
        expect(r.ofType("docker:index/container:Container")).toEqual([]);
    });

    it("starts web at the HPA's minimum and leaves its replicas to the HPA, with the spec's min, max and cpu target", () => {
        const web = r.byName("demo-web-deployment").inputs;
        expect(web.spec.replicas).toBe(2);
        expect(r.byName("demo-web-deployment").opts.ignoreChanges).toEqual(["spec.replicas"]);
        // Without a scaling rule the engine owns replicas.
        expect(r.byName("demo-worker-deployment").opts.ignoreChanges).toBeUndefined();
        expect(web.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
        const hpa = r.byName("demo-web-hpa").inputs.spec;
        expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: "Deployment", name: "web" } });
        expect(hpa.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
        // The spec's defaults: scale down on the highest wish of the last 300 s (Kubernetes' own default), up by at most 4 pods a minute.
        expect(hpa.behavior).toEqual({
            scaleDown: { stabilizationWindowSeconds: 300 },
            scaleUp: { policies: [{ type: "Pods", value: 4, periodSeconds: 60 }] },
        });
    });

    it("maps probes, resources, secrets as Secret references and the security context", () => {
        const pod = r.byName("demo-web-deployment").inputs.spec.template.spec;
        const c = pod.containers[0];
        expect(c.readinessProbe).toEqual({ httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 0 });
        expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
        // The Secret is autonamed, so that a new value is a new Secret and the pods roll to it.
        expect(r.byName("demo-web-secret").inputs.metadata.name).toBeUndefined();
        expect(c.env).toContainEqual({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "demo-web-secret-r4nd0m", key: "PGPASSWORD" } } });
        expect(JSON.stringify(r.byName("demo-web-deployment").inputs)).not.toContain("s3cret-value");
        expect(c.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(pod.securityContext).toEqual({ seccompProfile: { type: "RuntimeDefault" } });
        // A pod behind a Service keeps serving for 5 s after it is told to stop (its endpoint goes first); the worker has no port.
        expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
        expect(r.byName("demo-worker-deployment").inputs.spec.template.spec.containers[0].lifecycle).toBeUndefined();
        // Built, pushed to the stack's registry, run by the digest the push returned.
        // The builds run on an explicit provider that gets no stack config (the default one would get all of it, secrets too).
        expect(r.byName("demo-images").type).toBe("pulumi:providers:pulumi-nodejs");
        expect(r.byName("demo-images").inputs).toEqual({});
        const img = r.byName("demo-web-image").inputs;
        expect(img).toMatchObject({ context: "services/web", repository: "127.0.0.1:5000/berth-web" });
        expect(img.tag).toMatch(/^[0-9a-f]{12}$/);
        expect(c.image).toBe(`127.0.0.1:5000/berth-web@sha256:${"0".repeat(52)}${img.tag}`);
        // web waits for healthy db and redis at every start, from berth's checker image (pushed to the stack's registry
        // once for the app), never from web's own image (test/e2e/healthchecks.test.ts runs the command).
        const checker = r.byName("demo-checker-image");
        expect(checker.inputs).toMatchObject({ repository: "127.0.0.1:5000/berth/checker", context: expect.stringMatching(/components\/checker$/) });
        expect(checker.inputs.tag).toMatch(/^[0-9a-f]{12}$/);
        const checkerRef = `127.0.0.1:5000/berth/checker@sha256:${"0".repeat(52)}${checker.inputs.tag}`;
        const script = 'until /busybox nc -w 2 "$1" "$2" -e /busybox true 2>/dev/null; do echo "waiting for $1:$2"; sleep 1; done';
        const waitSecurity = { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, capabilities: { drop: ["ALL"] } };
        const resources = { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } };
        expect(pod.initContainers).toEqual([
            { name: "wait-for-db", image: checkerRef, command: ["/busybox", "sh", "-c", script, "wait-for", "db", "5432"], resources, securityContext: waitSecurity },
            { name: "wait-for-redis", image: checkerRef, command: ["/busybox", "sh", "-c", script, "wait-for", "redis", "6379"], resources, securityContext: waitSecurity },
        ]);
        expect(r.byName("demo-worker-deployment").inputs.spec.template.spec.initContainers.map((i: any) => i.image)).toEqual([checkerRef, checkerRef]);
        // Native probes: the kubelet's httpGet and tcpSocket, nothing run in the container; a command check is the user's own.
        expect(r.byName("demo-redis-deployment").inputs.spec.template.spec.containers[0].readinessProbe).toMatchObject({ tcpSocket: { port: 6379 } });
        expect(r.byName("demo-db-deployment").inputs.spec.template.spec.containers[0].readinessProbe).toMatchObject({ exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", "app"] } });
    });

    it("runs the db with a Recreate strategy on its retained PVC", () => {
        const db = r.byName("demo-db-deployment").inputs;
        expect(db.spec.replicas).toBe(1);
        expect(db.spec.strategy).toEqual({ type: "Recreate" });
        // up waits for the new pod to be ready (the provider's own await ends once the old pod is scaled to 0: test/e2e/running.test.ts).
        expect(JSON.parse(db.metadata.annotations["pulumi.com/waitFor"])).toEqual([
            "jsonpath={.status.updatedReplicas}=1",
            "jsonpath={.status.availableReplicas}=1",
            "jsonpath={.status.replicas}=1",
        ]);
        // A rolling update keeps the provider's own await.
        expect(r.byName("demo-web-deployment").inputs.metadata.annotations).toBeUndefined();
        expect(db.spec.template.spec.volumes).toEqual([{ name: "vol-pgdata", persistentVolumeClaim: { claimName: "pgdata" } }]);
        const pvc = r.byName("demo-pgdata-pvc");
        expect(pvc.inputs.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } });
        expect(pvc.opts).toMatchObject({ retainOnDelete: true, protect: false });
        // adopted by the next up (patchForce), and not awaited (a Bound claim of a WaitForFirstConsumer class never passes the provider's await)
        expect(pvc.inputs.metadata.annotations).toEqual({ "pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true" });
        expect(r.byName("demo-ns").opts.retainOnDelete).toBe(true);
    });

    it("publishes web through a NodePort Service and closes everything else by NetworkPolicy", () => {
        expect(r.byName("demo-web-published-service").inputs.metadata.name).toBe("web-published");
        expect(r.byName("demo-web-published-service").inputs.spec).toMatchObject({ type: "NodePort", ports: [{ port: 8080, targetPort: 8080, protocol: "TCP" }] });
        // Peers reach web by its name on a ClusterIP Service, as any other.
        expect(r.byName("demo-web-service").inputs.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 8080, targetPort: 8080, protocol: "TCP" }] });
        expect(r.byName("demo-db-service").inputs.spec.type).toBe("ClusterIP");
        expect(r.byName("demo-default-deny").inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const backend = r.byName("demo-backend-policy").inputs.spec;
        expect(backend.podSelector).toEqual({ matchLabels: { "berth.dev/net-backend": "true" } });
        expect(backend.egress).toEqual([{ to: [{ podSelector: { matchLabels: { "berth.dev/net-backend": "true" } } }] }]);
        expect(r.byName("demo-frontend-policy").inputs.spec.egress).toHaveLength(2);
        expect(r.byName("demo-web-published").inputs.spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: "TCP" }] }]);
        expect(r.outputs.urls).toEqual({ web: "http://127.0.0.1:30000" });
    });
});

describe("prod-like overrides", async () => {
    const r = await render(
        demo,
        { ...k8sCfg, protectVolumes: true, services: { web: { scaling: { min: 3, max: 10, cpuPercent: 60 } }, worker: { replicas: 2 } } },
        { secrets, stack: "prod" },
    );
    it("applies the stack's scaling and replicas, and protects volumes", () => {
        expect(r.byName("demo-web-hpa").inputs.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
        expect(r.byName("demo-web-hpa").inputs.spec.metrics[0].resource.target.averageUtilization).toBe(60);
        expect(r.byName("demo-worker-deployment").inputs.spec.replicas).toBe(2);
        expect(r.byName("demo-pgdata-pvc").opts.protect).toBe(true);
    });
});

describe("how up waits for a Recreate rollout (a Deployment with a volume)", () => {
    const waitFor = (r: Awaited<ReturnType<typeof render>>) => {
        const a = r.byName("demo-db-deployment").inputs.metadata.annotations;
        return a === undefined ? undefined : a["pulumi.com/waitFor"] === undefined ? {} : JSON.parse(a["pulumi.com/waitFor"]);
    };
    it("counts the stack's replicas", async () => {
        const r = await render(demo, { ...k8sCfg, volumes: { pgdata: { access: "ReadWriteMany" } }, services: { db: { replicas: 2 } } }, { secrets });
        expect(waitFor(r)).toEqual(["jsonpath={.status.updatedReplicas}=2", "jsonpath={.status.availableReplicas}=2", "jsonpath={.status.replicas}=2"]);
    });
    it("with an autoscaled count, which only the Deployment knows, waits for new pods and the Available condition", async () => {
        const r = await render(demo, { ...k8sCfg, volumes: { pgdata: { access: "ReadWriteMany" } }, services: { db: { scaling: { min: 2, max: 4, cpuPercent: 50 } } } }, { secrets });
        expect(waitFor(r)).toEqual(["jsonpath={.status.updatedReplicas}", 'jsonpath={.status.conditions[?(@.type=="Available")].status}=True']);
    });
    it("with 0 replicas leaves the provider's own await (the status omits zero counts, so a count could never match)", async () => {
        const r = await render(demo, { ...k8sCfg, services: { db: { replicas: 0 } } }, { secrets });
        expect(waitFor(r)).toEqual({});
    });
});

describe("the scale-down stabilization window", () => {
    const web = (scaling: Record<string, unknown>) => ({ ...demo, services: { ...demo.services, web: { ...demo.services.web, scaling: { ...demo.services.web.scaling, ...scaling } } } });

    it("is the HPA's behavior.scaleDown.stabilizationWindowSeconds, from the spec or the stack's override", async () => {
        const fromSpec = await render(web({ scaleDownStabilizationSeconds: 45 }), k8sCfg, { secrets });
        expect(fromSpec.byName("demo-web-hpa").inputs.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 45 });
        const overridden = await render(demo, { ...k8sCfg, services: { web: { scaling: { min: 2, max: 4, cpuPercent: 70, scaleDownStabilizationSeconds: 0 } } } }, { secrets });
        expect(overridden.byName("demo-web-hpa").inputs.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    });

    it("changes nothing on Docker but the warning, which says it applies on Kubernetes only", async () => {
        const short = await render(web({ scaleDownStabilizationSeconds: 45 }), dockerCfg, { secrets });
        const long = await render(demo, dockerCfg, { secrets });
        expect(short.resources.map((x) => x.name)).toEqual(long.resources.map((x) => x.name));
        expect(short.byName("demo-web-0").inputs).toEqual(long.byName("demo-web-0").inputs);
        expect(short.warnings.find((w) => w.startsWith("service web:"))).toMatch(/scaleDownStabilizationSeconds 45 apply on Kubernetes only\)$/);
    });
});

describe("a service with a per-replica volume", async () => {
    const spec = {
        services: {
            cache: {
                image: "redis:7.4",
                replicas: 3,
                ports: [{ port: 6379 }],
                health: { readiness: { tcp: { port: 6379 } } },
                volumes: [{ volume: "data", path: "/data" }],
            },
        },
        volumes: { data: { size: "2Gi", perReplica: true } },
    };

    it("is a StatefulSet on Kubernetes, with a claim template instead of a PVC, retained on delete", async () => {
        const r = await render(spec, k8sCfg);
        expect(r.ofType("kubernetes:core/v1:PersistentVolumeClaim")).toEqual([]);
        expect(r.ofType("kubernetes:apps/v1:Deployment")).toEqual([]);
        const sts = r.byName("demo-cache-statefulset");
        expect(sts.type).toBe("kubernetes:apps/v1:StatefulSet");
        expect(sts.inputs.spec).toMatchObject({
            serviceName: "cache",
            replicas: 3,
            podManagementPolicy: "OrderedReady",
            updateStrategy: { type: "RollingUpdate" },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        });
        expect(sts.inputs.spec.volumeClaimTemplates).toEqual([
            {
                metadata: { name: "data", labels: { "app.kubernetes.io/part-of": "berth", "berth.dev/volume": "data", "berth.dev/retain": "true" } },
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } },
            },
        ]);
        const pod = sts.inputs.spec.template.spec;
        expect(pod.containers[0].volumeMounts).toEqual([{ name: "data", mountPath: "/data", readOnly: false }]);
        expect(pod.volumes).toEqual([]);
        expect(sts.opts.protect).toBe(false);
    });

    it("scales a StatefulSet with its HPA, and prod protects it", async () => {
        const scaled = { ...spec, services: { cache: { ...spec.services.cache, replicas: undefined, scaling: { min: 2, max: 5, cpuPercent: 60 } } } };
        const r = await render(scaled, { ...k8sCfg, protectVolumes: true });
        expect(r.byName("demo-cache-hpa").inputs.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "StatefulSet", name: "cache" });
        expect(r.byName("demo-cache-statefulset").inputs.spec.replicas).toBe(2);
        expect(r.byName("demo-cache-statefulset").opts.ignoreChanges).toEqual(["spec.replicas"]);
        expect(r.byName("demo-cache-statefulset").opts.protect).toBe(true);
    });

    it("is one Docker volume per replica, each mounted by its own container", async () => {
        const r = await render(spec, dockerCfg);
        expect(r.ofType("docker:index/volume:Volume").map((v) => [v.name, v.inputs.name])).toEqual([
            ["demo-data-vol-0", "berth-test-data-0"],
            ["demo-data-vol-1", "berth-test-data-1"],
            ["demo-data-vol-2", "berth-test-data-2"],
        ]);
        for (const i of [0, 1, 2]) {
            expect(r.byName(`demo-cache-${i}`).inputs.volumes).toEqual([{ volumeName: `berth-test-data-${i}`, containerPath: "/data", readOnly: false }]);
            expect(r.byName(`demo-cache-${i}`).opts.deleteBeforeReplace).toBe(true);
        }
    });
});

describe("Docker healthcheck durations", () => {
    it("are written as Docker reads them back (Go's time.Duration), so a check of a minute or more is not a change at every preview", () => {
        // Go's (time.Duration(s) * time.Second).String() for each, printed by Go 1.26 on this machine.
        const go = "0=0s 5=5s 59=59s 60=1m0s 90=1m30s 300=5m0s 3599=59m59s 3600=1h0m0s 3661=1h1m1s 86400=24h0m0s";
        expect([0, 5, 59, 60, 90, 300, 3599, 3600, 3661, 86400].map((n) => `${n}=${goDuration(n)}`).join(" ")).toBe(go);
    });
});
