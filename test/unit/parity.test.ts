// One spec, two targets, one meaning: the demo app rendered on Docker and on
// Kubernetes, read back from what each target registered, must agree on
// replicas, published ports, env and secret names, mounts, probes and volumes.
import { describe, expect, it } from "vitest";
import { demo } from "../../services/demo";
import { Rendered, render } from "./harness";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any) => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);
const seconds = (s: string) => Number(s.replace(/s$/, ""));

interface Meaning {
    replicas: number;
    published: number[];
    env: string[];
    secretEnv: string[];
    mounts: string[];
    probe?: { kind: string; interval: number; timeout: number; retries: number; startPeriod: number };
}

function dockerMeaning(r: Rendered, svc: string): Meaning {
    const replicas = r.resources.filter((x) => x.type === "docker:index/container:Container" && new RegExp(`^demo-${svc}-\\d+$`).test(x.name));
    const c = replicas[0].inputs;
    const envs: string[] = unwrap(c.envs) ?? [];
    const lb = r.resources.find((x) => x.name === `demo-${svc}-lb`);
    const secretNames = Object.keys((demo.services as any)[svc].secrets ?? {});
    const hc = c.healthcheck;
    return {
        replicas: replicas.length,
        published: (lb?.inputs.ports ?? []).map((p: any) => p.external),
        // Which names are secret is read from the wire: the env list is secret iff a secret is in it.
        env: envs.map((e) => e.split("=")[0]).filter((n) => !secretNames.includes(n)).sort(),
        secretEnv: c.envs && SECRET_SIG in c.envs ? envs.map((e) => e.split("=")[0]).filter((n) => secretNames.includes(n)).sort() : [],
        mounts: (c.volumes ?? []).map((v: any) => `${v.volumeName.replace(/^berth-test-/, "")}:${v.containerPath}`).sort(),
        probe: hc && {
            kind: hc.tests[1] === "/.berth/busybox" ? ({ wget: "http", nc: "tcp" } as Record<string, string>)[hc.tests[2]] : "command",
            interval: seconds(hc.interval),
            timeout: seconds(hc.timeout),
            retries: hc.retries,
            startPeriod: seconds(hc.startPeriod),
        },
    };
}

function k8sMeaning(r: Rendered, svc: string): Meaning {
    const d = r.byName(`demo-${svc}-deployment`).inputs.spec;
    const hpa = r.resources.find((x) => x.name === `demo-${svc}-hpa`);
    const c = d.template.spec.containers[0];
    const service = r.resources.find((x) => x.name === `demo-${svc}-published-service`);
    const p = c.readinessProbe;
    const claims = Object.fromEntries((d.template.spec.volumes ?? []).map((v: any) => [v.name, v.persistentVolumeClaim?.claimName]));
    return {
        replicas: d.replicas ?? hpa!.inputs.spec.minReplicas,
        published: service ? service.inputs.spec.ports.map((x: any) => x.port) : [],
        env: (c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => e.name).sort(),
        secretEnv: (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.name).sort(),
        mounts: (c.volumeMounts ?? []).map((m: any) => `${claims[m.name]}:${m.mountPath}`).sort(),
        probe: p && {
            kind: p.httpGet ? "http" : p.tcpSocket ? "tcp" : "command",
            interval: p.periodSeconds,
            timeout: p.timeoutSeconds,
            retries: p.failureThreshold,
            startPeriod: p.initialDelaySeconds,
        },
    };
}

describe("parity of the demo app on Docker and Kubernetes", async () => {
    const secrets = { dbPassword: "pw" };
    const onDocker = await render(demo, { target: "docker" }, { secrets });
    const onK8s = await render(demo, { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } }, { secrets });

    it.each(Object.keys(demo.services))("service %s means the same on both targets", (svc) => {
        const d = dockerMeaning(onDocker, svc);
        const k = k8sMeaning(onK8s, svc);
        expect(d).toEqual(k);
        // And what they agree on is the spec, not an accident of both being empty.
        const spec = (demo.services as any)[svc];
        expect(d.replicas).toBe(spec.scaling?.min ?? spec.replicas ?? 1);
        expect(d.env).toEqual(Object.keys(spec.env ?? {}).sort());
        expect(d.secretEnv).toEqual(Object.keys(spec.secrets ?? {}).sort());
    });

    it("declares the same volumes", () => {
        expect(onDocker.ofType("docker:index/volume:Volume").map((v) => v.inputs.name.replace(/^berth-test-/, ""))).toEqual(
            onK8s.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((v) => v.inputs.metadata.name),
        );
    });
});
