/**
 * fast-check generators of berth input for the property tests
 * (generated-invalid.test.ts, generated-valid.test.ts): small valid app specs
 * (1-3 services) whose strings are hostile, and single mutations that make
 * one known key path invalid, so that a test can assert the error names it.
 *
 * Names that collide with Object.prototype ("constructor" as a service or
 * volume name, "__proto__" as an env var or config key) are left out on
 * purpose: they hit product defects that are reported, not pinned here
 * (see the report of issue 15, item 5).
 */
import fc from "fast-check";
import { AppInput } from "../../components/spec";

/** Names that Object.prototype already carries ("constructor") or that set a prototype ("__proto__"). */
/**
 * The seed of every property run: fixed, so that `npm test` checks the same
 * generated inputs each time and a red run can be replayed; set BERTH_FC_SEED
 * to explore other inputs (a failure prints its seed and path to replay).
 */
export const SEED = Number(process.env.BERTH_FC_SEED ?? 20261129);

export const prototypeName = (n: string) => n in Object.prototype || n === "__proto__";

/** A service, volume or network name: a DNS label, 1 to 32 characters, long ones included. */
export const dnsLabel = fc
    .oneof(fc.stringMatching(/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/), fc.constantFrom("a", "web", "db", "x".repeat(32), "a-b-c", "z9"))
    .filter((n) => n.length <= 32 && !prototypeName(n));

/** An env var name, sometimes very long. */
export const envName = fc
    .oneof(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
        fc.integer({ min: 200, max: 2000 }).map((n) => `V${"_".repeat(n)}`),
    )
    .filter((n) => !prototypeName(n));

/** Pieces that shells, printf, YAML, JSON, Go templates and HAProxy treat specially. */
const nasty = fc.constantFrom(
    '"', "'", "`", "$(id)", "${HOME}", "$PATH", "%s%n%x", "%", "%20", "%%", ";rm -rf /", "&&", "||", "|", "\\", "\\n", "\n", "\r\n", "\t", " ",
    "=", "==", ":", "#", "!", "*", "?", "~", "<", ">", "{{.}}", "{", "}", "[", "]", "--", "-e", "\u0000", "\u001b[31m", "é", "日本語", "🚀", "\u202e", "\u200b", "\uFEFF",
);

/** A hostile string: arbitrary unicode, shell/format metacharacters, or very long. */
export const hostile = fc.oneof(
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.array(nasty, { minLength: 1, maxLength: 10 }).map((a) => a.join("")),
    fc.tuple(fc.array(nasty, { minLength: 1, maxLength: 4 }), fc.integer({ min: 500, max: 4000 })).map(([a, n]) => a.join("").repeat(n).slice(0, 10_000)),
);

/** An http check path berth accepts: "/" then no whitespace or control characters, but quotes, %, #, $, unicode and length. */
export const hostilePath = fc
    .oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.array(nasty, { maxLength: 10 }).map((a) => a.join("")),
        fc.tuple(fc.array(nasty, { minLength: 1, maxLength: 3 }), fc.integer({ min: 500, max: 3000 })).map(([a, n]) => a.join("").repeat(n)),
    )
    .map((s) => `/${s.replace(/[\s\x00-\x1f\x7f]/g, "")}`);

const image = fc.constantFrom("redis:7", "postgres:16", "registry.example.com/team/app:1.2", `app@sha256:${"a".repeat(64)}`, "127.0.0.1:5000/x/y:tag_1.0", "nginx");

/** A check of one kind; an http or tcp check uses one of the service's ports. */
function check(ports: number[]) {
    const timing = {
        intervalSeconds: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }),
        retries: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        startPeriodSeconds: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
    };
    const kinds: fc.Arbitrary<Record<string, unknown>>[] = [fc.record({ command: fc.array(hostile, { minLength: 1, maxLength: 3 }), ...timing }, { requiredKeys: ["command"] })];
    if (ports.length) {
        kinds.push(fc.record({ http: fc.record({ path: hostilePath, port: fc.constantFrom(...ports) }), ...timing }, { requiredKeys: ["http"] }));
        kinds.push(fc.record({ tcp: fc.record({ port: fc.constantFrom(...ports) }), ...timing }, { requiredKeys: ["tcp"] }));
    }
    return fc.oneof(...kinds);
}

/** Drops the keys whose value is undefined (fc.option's nil), as a hand-written spec would not have them. */
function clean<T extends Record<string, unknown>>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One service, given the names of the services before it (its only possible dependencies) and its volume's name. */
function service(earlier: { name: string; readiness: boolean; ports: boolean }[], volumeName: string) {
    return fc
        .record({
            image,
            command: fc.option(fc.array(hostile, { maxLength: 3 }), { nil: undefined }),
            args: fc.option(fc.array(hostile, { maxLength: 3 }), { nil: undefined }),
            env: fc.uniqueArray(fc.tuple(envName, hostile), { maxLength: 3, selector: ([k]) => k }).map((e) => Object.fromEntries(e)),
            ports: fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom("tcp", "udp"), publish: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }) }), {
                maxLength: 2,
                selector: (p) => p.port,
            }),
            replicasOrScaling: fc.oneof(
                fc.record({ replicas: fc.integer({ min: 0, max: 2 }) }),
                fc.integer({ min: 1, max: 2 }).chain((min) => fc.record({ scaling: fc.record({ min: fc.constant(min), max: fc.integer({ min, max: 5 }), cpuPercent: fc.integer({ min: 1, max: 100 }) }) })),
            ),
            withVolume: fc.boolean(),
            perReplica: fc.boolean(),
            internalNet: fc.boolean(),
            deps: fc.subarray(earlier),
            healthy: fc.boolean(),
            // "always" is the one policy every target honours (Kubernetes refuses the others).
            restart: fc.constantFrom("always", undefined),
            runAsUser: fc.option(fc.integer({ min: 0, max: 65534 }), { nil: undefined }),
        })
        .chain((s) =>
            fc
                .record({
                    readiness: fc.option(check(s.ports.map((p) => p.port)), { nil: undefined }),
                    liveness: fc.option(check(s.ports.map((p) => p.port)), { nil: undefined }),
                })
                .map((health) => ({ ...s, health: clean(health) })),
        )
        .map((s) => {
            const most = "scaling" in s.replicasOrScaling ? s.replicasOrScaling.scaling.max : s.replicasOrScaling.replicas;
            const svc: Record<string, unknown> = clean({
                image: s.image,
                command: s.command,
                args: s.args,
                env: s.env,
                // A published UDP port is refused on Docker (its load balancer proxies TCP only): UDP ports stay unpublished here.
                ports: s.ports.map((p) => clean(p.protocol === "udp" ? { ...p, publish: undefined } : p)),
                ...s.replicasOrScaling,
                health: s.health,
                restart: s.restart,
                networks: s.internalNet ? ["default", "back"] : undefined,
                // "healthy" only where the dependency has a readiness check and a TCP port.
                dependsOn: Object.fromEntries(s.deps.map((d) => [d.name, s.healthy && d.readiness && d.ports ? "healthy" : "started"])),
                volumes: s.withVolume ? [{ volume: volumeName, path: "/data" }] : undefined,
                security: s.runAsUser !== undefined ? { runAsUser: s.runAsUser } : undefined,
            });
            // A volume that more than one replica may mount is per replica, or shared ReadWriteMany.
            const volume = s.withVolume ? clean({ size: "1Gi", perReplica: s.perReplica || undefined, access: !s.perReplica && most > 1 ? "ReadWriteMany" : undefined }) : undefined;
            // A dependent waits on a TCP connection: "healthy" needs a TCP port.
            return { svc, volume, readiness: s.health.readiness !== undefined, ports: s.ports.some((p) => p.protocol === "tcp") };
        });
}

/** A valid app: 1 to 3 services with unique names, dependencies only on earlier ones (a DAG), host ports published once. */
export const validSpec: fc.Arbitrary<AppInput> = fc
    // Mostly one or two services: rendering costs about 0.15 s per service and target.
    .oneof({ arbitrary: fc.constant(1), weight: 6 }, { arbitrary: fc.constant(2), weight: 3 }, { arbitrary: fc.constant(3), weight: 1 })
    .chain((n) => fc.uniqueArray(dnsLabel, { minLength: n, maxLength: n }))
    .chain((names) => {
    const build = (i: number, earlier: { name: string; readiness: boolean; ports: boolean }[]): fc.Arbitrary<{ name: string; s: any }[]> =>
        i === names.length
            ? fc.constant([])
            : service(earlier, `v${i}`).chain((s) => build(i + 1, [...earlier, { name: names[i], readiness: s.readiness, ports: s.ports }]).map((rest) => [{ name: names[i], s }, ...rest]));
    return build(0, []).map((list) => {
        const published = new Set<number>();
        const services: Record<string, any> = {};
        const volumes: Record<string, any> = {};
        list.forEach(({ name, s }, i) => {
            for (const p of s.svc.ports as { publish?: number }[]) {
                if (p.publish === undefined) continue;
                if (published.has(p.publish)) delete p.publish;
                else published.add(p.publish);
            }
            services[name] = s.svc;
            if (s.volume) volumes[`v${i}`] = s.volume;
        });
        return { services, networks: { back: { internal: true } }, volumes };
    });
});

/** How berth writes a key path: `.name` for a plain name, `["..."]` for any other key, `[i]` for an index. */
export function keyPath(root: string, ...keys: (string | number)[]): string {
    return root + keys.map((k) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join("");
}
