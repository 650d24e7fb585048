// Property tests over generated valid input (fast-check, generators.ts): small
// apps (1-3 services) with hostile strings in env values, commands, args and
// health-check paths render on both targets without throwing, and every such
// string reaches the rendered resource inputs exactly as written (no quoting,
// trimming, escaping or re-encoding), where the engine hands it to Docker and
// to Kubernetes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Check, ServiceSpec } from "../../components/spec";
import { SEED, hostile, hostilePath, validSpec } from "./generators";
import { Rendered, render } from "./harness";

const docker = { target: "docker" };
// A registry: a "healthy" dependency's wait runs berth's checker image, pushed there.
const kubernetes = { target: "kubernetes", kubernetes: { namespace: "berth-prop", registry: "127.0.0.1:5000" } };
/** Valid specs rendered on both targets: about 0.3 s (1 service) to 0.7 s (3 services) each under mocks, so this test takes about 130 s alone on 2 cores (more under load). */
const VALID_RUNS = 200;

/** The Docker healthcheck's test that carries the check's own strings: the command, or the checker's argv with the http path verbatim at the end of its URL. */
function dockerCheckCarries(tests: string[], c: Check) {
    if (c.command) expect(tests).toEqual(["CMD", ...c.command]);
    else if (c.http) expect(tests[tests.length - 1]).toBe(`http://127.0.0.1:${c.http.port}${c.http.path}`);
    else expect(tests).toEqual(["CMD", "/.berth/busybox", "nc", "-w", String(c.timeoutSeconds ?? 5), "127.0.0.1", String(c.tcp!.port), "-e", "/.berth/busybox", "true"]);
}

function probeCarries(probe: any, c: Check | undefined) {
    if (!c) return expect(probe).toBeUndefined();
    if (c.command) expect(probe.exec).toEqual({ command: c.command });
    else if (c.http) expect(probe.httpGet).toEqual({ path: c.http.path, port: c.http.port });
    else expect(probe.tcpSocket).toEqual({ port: c.tcp!.port });
}

/** Every service's strings, as the spec gave them, in the Docker containers' inputs. */
function assertDocker(r: Rendered, services: Record<string, Partial<ServiceSpec>>) {
    for (const [name, svc] of Object.entries(services)) {
        const replicas = svc.scaling ? svc.scaling.min : (svc.replicas ?? 1);
        const containers = r.resources.filter((x) => x.type === "docker:index/container:Container" && new RegExp(`^demo-${name}-\\d+$`).test(x.name));
        expect(containers.length, name).toBe(replicas);
        const check = svc.health?.readiness ?? svc.health?.startup ?? svc.health?.liveness;
        for (const c of containers) {
            expect(c.inputs.envs ?? [], name).toEqual(Object.entries(svc.env ?? {}).map(([k, v]) => `${k}=${v}`));
            expect(c.inputs.entrypoints, name).toEqual(svc.command);
            expect(c.inputs.command, name).toEqual(svc.args);
            if (check) dockerCheckCarries(c.inputs.healthcheck.tests, check as Check);
            else expect(c.inputs.healthcheck).toBeUndefined();
        }
    }
}

/** Every service's strings, as the spec gave them, in its Kubernetes workload's container. */
function assertKubernetes(r: Rendered, services: Record<string, Partial<ServiceSpec>>) {
    for (const [name, svc] of Object.entries(services)) {
        const workload = r.resources.find((x) => x.name === `demo-${name}-deployment` || x.name === `demo-${name}-statefulset`);
        expect(workload, `${name}'s workload`).toBeDefined();
        const c = workload!.inputs.spec.template.spec.containers[0];
        expect(c.env ?? [], name).toEqual(Object.entries(svc.env ?? {}).map(([k, v]) => ({ name: k, value: v })));
        expect(c.command, name).toEqual(svc.command);
        expect(c.args, name).toEqual(svc.args);
        probeCarries(c.readinessProbe, svc.health?.readiness as Check | undefined);
        probeCarries(c.livenessProbe, svc.health?.liveness as Check | undefined);
    }
}

describe("generated valid specs", () => {
    it(`${VALID_RUNS} generated small apps render on docker and kubernetes, hostile env values, commands, args and check paths reaching the container inputs verbatim (red if a target throws on input the spec accepts, or alters such a string)`, async () => {
        const started = Date.now();
        let generated = 0;
        let services = 0;
        await fc.assert(
            fc.asyncProperty(validSpec, async (spec) => {
                generated++;
                services += Object.keys(spec.services).length;
                const d = await render(spec, docker);
                assertDocker(d, spec.services as Record<string, Partial<ServiceSpec>>);
                const k = await render(spec, kubernetes);
                assertKubernetes(k, spec.services as Record<string, Partial<ServiceSpec>>);
            }),
            { numRuns: VALID_RUNS, seed: SEED },
        );
        const ms = Date.now() - started;
        console.log(`generated valid specs: ${generated} (${services} services), each rendered on docker and kubernetes, in ${(ms / 1000).toFixed(1)} s`);
        expect(generated).toBe(VALID_RUNS);
    }, 420_000);

    it("a hostile env value, command word and http check path on one service each reach Docker's envs/entrypoints/healthcheck and Kubernetes' env/command/probe unchanged (red if berth quotes, trims, splits or re-encodes them)", async () => {
        const started = Date.now();
        let generated = 0;
        await fc.assert(
            fc.asyncProperty(hostile, fc.array(hostile, { minLength: 1, maxLength: 4 }), hostilePath, fc.array(hostile, { minLength: 1, maxLength: 3 }), async (value, command, path, liveness) => {
                generated++;
                const spec = {
                    services: {
                        api: {
                            image: "registry.example.com/team/api:1.2",
                            env: { HOSTILE: value },
                            command,
                            ports: [{ port: 8080 }],
                            health: { readiness: { http: { path, port: 8080 } }, liveness: { command: liveness } },
                        },
                    },
                };
                const d = (await render(spec, docker)).byName("demo-api-0").inputs;
                expect(d.envs).toEqual([`HOSTILE=${value}`]);
                expect(d.entrypoints).toEqual(command);
                expect(d.healthcheck.tests[d.healthcheck.tests.length - 1]).toBe(`http://127.0.0.1:8080${path}`);
                const c = (await render(spec, kubernetes)).byName("demo-api-deployment").inputs.spec.template.spec.containers[0];
                expect(c.env).toEqual([{ name: "HOSTILE", value }]);
                expect(c.command).toEqual(command);
                expect(c.readinessProbe.httpGet.path).toBe(path);
                expect(c.livenessProbe.exec.command).toEqual(liveness);
            }),
            { numRuns: 25, seed: SEED },
        );
        console.log(`hostile strings: ${generated} generated apps, both targets, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }, 120_000);
});
