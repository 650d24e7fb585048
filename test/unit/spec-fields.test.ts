// Spec fields that Compose users write (issue 12), each with its meaning on
// both targets and its refusals: the stack's image override, restart
// on-failure:N, labels, user by name, build target and args, aliases, and
// dotted env names.
import { describe, expect, it } from "vitest";
import { contextHash } from "../../components/images";
import { dockerBuildArgs } from "../../components/registry";
import { AppInput } from "../../components/spec";
import { Rendered, refusal, render } from "./harness";

const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };

/** One service, `app`, from an image, with these fields. */
const one = (fields: Record<string, unknown>): AppInput => ({ services: { app: { image: "nginx:1.27", ...fields } } });


const container = (r: Rendered, svc = "app") => r.byName(`demo-${svc}-deployment`).inputs.spec.template.spec.containers[0];

describe("image override per stack (berth:images)", () => {
    const app: AppInput = {
        services: {
            db: { image: "postgres:16" },
            cache: { image: "redis:7" },
            web: { build: { context: "test/unit/fixtures" } },
        },
    };
    const images = { "postgres:16": "localhost:5000/mirror/postgres:16" };

    it("Docker pulls and runs the mirror's image for every service that names the key, and the others' own", async () => {
        const r = await render(app, { ...dockerCfg, images });
        expect(r.byName("demo-db-image").inputs.name).toBe("localhost:5000/mirror/postgres:16");
        expect(r.byName("demo-cache-image").inputs.name).toBe("redis:7");
        expect(r.byName("demo-db-0").inputs.image).toBe("sha256:demo-db-image");
    });

    it("Kubernetes pods reference the mirror's image", async () => {
        const r = await render(app, { ...k8sCfg, images });
        expect(container(r, "db").image).toBe("localhost:5000/mirror/postgres:16");
        expect(container(r, "cache").image).toBe("redis:7");
    });

    it("applies to every service that uses the image, and the manifest records what runs", async () => {
        const two: AppInput = { services: { a: { image: "postgres:16" }, b: { image: "postgres:16" } } };
        const r = await render(two, { ...k8sCfg, images });
        expect([container(r, "a").image, container(r, "b").image]).toEqual(["localhost:5000/mirror/postgres:16", "localhost:5000/mirror/postgres:16"]);
    });

    it.each([dockerCfg, k8sCfg])("refuses a key that no service uses, naming it and listing the app's images (%o)", async (cfg) => {
        const e = await refusal(app, { ...cfg, images: { ...images, "postgres:15": "localhost:5000/mirror/postgres:15" } });
        expect(e.message).toContain('berth:images["postgres:15"]: no service\'s image is postgres:15, so this override would change nothing (the app\'s images: postgres:16, redis:7)');
        expect(e.message).not.toContain('berth:images["postgres:16"]');
    });

    it("refuses a reference that is not an image reference, on either side", async () => {
        const e = await refusal(app, { ...dockerCfg, images: { "postgres:16": "Not An Image" } });
        expect(e.message).toMatch(/berth:images\["postgres:16"\]: an image reference such as/);
        const k = await refusal(app, { ...dockerCfg, images: { "UPPER:1": "x:1" } });
        expect(k.message).toMatch(/berth:images\["UPPER:1"\]: invalid name: an image reference such as/);
    });
});

describe("restart on-failure:N", () => {
    it("Docker runs it as the engine's on-failure policy with a maximum retry count of N", async () => {
        const r = await render(one({ restart: "on-failure:5" }), dockerCfg);
        expect(r.byName("demo-app-0").inputs).toMatchObject({ restart: "on-failure", maxRetryCount: 5 });
    });

    it("sets no retry count for any other policy", async () => {
        for (const restart of ["on-failure", "always", "no"]) {
            const r = await render(one({ restart }), dockerCfg);
            expect(r.byName("demo-app-0").inputs.maxRetryCount, restart).toBeUndefined();
        }
    });

    it("a stack may set it for a service", async () => {
        const r = await render(one({}), { ...dockerCfg, services: { app: { restart: "on-failure:2" } } });
        expect(r.byName("demo-app-0").inputs).toMatchObject({ restart: "on-failure", maxRetryCount: 2 });
    });

    it("Kubernetes refuses it as it refuses on-failure, naming the field, the target and what works", async () => {
        const e = await refusal(one({ restart: "on-failure:5" }), k8sCfg);
        expect(e.message).toContain(
            'app.services.app.restart: "on-failure:5" cannot be honoured on Kubernetes: a Deployment or StatefulSet restarts its pods always (restartPolicy Always is the only one it accepts); use "always" or "unless-stopped", or set berth:services.app.restart for this stack',
        );
    });
});

describe("labels", () => {
    const labels = { "com.example.team": "web", "example.com/owner": "ops" };

    it("Docker sets them on every container of the service, beside berth's own", async () => {
        const r = await render(one({ labels, replicas: 2 }), dockerCfg);
        for (const i of [0, 1]) {
            expect(r.byName(`demo-app-${i}`).inputs.labels).toEqual([
                { label: "berth.dev/project", value: "berth" },
                { label: "berth.dev/stack", value: "test" },
                { label: "com.example.team", value: "web" },
                { label: "example.com/owner", value: "ops" },
                { label: "berth.dev/service", value: "app" },
                { label: "berth.dev/replica", value: String(i) },
            ]);
        }
    });

    it("Kubernetes sets them as annotations of the Deployment and its pod template, never as labels", async () => {
        const r = await render(one({ labels, ports: [{ port: 80 }] }), k8sCfg);
        const d = r.byName("demo-app-deployment").inputs;
        expect(d.metadata.annotations).toEqual(labels);
        expect(d.spec.template.metadata.annotations).toEqual(labels);
        expect(d.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "berth", "app.kubernetes.io/name": "app" });
        expect(d.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "app" });
        expect(Object.keys(d.spec.template.metadata.labels)).not.toContain("com.example.team");
        expect(r.byName("demo-app-service").inputs.metadata.annotations).toBeUndefined();
    });

    it("Kubernetes sets them on a StatefulSet too", async () => {
        const spec: AppInput = { services: { app: { image: "nginx:1.27", labels, volumes: [{ volume: "data", path: "/data" }] } }, volumes: { data: { perReplica: true } } };
        const s = (await render(spec, k8sCfg)).byName("demo-app-statefulset").inputs;
        expect([s.metadata.annotations, s.spec.template.metadata.annotations]).toEqual([labels, labels]);
    });

    it("sets no annotations when there are none", async () => {
        const d = (await render(one({}), k8sCfg)).byName("demo-app-deployment").inputs;
        expect([d.metadata.annotations, d.spec.template.metadata.annotations]).toEqual([undefined, undefined]);
    });

    it.each([dockerCfg, k8sCfg])("refuses berth's own keys and keys with spaces or '=' (%o)", async (cfg) => {
        const e = await refusal(one({ labels: { "berth.dev/service": "x", "a b": "y", "a=b": "z" } }), cfg);
        expect(e.message).toContain('app.services.app.labels["berth.dev/service"]: invalid name: keys under berth.dev/ are berth\'s own');
        expect(e.message).toContain('app.services.app.labels["a b"]: invalid name: a label key such as');
        expect(e.message).toContain('app.services.app.labels["a=b"]: invalid name: a label key such as');
    });

    it("Kubernetes refuses a key it does not take for an annotation; Docker runs it", async () => {
        const long = `com.example/${"x".repeat(64)}`;
        const e = await refusal(one({ labels: { [long]: "1", "Upper.Case/x": "2", "ok.key": "3" } }), k8sCfg);
        expect(e.message).toContain(`app.services.app.labels["${long}"]: cannot be honoured on Kubernetes, where a service's labels are annotations`);
        expect(e.message).toContain('app.services.app.labels["Upper.Case/x"]: cannot be honoured on Kubernetes');
        expect(e.message).not.toContain('labels["ok.key"]');
        const d = await render(one({ labels: { [long]: "1" } }), dockerCfg);
        expect(d.byName("demo-app-0").inputs.labels).toContainEqual({ label: long, value: "1" });
    });
});

describe("security.user (a name or uid, as Compose's user)", () => {
    const sc = (r: Rendered) => container(r).securityContext;

    it.each(["postgres", "1000", "1000:1000", "www-data:www-data", "999:staff"])("Docker runs the container as %s, as written", async (user) => {
        expect((await render(one({ security: { user } }), dockerCfg)).byName("demo-app-0").inputs.user).toBe(user);
    });

    it("Docker still runs runAsUser as the uid, and no user when neither is given", async () => {
        expect((await render(one({ security: { runAsUser: 70 } }), dockerCfg)).byName("demo-app-0").inputs.user).toBe("70");
        expect((await render(one({}), dockerCfg)).byName("demo-app-0").inputs.user).toBeUndefined();
    });

    it("Kubernetes runs a numeric uid:gid as runAsUser and runAsGroup", async () => {
        const spec: AppInput = {
            services: {
                db: { image: "postgres:16", ports: [{ port: 5432 }], health: { readiness: { tcp: { port: 5432 } } } },
                app: { image: "nginx:1.27", security: { user: "1000:2000" }, dependsOn: { db: "healthy" } },
            },
        };
        const r = await render(spec, k8sCfg);
        expect(sc(r)).toMatchObject({ runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true });
    });

    it("Kubernetes: a uid alone sets no group; uid 0 is not non-root", async () => {
        const uid = sc(await render(one({ security: { user: "1000" } }), k8sCfg));
        expect([uid.runAsUser, uid.runAsGroup, uid.runAsNonRoot]).toEqual([1000, undefined, true]);
        const root = sc(await render(one({ security: { user: "0:0" } }), k8sCfg));
        expect([root.runAsUser, root.runAsGroup, root.runAsNonRoot]).toEqual([0, 0, undefined]);
    });

    it.each([
        ["postgres", "a user (postgres)"],
        ["1000:staff", "a group (staff)"],
    ])("Kubernetes refuses the name in %s, naming the field and saying to give the uid", async (user, what) => {
        const e = await refusal(one({ security: { user } }), k8sCfg);
        expect(e.message).toContain(
            `app.services.app.security.user: "${user}" names ${what}, which Kubernetes cannot run as: a pod's securityContext takes numeric ids only (runAsUser, runAsGroup); give the uid (and gid) instead, e.g. security.user: "999:999"`,
        );
    });

    it("refuses user with runAsUser, and a user that is not one", async () => {
        const both = await refusal(one({ security: { user: "1000", runAsUser: 1000 } }), dockerCfg);
        expect(both.message).toContain('app.services.app.security.runAsUser: give security.user or security.runAsUser, not both');
        const bad = await refusal(one({ security: { user: "a b" } }), dockerCfg);
        expect(bad.message).toContain('app.services.app.security.user: a user as Compose writes it');
        const colon = await refusal(one({ security: { user: "1000:" } }), dockerCfg);
        expect(colon.message).toContain('app.services.app.security.user: a user as Compose writes it');
    });
});

describe("build target and args", () => {
    const build = { context: "test/unit/fixtures", target: "prod", args: { NODE_ENV: "production", VERSION: "1.2" } };
    const built = (b: Record<string, unknown>): AppInput => ({ services: { web: { build: b as { context: string } } } });

    it("Docker builds that stage with those args", async () => {
        const r = await render(built(build), dockerCfg);
        expect(r.byName("demo-web-image").inputs.build).toMatchObject({ context: "test/unit/fixtures", target: "prod", args: { NODE_ENV: "production", VERSION: "1.2" } });
    });

    it("Kubernetes builds (and pushes) that stage with those args", async () => {
        const r = await render(built(build), k8sCfg);
        expect(r.byName("demo-web-image").inputs).toMatchObject({ context: "test/unit/fixtures", target: "prod", args: { NODE_ENV: "production", VERSION: "1.2" } });
    });

    it("the tag changes with the target or an arg, on both targets, and not with the args' order; without them it is the context's hash", async () => {
        const tag = async (b: { context: string; target?: string; args?: Record<string, string> }) => {
            const d = (await render(built(b), dockerCfg)).byName("demo-web-image").inputs.imageName.split(":").pop();
            const k = (await render(built(b), k8sCfg)).byName("demo-web-image").inputs.tag;
            expect(d).toBe(k);
            return d as string;
        };
        const plain = await tag({ context: "test/unit/fixtures" });
        expect(plain).toBe(contextHash("test/unit/fixtures"));
        const withBoth = await tag(build);
        const otherTarget = await tag({ ...build, target: "dev" });
        const otherArg = await tag({ ...build, args: { ...build.args, VERSION: "1.3" } });
        const reordered = await tag({ ...build, args: { VERSION: "1.2", NODE_ENV: "production" } });
        expect(new Set([plain, withBoth, otherTarget, otherArg]).size).toBe(4);
        expect(reordered).toBe(withBoth);
    });

    it("the Kubernetes image build runs docker build --target and --build-arg", () => {
        expect(dockerBuildArgs({ context: "web", repository: "r/x", tag: "t", target: "prod", args: { A: "1", B: "x y" } }, "r/x:t", "web/Dockerfile")).toEqual([
            "build", "--quiet", "--tag", "r/x:t", "--file", "web/Dockerfile", "--target", "prod", "--build-arg", "A=1", "--build-arg", "B=x y", "web",
        ]);
        expect(dockerBuildArgs({ context: "web", repository: "r/x", tag: "t" }, "r/x:t", "web/Dockerfile")).toEqual(["build", "--quiet", "--tag", "r/x:t", "--file", "web/Dockerfile", "web"]);
    });

    it("refuses a stage or argument name a Dockerfile cannot have", async () => {
        const e = await refusal(built({ context: "test/unit/fixtures", target: "a b", args: { "NOT-OK": "1" } }), dockerCfg);
        expect(e.message).toContain('app.services.web.build.target: a Dockerfile stage name such as "prod"');
        expect(e.message).toContain('app.services.web.build.args.NOT-OK: invalid name: a build argument name');
    });
});

describe("Kubernetes Services of a published service", () => {
    const app = one({ ports: [{ port: 80, publish: 8080 }, { port: 9090 }, { port: 53, protocol: "udp", publish: 5353 }] });

    it("peers reach every port at <service>:<container port>, on a ClusterIP Service (8080:80 keeps 80)", async () => {
        const r = await render(app, k8sCfg);
        const s = r.byName("demo-app-service").inputs;
        expect(s.metadata.name).toBe("app");
        expect(s.spec).toEqual({
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "app" },
            ports: [
                { name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" },
                { name: "tcp-9090", port: 9090, targetPort: 9090, protocol: "TCP" },
                { name: "udp-53", port: 53, targetPort: 53, protocol: "UDP" },
            ],
        });
    });

    it.each(["NodePort", "LoadBalancer", "ClusterIP"])("only the published ports are on the %s Service, at their published ports", async (serviceType) => {
        const r = await render(app, { ...k8sCfg, kubernetes: { ...k8sCfg.kubernetes, serviceType } });
        const p = r.byName("demo-app-published-service").inputs;
        expect(p.metadata.name).toBe("app-published");
        expect(p.spec).toEqual({
            type: serviceType,
            selector: { "app.kubernetes.io/name": "app" },
            ports: [
                { name: "tcp-8080", port: 8080, targetPort: 80, protocol: "TCP" },
                { name: "udp-5353", port: 5353, targetPort: 53, protocol: "UDP" },
            ],
        });
        expect(r.ofType("kubernetes:core/v1:Service").filter((x) => x.inputs.spec !== undefined && x.inputs.spec.type !== "ClusterIP").map((x) => x.name)).toEqual(serviceType === "ClusterIP" ? [] : ["demo-app-published-service"]);
    });

    it("the URL is the published Service's node port, and the Ingress sends to it", async () => {
        const r = await render(app, k8sCfg);
        expect(r.outputs.urls).toEqual({ app: "http://127.0.0.1:30000" });
        const i = await render(app, { ...k8sCfg, kubernetes: { ...k8sCfg.kubernetes, ingressHost: "shop.example.com" } });
        expect(i.byName("demo-app-ingress").inputs.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: "app-published", port: { number: 8080 } } });
    });

    it("an unpublished service has its ClusterIP Service only", async () => {
        const r = await render(one({ ports: [{ port: 80 }] }), k8sCfg);
        expect(r.ofType("kubernetes:core/v1:Service").map((x) => x.inputs.metadata.name)).toEqual(["app"]);
    });
});

describe("aliases", () => {
    const spec: AppInput = {
        services: {
            db: { image: "postgres:16", ports: [{ port: 5432 }], aliases: ["database", "postgres"], networks: ["default", "back"] },
            web: { image: "nginx:1.27", ports: [{ port: 80, publish: 8080 }], aliases: ["www"] },
        },
        networks: { back: {} },
    };

    it("Docker adds them as network aliases on every network the service joins", async () => {
        const r = await render(spec, dockerCfg);
        expect(r.byName("demo-db-0").inputs.networksAdvanced).toEqual([
            { name: "berth-test-default", aliases: ["db", "database", "postgres"] },
            { name: "berth-test-back", aliases: ["db", "database", "postgres"] },
        ]);
        expect(r.byName("demo-web-0").inputs.networksAdvanced).toEqual([{ name: "berth-test-default", aliases: ["web", "www"] }]);
    });

    it("Kubernetes makes a ClusterIP Service per alias, selecting the same pods on the same container ports", async () => {
        const r = await render(spec, k8sCfg);
        for (const alias of ["database", "postgres"]) {
            const s = r.byName(`demo-db-alias-${alias}`).inputs;
            expect(s.metadata).toEqual({ name: alias, namespace: "berth-test", labels: { "app.kubernetes.io/part-of": "berth", "app.kubernetes.io/name": "db", "berth.dev/alias-of": "db" } });
            expect(s.spec).toEqual({ type: "ClusterIP", selector: { "app.kubernetes.io/name": "db" }, ports: [{ name: "tcp-5432", port: 5432, targetPort: 5432, protocol: "TCP" }] });
        }
        // A published service's alias is in-cluster: its container port, never the published one.
        expect(r.byName("demo-web-alias-www").inputs.spec).toEqual({ type: "ClusterIP", selector: { "app.kubernetes.io/name": "web" }, ports: [{ name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" }] });
        expect(r.ofType("kubernetes:core/v1:Service").map((x) => x.inputs.metadata.name).sort()).toEqual(["database", "db", "postgres", "web", "web-published", "www"]);
    });

    it.each([dockerCfg, k8sCfg])("refuses an alias that is a service's name, or another's alias, or listed twice (%o)", async (cfg) => {
        const bad: AppInput = {
            services: {
                a: { image: "nginx:1.27", ports: [{ port: 80 }], aliases: ["b", "a", "x", "x"] },
                b: { image: "nginx:1.27", ports: [{ port: 80 }], aliases: ["x", "Not_DNS"] },
            },
        };
        const e = await refusal(bad, cfg);
        expect(e.message).toContain('app.services.a.aliases[0]: "b" is the name of service b: an alias must be a name no service has');
        expect(e.message).toContain('app.services.a.aliases[1]: "a" is the name of service a itself: an alias must be a name no service has');
        expect(e.message).toContain('app.services.a.aliases[3]: "x" is already an alias of service a (listed twice): a name reaches one service');
        expect(e.message).toContain('app.services.b.aliases[0]: "x" is already an alias of service a: a name reaches one service');
        expect(e.message).toContain("app.services.b.aliases[1]: a lowercase DNS label");
        expect(e.message).not.toContain("app.services.a.aliases[2]");
    });

    it("Kubernetes refuses aliases of a service without ports, and a name its published Service takes; Docker runs them", async () => {
        const noPorts: AppInput = { services: { worker: { image: "busybox:1.36", aliases: ["jobs"] } } };
        const e = await refusal(noPorts, k8sCfg);
        expect(e.message).toContain("app.services.worker.aliases: cannot be honoured on Kubernetes for a service without ports: an alias is a Service selecting worker's pods, and a Service forwards the ports it lists");
        expect((await render(noPorts, dockerCfg)).byName("demo-worker-0").inputs.networksAdvanced[0].aliases).toEqual(["worker", "jobs"]);
        const clash: AppInput = {
            services: {
                web: { image: "nginx:1.27", ports: [{ port: 80, publish: 8080 }], aliases: ["web-published"] },
                "web2-published": { image: "nginx:1.27", ports: [{ port: 80 }] },
                web2: { image: "nginx:1.27", ports: [{ port: 80, publish: 8081 }] },
            },
        };
        const c = await refusal(clash, k8sCfg);
        expect(c.message).toContain('app.services.web.aliases[0]: "web-published" cannot be a name on Kubernetes in this app: berth names the Service that publishes web\'s ports web-published; rename it');
        expect(c.message).toContain('app.services.web2-published: "web2-published" cannot be a name on Kubernetes in this app: berth names the Service that publishes web2\'s ports web2-published');
        await render(clash, dockerCfg);
    });
});

describe("env names with '.' and '-'", () => {
    const env = { "discovery.type": "single-node", "spring.profiles-active": "prod", PLAIN: "1" };

    it("Docker and Kubernetes set them as written", async () => {
        const d = await render(one({ env }), dockerCfg);
        expect(d.byName("demo-app-0").inputs.envs).toEqual(["discovery.type=single-node", "spring.profiles-active=prod", "PLAIN=1"]);
        const k = await render(one({ env }), k8sCfg);
        expect(container(k).env).toEqual([
            { name: "discovery.type", value: "single-node" },
            { name: "spring.profiles-active", value: "prod" },
            { name: "PLAIN", value: "1" },
        ]);
    });

    it("a stack overrides a dotted name", async () => {
        const d = await render(one({ env }), { ...dockerCfg, services: { app: { env: { "discovery.type": "multi-node" } } } });
        expect(d.byName("demo-app-0").inputs.envs).toContain("discovery.type=multi-node");
    });

    it("a refused name prints quoted in its key path, so a dot never reads as nesting", async () => {
        const e = await refusal(one({ env: { "a b": "x", "1x": "y", "ok.name": "z" }, secrets: { "s.key": { config: "sKey" } } }), { ...dockerCfg, services: { app: { env: { "s.key": "plain", "=x": "1" } } } });
        expect(e.message).toContain('app.services.app.env["a b"]: invalid name: an env var name');
        expect(e.message).toContain('app.services.app.env["1x"]: invalid name: an env var name');
        expect(e.message).toContain('berth:services.app.env["=x"]: invalid name: an env var name');
        expect(e.message).toContain('berth:services.app.env["s.key"]: "s.key" is a secret of the service; it cannot be overridden in plain config');
        expect(e.message).not.toContain("ok.name");
    });
});
