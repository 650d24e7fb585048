// Bad input is rejected before any resource is registered, with a message
// that names the stack, the key path and what would be accepted.
import { describe, expect, it } from "vitest";
import { AppInput } from "../../components/spec";
import { demo } from "../../services/demo";
import { render } from "./harness";

const ok: AppInput = {
    services: {
        api: {
            image: "registry.example.com/team/api:1.2",
            ports: [{ port: 8080, publish: 8080 }],
            health: { readiness: { http: { path: "/healthz", port: 8080 } } },
            volumes: [{ volume: "data", path: "/data" }],
            dependsOn: { cache: "healthy" },
        },
        cache: { image: "redis:7", ports: [{ port: 6379 }], health: { readiness: { tcp: { port: 6379 } } } },
    },
    volumes: { data: {} },
};
const docker = { target: "docker" };

/** A deep copy of `ok` with one change. */
function edit(f: (a: any) => void): AppInput {
    const a = structuredClone(ok) as any;
    f(a);
    return a;
}

type Case = [string, AppInput, Record<string, unknown>, RegExp, Record<string, string>?];
const cases: Case[] = [
    ["negative replicas", edit((a) => (a.services.api.replicas = -1)), docker, /app\.services\.api\.replicas: .*0 or more/],
    ["fractional replicas", edit((a) => (a.services.api.replicas = 1.5)), docker, /app\.services\.api\.replicas: .*int/i],
    ["too many replicas", edit((a) => (a.services.api.replicas = 1000)), docker, /app\.services\.api\.replicas: at most 100/],
    ["scaling min > max", edit((a) => (a.services.api.scaling = { min: 5, max: 2, cpuPercent: 50 })), docker, /app\.services\.api\.scaling\.min: min must not exceed max/],
    ["scaling min 0", edit((a) => (a.services.api.scaling = { min: 0, max: 2, cpuPercent: 50 })), docker, /app\.services\.api\.scaling\.min: at least 1/],
    ["scaling without a metric", edit((a) => (a.services.api.scaling = { min: 1, max: 2 })), docker, /app\.services\.api\.scaling: give cpuPercent or memoryPercent/],
    ["cpu target over 100", edit((a) => (a.services.api.scaling = { min: 1, max: 2, cpuPercent: 150 })), docker, /app\.services\.api\.scaling\.cpuPercent/],
    ["stabilization window below 0", edit((a) => (a.services.api.scaling = { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: -5 })), docker, /app\.services\.api\.scaling\.scaleDownStabilizationSeconds: whole seconds from 0 to 3600 /],
    ["stabilization window over Kubernetes' 3600", edit((a) => (a.services.api.scaling = { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: 7200 })), docker, /app\.services\.api\.scaling\.scaleDownStabilizationSeconds: whole seconds from 0 to 3600 \(the most Kubernetes accepts/],
    ["fractional stabilization window", edit((a) => (a.services.api.scaling = { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: 1.5 })), docker, /app\.services\.api\.scaling\.scaleDownStabilizationSeconds: whole seconds/],
    ["stabilization window as a string", edit((a) => (a.services.api.scaling = { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: "5m" })), docker, /app\.services\.api\.scaling\.scaleDownStabilizationSeconds: whole seconds/],
    ["replicas with scaling", edit((a) => ((a.services.api.scaling = { min: 1, max: 2, cpuPercent: 50 }), (a.services.api.replicas = 3))), docker, /replicas and scaling are exclusive/],
    ["healthy dependency without a port", edit((a) => (a.services.cache.ports = [])), docker, /app\.services\.api\.dependsOn\.cache: "healthy" needs services\.cache\.ports/],
    ["rolling update that can never proceed", edit((a) => (a.services.api.rollingUpdate = { maxSurge: 0, maxUnavailable: "0%" })), docker, /app\.services\.api\.rollingUpdate\.maxUnavailable: maxSurge and maxUnavailable cannot both be 0/],
    ["env var name with a space, quoted in the message", edit((a) => (a.services.api.env = { "discovery type": "single-node" })), docker, /app\.services\.api\.env\["discovery type"\]: invalid name: an env var name/],
    ["health path with a space", edit((a) => (a.services.api.health.readiness.http.path = "/health check")), docker, /app\.services\.api\.health\.readiness\.http\.path: a path starting with "\/" with no spaces or control characters/],
    ["unknown target", ok, { target: "swarm" }, /berth:target: .*"docker"\|"kubernetes"/],
    ["missing target", ok, {}, /berth:target: /],
    ["kubernetes without its settings", ok, { target: "kubernetes" }, /berth:kubernetes: target kubernetes needs berth:kubernetes/],
    ["kubernetes bad service type", ok, { target: "kubernetes", kubernetes: { namespace: "x", serviceType: "Public" } }, /berth:kubernetes\.serviceType: .*"NodePort"\|"LoadBalancer"\|"ClusterIP"/],
    ["kubernetes bad namespace", ok, { target: "kubernetes", kubernetes: { namespace: "Bad_NS" } }, /berth:kubernetes\.namespace: .*DNS label/],
    ["bad publish address", ok, { target: "docker", docker: { publishAddress: "localhost" } }, /berth:docker\.publishAddress/],
    ["unknown config key", ok, { target: "docker", replicas: 3 }, /berth:replicas: unknown key \(accepted: berth:target, berth:docker/],
    ["override of an unknown service", ok, { target: "docker", services: { nope: { replicas: 2 } } }, /berth:services\.nope: unknown service \(services: api, cache\)/],
    ["override of the stabilization window out of range", ok, { target: "docker", services: { cache: { scaling: { min: 1, max: 2, cpuPercent: 50, scaleDownStabilizationSeconds: 4000 } } } }, /berth:services\.cache\.scaling\.scaleDownStabilizationSeconds: whole seconds from 0 to 3600/],
    ["override replicas below zero", ok, { target: "docker", services: { api: { replicas: -2 } } }, /berth:services\.api\.replicas: .*0 or more/],
    ["port 0", edit((a) => (a.services.api.ports[0].port = 0)), docker, /app\.services\.api\.ports\[0\]\.port: a port from 1 to 65535/],
    ["port 70000", edit((a) => (a.services.api.ports[0].publish = 70000)), docker, /app\.services\.api\.ports\[0\]\.publish: a port from 1 to 65535/],
    ["bad protocol", edit((a) => (a.services.api.ports[0].protocol = "sctp")), docker, /app\.services\.api\.ports\[0\]\.protocol: .*"tcp"\|"udp"/],
    ["published UDP on Docker", edit((a) => (a.services.api.ports = [{ port: 53, protocol: "udp", publish: 53 }])), docker, /app\.services\.api\.ports\[0\]: a published UDP port cannot be honoured on Docker: .*proxies TCP only; publish a TCP port, or leave this one unpublished \(peers still reach api:53\/udp\)/],
    ["published port clash", edit((a) => (a.services.cache.ports[0].publish = 8080)), docker, /app\.services\.cache\.ports\[0\]\.publish: host port 8080 is already published by service "api"/],
    ["port listed twice", edit((a) => a.services.api.ports.push({ port: 8080 })), docker, /app\.services\.api\.ports\[1\]\.port: port 8080\/tcp is listed twice/],
    ["mount of an undeclared volume", edit((a) => (a.services.api.volumes[0].volume = "logs")), docker, /app\.services\.api\.volumes\[0\]\.volume: volume "logs" is not declared in volumes \(declared: data\)/],
    ["relative mount path", edit((a) => (a.services.api.volumes[0].path = "data")), docker, /app\.services\.api\.volumes\[0\]\.path: an absolute path/],
    ["undeclared network", edit((a) => (a.services.api.networks = ["public"])), docker, /app\.services\.api\.networks\[0\]: network "public" is not declared in networks \(declared: default\)/],
    ["dependency on an unknown service", edit((a) => (a.services.api.dependsOn = { db: "healthy" })), docker, /app\.services\.api\.dependsOn\.db: unknown service "db" \(services: api, cache\)/],
    ["bad dependency condition", edit((a) => (a.services.api.dependsOn = { cache: "ready" })), docker, /app\.services\.api\.dependsOn\.cache: .*"started"\|"healthy"/],
    ["healthy dependency without readiness", edit((a) => delete a.services.cache.health), docker, /"healthy" needs services\.cache\.health\.readiness/],
    ["dependency cycle", edit((a) => (a.services.cache.dependsOn = { api: "started" })), docker, /dependency cycle: api -> cache -> api/],
    ["both image and build", edit((a) => (a.services.api.build = { context: "." })), docker, /app\.services\.api: give exactly one of image or build/],
    ["neither image nor build", edit((a) => delete a.services.api.image), docker, /app\.services\.api: give exactly one of image or build/],
    ["image reference that does not parse", edit((a) => (a.services.api.image = "Bad Image:latest!")), docker, /app\.services\.api\.image: an image reference such as/],
    ["image digest too short", edit((a) => (a.services.api.image = "app@sha256:abc")), docker, /app\.services\.api\.image: an image reference/],
    ["service name not a DNS label", edit((a) => (a.services.Web_1 = a.services.cache)), docker, /app\.services\.Web_1: .*DNS label/],
    ["no services", { services: {} }, docker, /app\.services: at least one service/],
    ["unknown service field", edit((a) => (a.services.api.replica = 2)), docker, /app\.services\.api: Unrecognized key: "replica"/],
    ["check with two kinds", edit((a) => (a.services.api.health.readiness.tcp = { port: 8080 })), docker, /app\.services\.api\.health\.readiness: exactly one of http, tcp or command/],
    ["check of an unlisted port", edit((a) => (a.services.api.health.readiness.http.port = 9999)), docker, /app\.services\.api\.health\.readiness: checks port 9999, which is not in services\.api\.ports/],
    ["http check path not absolute", edit((a) => (a.services.api.health.readiness.http.path = "healthz")), docker, /app\.services\.api\.health\.readiness\.http\.path: a path starting with "\/"/],
    ["bad cpu quantity", edit((a) => (a.services.api.resources = { cpu: { limit: "two" } })), docker, /app\.services\.api\.resources\.cpu\.limit: a cpu quantity such as "250m"/],
    ["bad memory quantity", edit((a) => (a.services.api.resources = { memory: { limit: "512MB" } })), docker, /app\.services\.api\.resources\.memory\.limit: a size such as "256Mi"/],
    ["replicas sharing a ReadWriteOnce volume", edit((a) => (a.services.api.replicas = 2)), docker, /app\.services\.api\.replicas: up to 2 replicas would share volume data, one ReadWriteOnce data directory; set volumes\.data\.perReplica: true to give each replica its own copy, or volumes\.data\.access: ReadWriteMany if they may share it/],
    ["a scaling rule sharing a ReadWriteOnce volume", edit((a) => (a.services.api.scaling = { min: 1, max: 4, cpuPercent: 50 })), docker, /app\.services\.api\.scaling\.max: up to 4 replicas would share volume data/],
    ["stack replicas sharing a ReadWriteOnce volume", ok, { target: "docker", services: { api: { replicas: 3 } } }, /berth:services\.api\.replicas: up to 3 replicas would share volume data/],
    ["a per-replica volume mounted by two services", edit((a) => ((a.volumes.data.perReplica = true), (a.services.cache.volumes = [{ volume: "data", path: "/d" }]))), docker, /app\.services\.cache\.volumes\[0\]\.volume: volume "data" is perReplica and already mounted by service "api": a per-replica volume belongs to one service/],
    ["bad volume access", edit((a) => (a.volumes.data.access = "Shared")), docker, /app\.volumes\.data\.access: .*"ReadWriteOnce"/],
    ["bad restart policy", edit((a) => (a.services.api.restart = "sometimes")), docker, /app\.services\.api\.restart: one of "always", "unless-stopped", "on-failure", "on-failure:N"/],
    ["env var name invalid", edit((a) => (a.services.api.env = { "BAD=NAME": "x" })), docker, /app\.services\.api\.env\["BAD=NAME"\]: .*env var name/],
    ["secret given in plain config", edit((a) => (a.services.api.secrets = { TOKEN: { config: "apiToken" } })), { ...docker, apiToken: "plain-text" }, /berth:apiToken: is plain text in config; secrets must be set with --secret \(pulumi config set --secret berth:apiToken --stack test\)/],
    ["secret not set", edit((a) => (a.services.api.secrets = { TOKEN: { config: "apiToken" } })), docker, /berth:apiToken: not set; a service reads it as a secret/],
    ["secret both env and secret", edit((a) => ((a.services.api.env = { TOKEN: "x" }), (a.services.api.secrets = { TOKEN: { config: "apiToken" } }))), docker, /app\.services\.api\.secrets\.TOKEN: "TOKEN" is both in env and in secrets/, { apiToken: "s" }],
    ["override of an unknown volume", ok, { target: "docker", volumes: { logs: { size: "2Gi" } } }, /berth:volumes\.logs: unknown volume \(volumes: data\)/],
    ["volume override with a bad size", ok, { target: "docker", volumes: { data: { size: "lots" } } }, /berth:volumes\.data\.size: a size such as "256Mi"/],
    ["file secret with a read-only root on Docker", edit((a) => ((a.services.api.secrets = { "tls.key": { config: "apiKey", as: "file" } }), (a.services.api.security = { readOnlyRootFilesystem: true }))), docker, /app\.services\.api\.secrets\["tls\.key"\]: a file secret is uploaded into the container, which the Docker engine refuses with app\.services\.api\.security\.readOnlyRootFilesystem true; give it as: "env" on this stack, or set readOnlyRootFilesystem to false/, { apiKey: "s" }],
    ["env override of a secret", edit((a) => (a.services.api.secrets = { TOKEN: { config: "apiToken" } })), { target: "docker", services: { api: { env: { TOKEN: "plain" } } } }, /berth:services\.api\.env\.TOKEN: "TOKEN" is a secret of the service/, { apiToken: "s" }],
    ["kubernetes build without registry", { services: { web: { build: { context: "services/web" } } } }, { target: "kubernetes", kubernetes: { namespace: "x" } }, /berth:kubernetes\.registry: service web is built from services\/web, so the stack needs a registry/],
];

describe("bad input", () => {
    it("has a table of at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));

    it.each(cases)("rejects %s", async (_title, spec, config, message, secrets) => {
        let error: Error | undefined;
        let registered = -1;
        try {
            const r = await render(spec, config, { secrets });
            registered = r.resources.length;
        } catch (e) {
            error = e as Error;
        }
        expect(error, `expected a rejection, but ${registered} resources were registered`).toBeDefined();
        expect(error!.message).toMatch(/^berth: stack "test" has invalid input:/);
        expect(error!.message).toMatch(message);
    });

    it("reports every problem in one round: a refused name or option does not hide the cross-field checks", async () => {
        const spec = edit((a) => {
            a.services.api.env = { "discovery type": "single-node" }; // a refused name
            a.services.api.networks = ["public"]; // not declared
            a.services.cache.restart = "sometimes"; // not an accepted option
            a.services.cache.ports = []; // so api's "healthy" dependency has nothing to wait on
            a.services.cache.dependsOn = { ghost: "started" }; // unknown service
            a.volumes.my_data = {}; // a refused volume name...
            a.services.api.volumes.push({ volume: "my_data", path: "/more" }); // ...is not reported again as undeclared
        });
        const error = await render(spec, { target: "docker", services: { nope: { replicas: 2 } } }).then(
            () => undefined,
            (e: Error) => e,
        );
        const lines = error!.message.split("\n").slice(1);
        expect(lines).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^  - app\.services\.api\.env\["discovery type"\]: invalid name: an env var name/),
                expect.stringMatching(/^  - app\.services\.cache\.restart: /),
                expect.stringMatching(/^  - app\.volumes\.my_data: invalid name/),
                expect.stringMatching(/^  - app\.services\.api\.volumes\[1\]\.volume: a lowercase DNS label/),
                '  - app.services.api.networks[0]: network "public" is not declared in networks (declared: default)',
                '  - app.services.api.dependsOn.cache: "healthy" needs services.cache.ports (a dependent waits until it answers there); declare one, or use "started"',
                expect.stringMatching(/^  - app\.services\.cache\.dependsOn\.ghost: unknown service "ghost"/),
                expect.stringMatching(/^  - berth:services\.nope: unknown service/),
            ]),
        );
        expect(lines.filter((l) => l.includes("my_data") && l.includes("not declared"))).toEqual([]);
    });

    it("registers nothing when the input is bad", async () => {
        // render() throws from the App's constructor, before super(): no resource exists to register.
        const { resources } = await render(ok, docker).catch(() => ({ resources: [] as unknown[] }));
        expect(resources.length).toBeGreaterThan(0); // the good input does register
        let count = 0;
        await render(edit((a) => (a.services.api.replicas = -1)), docker).catch(() => undefined);
        const pulumi = await import("@pulumi/pulumi");
        await pulumi.runtime.setMocks({ newResource: (a) => (count++, { id: a.name, state: a.inputs }), call: (a) => a.inputs }, "berth", "test", true, "organization");
        const { App } = await import("../../components/app");
        await expect(App.create("bad", { spec: edit((a) => (a.services.api.replicas = -1)), config: { target: "docker" } })).rejects.toThrow(/replicas/);
        await new Promise((r) => setTimeout(r, 50));
        expect(count).toBe(0);
    });

    it("accepts the demo app on both targets", async () => {
        await expect(render(demo, docker, { secrets: { dbPassword: "x" } })).resolves.toBeDefined();
        await expect(
            render(demo, { target: "kubernetes", kubernetes: { namespace: "x", registry: "127.0.0.1:5000" } }, { secrets: { dbPassword: "x" } }),
        ).resolves.toBeDefined();
    });
});
