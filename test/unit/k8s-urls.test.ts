// The URL output of a published service on Kubernetes: one a user can reach,
// or none (with a warning) where berth cannot know one.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { clusterLocation } from "../../components/kubernetes";
import { demo } from "../../services/demo";
import { render } from "./harness";

const secrets = { dbPassword: "s3cret-value" };
const k8s = (extra: Record<string, unknown> = {}) => ({ target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000", ...extra } });
const NODE_ADDRESS_WARNING = /^service web: no URL output: .*; set berth:kubernetes\.nodeAddress to the address users reach the cluster's nodes on$/;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-kubeconfig-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
/** A kubeconfig with one context per server, the first current. */
function kubeconfig(file: string, servers: Record<string, string>): string {
    const names = Object.keys(servers);
    const p = path.join(dir, file);
    fs.writeFileSync(
        p,
        [
            "apiVersion: v1",
            "kind: Config",
            `current-context: ${names[0]}`,
            "contexts:",
            ...names.map((n) => `  - name: ${n}\n    context: { cluster: ${n}-cluster, user: u }`),
            "clusters:",
            ...names.map((n) => `  - name: ${n}-cluster\n    cluster: { server: "${servers[n]}" }`),
            "users:\n  - name: u\n    user: {}",
        ].join("\n"),
    );
    return p;
}
const local = kubeconfig("local.yaml", { "berth-local": "https://127.0.0.1:6443" });
const remote = kubeconfig("remote.yaml", { prod: "https://203.0.113.5:6443" });
const both = kubeconfig("both.yaml", { prod: "https://k8s.example.com", "berth-local": "https://localhost:6443", v6: "https://[::1]:6443" });

describe("NodePort", () => {
    it("is reached on 127.0.0.1 when the kubeconfig's server for the context is this machine (the staging stack)", async () => {
        const r = await render(demo, k8s({ context: "berth-local", serviceType: "NodePort" }), { secrets, kubeconfigEnv: local });
        expect(r.outputs.urls).toEqual({ web: "http://127.0.0.1:30000" });
        expect(r.warnings.filter((w) => NODE_ADDRESS_WARNING.test(w))).toEqual([]);
    });

    it("is unknown at a preview of a new Service (no node port assigned yet), never a URL ending in :undefined", async () => {
        const r = await render(demo, k8s({ context: "berth-local", serviceType: "NodePort" }), { secrets, kubeconfigEnv: local, nodePortsUnassigned: true });
        expect(r.outputs.urls).toBeUndefined(); // an unknown output: its apply never runs
        expect(r.byName("demo-web-published-service").inputs.spec.type).toBe("NodePort");
    });

    it("follows berth:kubernetes.context and .kubeconfig, not only the current context", async () => {
        const r = await render(demo, k8s({ kubeconfig: both, context: "berth-local" }), { secrets, kubeconfigEnv: remote });
        expect(r.outputs.urls).toEqual({ web: "http://127.0.0.1:30000" });
        const current = await render(demo, k8s({ kubeconfig: both }), { secrets, kubeconfigEnv: local });
        expect(current.outputs.urls).toEqual({});
    });

    it("is reached on berth:kubernetes.nodeAddress on a remote cluster", async () => {
        const r = await render(demo, k8s({ nodeAddress: "nodes.example.com" }), { secrets, kubeconfigEnv: remote });
        expect(r.outputs.urls).toEqual({ web: "http://nodes.example.com:30000" });
        const v6 = await render(demo, k8s({ nodeAddress: "2001:db8::7" }), { secrets, kubeconfigEnv: remote });
        expect(v6.outputs.urls).toEqual({ web: "http://[2001:db8::7]:30000" });
    });

    it("has no URL on a remote cluster without nodeAddress, and the warning names the key", async () => {
        const r = await render(demo, k8s(), { secrets, kubeconfigEnv: remote });
        expect(r.outputs.urls).toEqual({});
        expect(r.warnings).toContain(
            "service web: no URL output: the cluster's API server (https://203.0.113.5:6443) is not on this machine, so its NodePort is not reached on 127.0.0.1; set berth:kubernetes.nodeAddress to the address users reach the cluster's nodes on",
        );
    });

    it("has no URL when the kubeconfig cannot be read, and says why", async () => {
        const r = await render(demo, k8s({ context: "berth-local" }), { secrets, kubeconfigEnv: path.join(dir, "missing.yaml") });
        expect(r.outputs.urls).toEqual({});
        expect(r.warnings.filter((w) => NODE_ADDRESS_WARNING.test(w))).toEqual([
            `service web: no URL output: berth cannot tell whether the cluster is on this machine (no kubeconfig file at ${path.join(dir, "missing.yaml")}), so its NodePort is not reached on 127.0.0.1; set berth:kubernetes.nodeAddress to the address users reach the cluster's nodes on`,
        ]);
    });
});

describe("clusterLocation", () => {
    it("reads the context's server; loopback is 127.0.0.0/8, localhost and ::1", () => {
        expect(clusterLocation(undefined, undefined, { KUBECONFIG: local })).toEqual({ server: "https://127.0.0.1:6443", local: true });
        expect(clusterLocation(both, undefined)).toEqual({ server: "https://k8s.example.com", local: false });
        expect(clusterLocation(both, "berth-local")).toEqual({ server: "https://localhost:6443", local: true });
        expect(clusterLocation(both, "v6")).toEqual({ server: "https://[::1]:6443", local: true });
        expect(clusterLocation(fs.readFileSync(remote, "utf8"), undefined)).toEqual({ server: "https://203.0.113.5:6443", local: false });
    });

    it("merges $KUBECONFIG's files as kubectl does: the first to set a key wins", () => {
        expect(clusterLocation(undefined, undefined, { KUBECONFIG: [remote, local].join(path.delimiter) })).toEqual({ server: "https://203.0.113.5:6443", local: false });
        expect(clusterLocation(undefined, "berth-local", { KUBECONFIG: [remote, local].join(path.delimiter) })).toEqual({ server: "https://127.0.0.1:6443", local: true });
    });

    it("says what it cannot tell", () => {
        expect(clusterLocation(local, "nope")).toEqual({ unknown: `context nope is not in ${local}` });
    });
});

describe("LoadBalancer", () => {
    it("is reached on the address a load-balancer controller gave the Service (ip or hostname)", async () => {
        const ip = await render(demo, k8s({ serviceType: "LoadBalancer" }), { secrets, loadBalancerIngress: [{ ip: "198.51.100.20" }] });
        expect(ip.outputs.urls).toEqual({ web: "http://198.51.100.20:8080" });
        const host = await render(demo, k8s({ serviceType: "LoadBalancer" }), { secrets, loadBalancerIngress: [{ hostname: "lb-123.elb.example.com" }] });
        expect(host.outputs.urls).toEqual({ web: "http://lb-123.elb.example.com:8080" });
    });

    it("is the cluster-internal name while no controller gave an address", async () => {
        const r = await render(demo, k8s({ serviceType: "LoadBalancer" }), { secrets });
        expect(r.outputs.urls).toEqual({ web: "http://web-published.berth-test.svc.cluster.local:8080" });
    });

    it("is not awaited (a cluster without a controller never sets an ingress); the address comes from a read of the live Service", async () => {
        const r = await render(demo, k8s({ serviceType: "LoadBalancer" }), { secrets });
        expect(r.byName("demo-web-published-service-status").type).toBe("kubernetes:core/v1:Service");
        expect(r.byName("demo-web-published-service").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
        expect(r.byName("demo-web-service").inputs.metadata.annotations).toBeUndefined(); // the ClusterIP Service peers use
        expect(r.byName("demo-db-service").inputs.metadata.annotations).toBeUndefined(); // not published: ClusterIP, awaited as before
        const nodePort = await render(demo, k8s(), { secrets });
        expect(nodePort.byName("demo-web-published-service").inputs.metadata.annotations).toBeUndefined();
    });
});

describe("ingressHost", () => {
    it("is the URL when set, whatever the service type", async () => {
        for (const serviceType of ["NodePort", "LoadBalancer", "ClusterIP"]) {
            const r = await render(demo, k8s({ serviceType, ingressHost: "shop.example.com" }), { secrets, kubeconfigEnv: remote, loadBalancerIngress: [{ ip: "198.51.100.20" }] });
            expect(r.outputs.urls).toEqual({ web: "http://shop.example.com/" });
            expect(r.warnings.filter((w) => NODE_ADDRESS_WARNING.test(w))).toEqual([]);
        }
    });
});

describe("berth:kubernetes.nodeAddress", () => {
    it.each(["http://nodes.example.com", "nodes.example.com:80", "Nodes", "10.0.0.300", ""])("refuses %j, naming the key and what is accepted", async (bad) => {
        await expect(render(demo, k8s({ nodeAddress: bad }), { secrets })).rejects.toThrow(
            /berth:kubernetes\.nodeAddress: the address users reach the cluster's nodes on: an IPv4 or IPv6 address or a lowercase DNS host name, without scheme or port/,
        );
    });
});
