// Health checks and dependency waits need nothing from the user's image
// (components/checker.ts): on Docker an http or tcp check runs berth's static
// checker in exec form, placed in the container by upload (or a read-only
// bind mount when the root filesystem is read-only); on Kubernetes the probes
// are the kubelet's and a wait runs in berth's checker image. What a target
// cannot do is refused before anything registers.
import { afterEach, describe, expect, it } from "vitest";
import { CHECKER, checkArgv, checkerBinaryProblem, checkerHash, waitArgv } from "../../components/checker";
import { AppInput } from "../../components/spec";
import { render } from "./harness";

const docker = { target: "docker" };
const k8s = { target: "kubernetes", kubernetes: { namespace: "checks-test", registry: "127.0.0.1:5000" } };
const PATH = "/ready/it's/100%25/$HOME/a%s";
const check = { intervalSeconds: 2, timeoutSeconds: 3, retries: 3, startPeriodSeconds: 0 };

/** A server with an http readiness check on a path with quotes, % and $, a dependent that waits on it healthy. */
const app = (server: Record<string, unknown> = {}): AppInput => ({
    services: {
        server: {
            image: "registry.example.com/scratch-httpd:1",
            ports: [{ port: 8080 }],
            health: { readiness: { http: { path: PATH, port: 8080 } } },
            ...server,
        },
        client: { image: "registry.example.com/client:1", dependsOn: { server: "healthy" } },
    },
});

const refusal = (p: Promise<unknown>) =>
    p.then(
        () => {
            throw new Error("rendered; expected a refusal");
        },
        (e: Error & { registered?: unknown[] }) => {
            expect(e.registered).toEqual([]); // refused before anything registered
            return e.message.split("\n").slice(1);
        },
    );

describe("the checker's commands", () => {
    it("http: wget in exec form, the path one argv word as written, no proxy", () => {
        expect(checkArgv({ http: { path: PATH, port: 8080 }, ...check })).toEqual([CHECKER, "wget", "-q", "-Y", "off", "-O", "/dev/null", `http://127.0.0.1:8080${PATH}`]);
    });
    it("tcp: nc connects and runs the checker's true (busybox nc has no -z), its timeout the check's", () => {
        expect(checkArgv({ tcp: { port: 6379 }, ...check })).toEqual([CHECKER, "nc", "-w", "3", "127.0.0.1", "6379", "-e", CHECKER, "true"]);
    });
    it("wait: the checker image's own shell loop, host and port as its arguments", () => {
        const argv = waitArgv("db", 5432);
        expect(argv.slice(0, 3)).toEqual(["/busybox", "sh", "-c"]);
        expect(argv.slice(4)).toEqual(["wait-for", "db", "5432"]);
        expect(argv[3]).not.toMatch(/db|5432/);
    });
    it("accepts a static busybox and refuses a missing or dynamically linked binary", () => {
        expect(checkerBinaryProblem("/bin/busybox")).toBeUndefined();
        expect(checkerBinaryProblem("/nonexistent/busybox")).toMatch(/^\/nonexistent\/busybox is missing \(ENOENT\)$/);
        expect(checkerBinaryProblem("/bin/ls")).toMatch(/^\/bin\/ls is dynamically linked/);
    });
});

describe("docker target", () => {
    afterEach(() => {
        delete process.env.BERTH_CHECKER_BINARY;
        delete process.env.DOCKER_HOST;
    });

    it("uploads the checker and runs the http check in exec form with the path verbatim", async () => {
        const r = await render(app(), docker);
        const c = r.byName("demo-server-0").inputs;
        expect(c.healthcheck).toEqual({
            tests: ["CMD", "/.berth/busybox", "wget", "-q", "-Y", "off", "-O", "/dev/null", "http://127.0.0.1:8080/ready/it's/100%25/$HOME/a%s"],
            interval: "10s",
            timeout: "5s",
            retries: 3,
            startPeriod: "0s",
        });
        expect(c.uploads).toEqual([{ file: "/.berth/busybox", source: "/bin/busybox", sourceHash: checkerHash("/bin/busybox"), permissions: "0755" }]);
        expect(c.volumes).toEqual([]);
        // The dependent is created only once the server is healthy (the provider waits for it).
        expect(c.wait).toBe(true);
        expect(r.byName("demo-client-0").inputs.uploads).toBeUndefined();
    });

    it("with a read-only root, bind-mounts the checker read-only instead (the engine refuses an upload there), beside the service's own mounts", async () => {
        const spec = app({ security: { readOnlyRootFilesystem: true }, volumes: [{ volume: "data", path: "/data" }] });
        (spec as any).volumes = { data: {} };
        const c = (await render(spec, docker)).byName("demo-server-0").inputs;
        expect(c.readOnly).toBe(true);
        expect(c.uploads).toBeUndefined();
        expect(c.volumes).toEqual([
            { volumeName: "berth-test-data", containerPath: "/data", readOnly: false },
            { hostPath: "/bin/busybox", containerPath: "/.berth/busybox", readOnly: true },
        ]);
        expect(c.healthcheck.tests.slice(0, 3)).toEqual(["CMD", "/.berth/busybox", "wget"]);
    });

    it("places no checker for a command check: the user's own command, as written", async () => {
        const c = (await render(app({ health: { readiness: { command: ["/busybox", "wget", "-q", "http://127.0.0.1:8080/"] } } }), docker)).byName("demo-server-0").inputs;
        expect(c.healthcheck.tests).toEqual(["CMD", "/busybox", "wget", "-q", "http://127.0.0.1:8080/"]);
        expect(c.uploads).toBeUndefined();
        expect(c.volumes).toEqual([]);
    });

    it("uses the binary BERTH_CHECKER_BINARY names", async () => {
        process.env.BERTH_CHECKER_BINARY = "/usr/bin/busybox";
        const c = (await render(app(), docker)).byName("demo-server-0").inputs;
        expect(c.uploads[0]).toMatchObject({ file: "/.berth/busybox", source: "/usr/bin/busybox" });
    });

    it("refuses an http or tcp check, and a published port's load balancer check, when the checker binary is missing", async () => {
        process.env.BERTH_CHECKER_BINARY = "/nonexistent/busybox";
        const spec = app({ ports: [{ port: 8080, publish: 18080 }] });
        (spec as any).services.cache = { image: "redis:7", ports: [{ port: 6379 }], health: { readiness: { tcp: { port: 6379 } } } };
        (spec as any).services.db = { image: "postgres:16", health: { readiness: { command: ["pg_isready"] } } };
        const lines = await refusal(render(spec, docker));
        const tail = "but /nonexistent/busybox is missing (ENOENT); run npm run setup (it installs Debian's busybox-static), set BERTH_CHECKER_BINARY to a static busybox, or use a command check that the image can run";
        expect(lines).toEqual([
            `  - app.services.server.health.readiness: an http or tcp check on Docker runs berth's checker, a static busybox copied into the container from this machine, ${tail}`,
            `  - app.services.server.ports[0].publish: the load balancer's tcp check on Docker runs berth's checker, a static busybox copied into the container from this machine, ${tail}`,
            `  - app.services.cache.health.readiness: an http or tcp check on Docker runs berth's checker, a static busybox copied into the container from this machine, ${tail}`,
        ]);
    });

    it("refuses a read-only root with an http check on an engine elsewhere, naming both fields, in the same round as other problems", async () => {
        const spec = app({ security: { readOnlyRootFilesystem: true }, replicas: -1 });
        const lines = await refusal(render(spec, { ...docker, docker: { host: "ssh://me@elsewhere" } }));
        expect(lines).toEqual([
            expect.stringMatching(/^  - app\.services\.server\.replicas: 0 or more$/),
            `  - app.services.server.health.readiness: an http check on Docker runs berth's checker inside the container, and with app.services.server.security.readOnlyRootFilesystem true it can only be bind-mounted from the engine's host, which is not this machine (ssh://me@elsewhere); use a command check that the image can run, set readOnlyRootFilesystem to false, or deploy to a local engine`,
        ]);
        // A writable root on that engine gets the upload, which goes through the engine's API.
        const r = await render(app(), { ...docker, docker: { host: "ssh://me@elsewhere" } });
        expect(r.byName("demo-server-0").inputs.uploads[0].file).toBe("/.berth/busybox");
    });

    it("takes DOCKER_HOST as the engine when berth:docker.host is unset", async () => {
        process.env.DOCKER_HOST = "tcp://10.0.0.5:2376";
        const lines = await refusal(render(app({ security: { readOnlyRootFilesystem: true } }), docker));
        expect(lines).toEqual([expect.stringContaining("which is not this machine (tcp://10.0.0.5:2376)")]);
        process.env.DOCKER_HOST = "unix:///var/run/docker.sock";
        await render(app({ security: { readOnlyRootFilesystem: true } }), docker);
    });
});

describe("kubernetes target", () => {
    it("probes natively: httpGet with the path as written, tcpSocket, exec only for a command check", async () => {
        const spec = app();
        (spec as any).services.cache = { image: "redis:7", ports: [{ port: 6379 }], health: { readiness: { tcp: { port: 6379 } }, liveness: { command: ["redis-cli", "ping"] } } };
        const r = await render(spec, k8s);
        const c = (n: string) => r.byName(`demo-${n}-deployment`).inputs.spec.template.spec.containers[0];
        expect(c("server").readinessProbe).toEqual({ httpGet: { path: PATH, port: 8080 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 0 });
        expect(c("cache").readinessProbe).toEqual({ tcpSocket: { port: 6379 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 0 });
        expect(c("cache").livenessProbe).toEqual({ exec: { command: ["redis-cli", "ping"] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 0 });
    });

    it("waits from berth's checker image, not the dependent's, on the Service port of the readiness check's port", async () => {
        const r = await render(app(), k8s);
        const pod = r.byName("demo-client-deployment").inputs.spec.template.spec;
        expect(pod.initContainers).toHaveLength(1);
        const [wait] = pod.initContainers;
        expect(wait.image).toMatch(/^127\.0\.0\.1:5000\/berth\/checker@sha256:/);
        expect(wait.image).not.toContain("client");
        expect(wait.command).toEqual(waitArgv("server", 8080));
        expect(JSON.stringify(wait)).not.toMatch(/bash|\/dev\/tcp/);
        // One checker image per app, whatever the number of waits.
        expect(r.ofType("pulumi-nodejs:dynamic/berth:RegistryImage").map((x) => x.name)).toEqual(["demo-checker-image"]);
        // No wait, no checker image.
        const none = await render({ services: { a: { image: "redis:7" } } }, k8s);
        expect(none.ofType("pulumi-nodejs:dynamic/berth:RegistryImage")).toEqual([]);
    });

    it("waits on a TCP port the Service really has: not a UDP one listed first, and the container port, which the service's Service keeps when it is published", async () => {
        // The readiness check is a command: the first TCP port, on the Service as it is rendered.
        const spec = app({
            ports: [{ port: 53, protocol: "udp" }, { port: 8080, publish: 18080 }, { port: 9090 }],
            health: { readiness: { command: ["/busybox", "true"] } },
        });
        const r = await render(spec, k8s);
        const service = r.byName("demo-server-service").inputs.spec.ports.find((p: any) => p.targetPort === 8080);
        const wait = r.byName("demo-client-deployment").inputs.spec.template.spec.initContainers[0];
        expect(wait.command.slice(-2)).toEqual(["server", String(service.port)]);
        expect(wait.command.slice(-2)).toEqual(["server", "8080"]);
        // With an http or tcp readiness check, on that check's port.
        const checked = app({ ports: [{ port: 8080 }, { port: 9090 }], health: { readiness: { tcp: { port: 9090 } } } });
        const r2 = await render(checked, k8s);
        expect(r2.byName("demo-client-deployment").inputs.spec.template.spec.initContainers[0].command.slice(-2)).toEqual(["server", "9090"]);
    });

    it('refuses "healthy" on a service with no ports, or UDP ports only: it never renders a wait on /dev/tcp/<svc>/undefined or on a UDP port', async () => {
        const noPorts = await refusal(render(app({ ports: [], health: { readiness: { command: ["/busybox", "true"] } } }), k8s));
        expect(noPorts).toEqual(['  - app.services.client.dependsOn.server: "healthy" needs services.server.ports (a dependent waits until it answers there); declare one, or use "started"']);
        const udp = await refusal(render(app({ ports: [{ port: 53, protocol: "udp" }], health: { readiness: { command: ["/busybox", "true"] } } }), k8s));
        expect(udp).toEqual([
            '  - app.services.client.dependsOn.server: "healthy" needs a TCP port in services.server.ports (a dependent waits until a TCP connection opens there; server declares UDP only); declare one, or use "started"',
        ]);
    });

    it('refuses "healthy" without berth:kubernetes.registry (the checker image is pushed there), saying what works', async () => {
        const lines = await refusal(render(app(), { target: "kubernetes", kubernetes: { namespace: "checks-test" } }));
        expect(lines).toEqual([
            `  - app.services.client.dependsOn.server: "healthy" on Kubernetes runs an init container of berth's checker image (a static busybox, so that client's image needs no shell), which berth builds and pushes to the stack's registry, and berth:kubernetes.registry is not set; set it (e.g. "127.0.0.1:5000"), or use "started"`,
        ]);
        // "started" needs no wait, so no registry.
        const spec = app();
        (spec as any).services.client.dependsOn = { server: "started" };
        const r = await render(spec, { target: "kubernetes", kubernetes: { namespace: "checks-test" } });
        expect(r.byName("demo-client-deployment").inputs.spec.template.spec.initContainers).toBeUndefined();
    });
});
