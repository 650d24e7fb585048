// berth's policy pack, fed the resources each target registers for the demo
// app (Pulumi mocks), and hand-made resources that break each rule.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { imageTag, policies } from "../../policies/rules";
import { demo } from "../../services/demo";
import { Recorded, render } from "./harness";

const CONFIG_DIR = path.join(__dirname, "../../policies/config");
const stackPolicyConfig = (stack: string) => JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8"));
const DEFAULT_PORTS = { allowedAddresses: ["127.0.0.1"], allowedServiceTypes: ["ClusterIP", "NodePort"] };

/** Runs every policy on one resource; returns "<policy>: <message>" per violation. */
function check(type: string, name: string, props: Record<string, unknown>, opts: { protect?: boolean } = {}, config = DEFAULT_PORTS): string[] {
    const found: string[] = [];
    for (const p of policies as ResourceValidationPolicy[]) {
        const args = { type, name, urn: `urn:pulumi:s::berth::${type}::${name}`, props, opts: { protect: opts.protect ?? false }, getConfig: () => config } as unknown as ResourceValidationArgs;
        const r = p.validateResource as (a: ResourceValidationArgs, report: (m: string) => void) => void;
        r(args, (m) => found.push(`${p.name}: ${m}`));
    }
    return found;
}
const checkAll = (rs: Recorded[], config = DEFAULT_PORTS) => rs.flatMap((r) => check(r.type, r.name, r.inputs, r.opts, config));

describe("the policy pack on the demo app", () => {
    it("finds nothing in staging and prod (their config makes every policy mandatory)", async () => {
        for (const stack of ["staging", "prod"]) {
            const cfg = stackPolicyConfig(stack);
            expect(cfg.all).toBe("mandatory");
            const r = await render(demo, { target: "kubernetes", kubernetes: { namespace: `berth-${stack}`, registry: "127.0.0.1:5000", serviceType: "NodePort" }, protectVolumes: stack === "prod" }, { stack, secrets: { dbPassword: "x" } });
            expect(r.resources.filter((x) => x.type === "kubernetes:apps/v1:Deployment").length).toBe(4);
            expect(checkAll(r.resources, cfg["berth-published-ports"])).toEqual([]);
        }
    });

    it("finds nothing on Docker either, where dev makes every policy advisory", async () => {
        const cfg = stackPolicyConfig("dev");
        expect(cfg.all).toBe("advisory");
        const r = await render(demo, { target: "docker" }, { stack: "dev", secrets: { dbPassword: "x" } });
        expect(r.resources.filter((x) => x.type === "docker:index/container:Container").length).toBe(6);
        expect(checkAll(r.resources, cfg["berth-published-ports"])).toEqual([]);
    });

    it("flags a LoadBalancer Service, and a Docker port on 0.0.0.0, where the stack allows neither", async () => {
        const k = await render(demo, { target: "kubernetes", kubernetes: { namespace: "n", registry: "r:5000", serviceType: "LoadBalancer" } }, { secrets: { dbPassword: "x" } });
        expect(checkAll(k.resources)).toEqual([
            "berth-published-ports: demo-web-published-service is a LoadBalancer Service; this stack allows ClusterIP, NodePort (berth:kubernetes.serviceType).",
        ]);
        const d = await render(demo, { target: "docker", docker: { publishAddress: "0.0.0.0" } }, { secrets: { dbPassword: "x" } });
        expect(checkAll(d.resources)).toEqual([
            "berth-published-ports: demo-web-lb publishes port 8080 on 0.0.0.0; this stack allows 127.0.0.1 (berth:docker.publishAddress).",
        ]);
    });

    it("flags a service without readiness check or limits, a latest or missing tag, privileged, an unretained volume", async () => {
        const bare = { services: { api: { image: "nginx:latest", ports: [{ port: 80 }] }, job: { image: "busybox" } }, volumes: { scratch: { retain: false } } };
        const r = await render(bare, { target: "kubernetes", kubernetes: { namespace: "n", registry: "r:5000" } });
        expect(checkAll(r.resources).sort()).toEqual([
            "berth-image-tag: demo-api-deployment container api runs image \"nginx:latest\": the tag latest names no fixed image; name a version tag or a digest.",
            "berth-image-tag: demo-job-deployment container job runs image \"busybox\" without a tag: name a version tag or a digest.",
            "berth-readiness-check: demo-api-deployment container api has no readiness check: give the service health.readiness (http, tcp or command).",
            "berth-readiness-check: demo-job-deployment container job has no readiness check: give the service health.readiness (http, tcp or command).",
            "berth-resource-limits: demo-api-deployment container api has no cpu and memory limit: set resources.cpu.limit in the spec or the stack's berth:services override.",
            "berth-resource-limits: demo-job-deployment container job has no cpu and memory limit: set resources.cpu.limit in the spec or the stack's berth:services override.",
            "berth-volumes-retained: volume demo-scratch-pvc is neither retained nor protected: a destroy deletes its data. Remove retain: false from the volume, or set berth:protectVolumes.",
        ]);
        expect(check("docker:index/container:Container", "c", { image: "a:1", healthcheck: {}, memory: 64, cpus: "1", privileged: true })).toEqual([
            "berth-no-privileged: c runs privileged: berth never asks for this; remove whatever sets it.",
        ]);
        // Protected counts as safe as retained.
        expect(check("docker:index/volume:Volume", "v", { labels: [{ label: "berth.dev/retain", value: "false" }] }, { protect: true })).toEqual([]);
    });

    it("reads image tags as a registry would", () => {
        expect(imageTag("127.0.0.1:5000/berth-web:abc123")).toBe("abc123");
        expect(imageTag("127.0.0.1:5000/berth-web")).toBe("");
        expect(imageTag("127.0.0.1:5000/berth-web@sha256:0123")).toBeUndefined();
        expect(imageTag("redis:7")).toBe("7");
        expect(imageTag("redis")).toBe("");
    });
});
