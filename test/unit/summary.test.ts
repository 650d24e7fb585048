// The summary's wording, on recorded engine output (the e2e suite covers the
// same facts on the real engine's previews).
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { Manifest, ServiceManifest } from "../../components/manifest";
import { describeService, summarize } from "../../review/summary";

const web: ServiceManifest = {
    image: "build services/web@aaaaaaaaaaaa",
    replicas: 2,
    env: { A: "1" },
    secrets: ["PGPASSWORD"],
    ports: [{ port: 8080, publish: 8080 }],
    probes: { readiness: "http GET /healthz on 8080 every 2s (timeout 5s, 3 retries, start period 0s)" },
    networks: ["frontend"],
    volumes: [],
};
const manifest = (services: Record<string, ServiceManifest>, exposure = "127.0.0.1"): Manifest => ({ target: "docker", exposure, services, volumes: {} });
const pre = (op: string, type: string, name: string, keys: string[] = []): EngineEvent =>
    ({
        sequence: 0,
        timestamp: 0,
        resourcePreEvent: {
            metadata: { op, type, urn: `urn:pulumi:s::berth::berth:app:App$berth:app:Service$${type}::${name}`, provider: "", diffs: keys },
        },
    }) as unknown as EngineEvent;

describe("summary wording", () => {
    it("describes a service's changes in plain words", () => {
        const after = { ...web, image: "build services/web@bbbbbbbbbbbb", replicas: 4, env: { A: "2", B: "x" }, secrets: [], ports: [{ port: 8080 }] };
        expect(describeService("web", web, after)).toEqual([
            "image build services/web@aaaaaaaaaaaa -> build services/web@bbbbbbbbbbbb",
            "replicas 2 -> 4",
            "env var A changed",
            "new env var B",
            "secret PGPASSWORD removed",
            "published ports 8080->8080 -> none",
        ]);
        expect(describeService("web", undefined, web)).toEqual(["new service (build services/web@aaaaaaaaaaaa, 2 replicas)"]);
        expect(describeService("web", web, undefined)).toEqual(["**service deleted**"]);
    });

    it("lists a refused volume replacement as blocking, from the engine's error text", () => {
        const error = [
            "stderr: Command failed with exit code 255: pulumi preview",
            "    error: berth: stack \"dev\" refuses to lose data:",
            "      - volume pgdata: access ReadWriteOnce -> ReadWriteMany would replace the volume and lose its data; to allow it, set volumes.pgdata.allowDataLoss: true",
            "",
            "Resources:",
        ].join("\n");
        const previous = { ...manifest({ web }), volumes: { pgdata: { identity: { name: "pgdata", access: "ReadWriteOnce" }, retain: true, allowDataLoss: false } } };
        const s = summarize({ stack: "dev", events: [], previous, error });
        expect(s.blocking).toEqual(["**volume pgdata would be REPLACED (its data lost)**: access ReadWriteOnce -> ReadWriteMany. **Blocked**: the volume does not allow data loss"]);
        expect(s.markdown.split("\n").slice(0, 5).join("\n")).toContain("### ⚠️ Danger");
        // The program stopped early: no service is said to be deleted for lack of a next manifest.
        expect(s.markdown).not.toContain("service deleted");
        expect(s.markdown).toContain("- the program stopped before it described the app");
        expect(s.markdown).toContain("class vol_pgdata changed");
    });

    it("reads which secret changed from a create-before-delete replacement, whose last event carries no diff", () => {
        // The engine's order for an autonamed Secret whose value changed.
        const events = [
            pre("create-replacement", "kubernetes:core/v1:Secret", "demo-web-secret", ["data.PGPASSWORD"]),
            pre("replace", "kubernetes:core/v1:Secret", "demo-web-secret", ["data.PGPASSWORD"]),
            pre("update", "kubernetes:apps/v1:Deployment", "demo-web-deployment", ["spec.template.spec.containers[0].env[4].valueFrom.secretKeyRef.name"]),
            pre("delete-replaced", "kubernetes:core/v1:Secret", "demo-web-secret"),
        ];
        const s = summarize({ stack: "staging", events, previous: manifest({ web }), next: manifest({ web }) });
        expect(s.markdown).toContain("- **web**: secret PGPASSWORD value changed (not shown) (replace Secret, update Deployment)");
    });

    it("counts replacements, names deleted services and publishing beyond the host, and hides secret values", () => {
        const events = [
            pre("replace", "docker:index/container:Container", "demo-web-0", ["image"]),
            pre("delete", "docker:index/container:Container", "demo-worker-0"),
            pre("update", "kubernetes:core/v1:Secret", "demo-web-secret", ["stringData.PGPASSWORD"]),
        ];
        const worker = { ...web, ports: [], volumes: ["data:/data"] };
        const s = summarize({ stack: "dev", events, previous: manifest({ web, worker }), next: manifest({ web }, "0.0.0.0") });
        expect(s.markdown).toContain("| 0 | 1 | 1 | 1 |");
        expect(s.danger).toEqual(["**service web is published beyond this host** (0.0.0.0)", "**service worker would be deleted** (it holds volume data:/data)"]);
        expect(s.markdown).toContain("- **web**: secret PGPASSWORD value changed (not shown) (replace Container, update Secret)");
        expect(s.markdown).toContain("- **worker**: **service deleted** (delete Container)");
    });

    it("lists the policy pack's findings, mandatory first and blocking, and says when the pack judged nothing", () => {
        const violation = (level: "mandatory" | "warning", policyName: string, message: string): EngineEvent =>
            ({ sequence: 0, timestamp: 0, policyEvent: { message, color: "", policyName, policyPackName: "berth", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel: level } }) as unknown as EngineEvent;
        const m = manifest({ web });
        const events = [
            pre("same", "kubernetes:core/v1:Service", "demo-web-service"),
            violation("warning", "berth-resource-limits", "Every service has cpu and memory limits.\nweb has no cpu limit."),
            violation("mandatory", "berth-published-ports", "Ports are published only where the stack allows.\ndemo-web-service is a LoadBalancer Service."),
        ];
        const sum = summarize({ stack: "staging", events, previous: m, next: m, error: "error: preview failed", policyConfig: "policies/config/staging.json" });
        expect(sum.policies).toEqual([
            "[mandatory] berth-published-ports: demo-web-service is a LoadBalancer Service.",
            "[advisory] berth-resource-limits: web has no cpu limit.",
        ]);
        expect(sum.blocking).toEqual(["policy [mandatory] berth-published-ports: demo-web-service is a LoadBalancer Service."]);
        expect(sum.markdown).toContain(
            "### Policies\n\n- ❌ [mandatory] berth-published-ports: demo-web-service is a LoadBalancer Service.\n- ⚠️ [advisory] berth-resource-limits: web has no cpu limit.\n- enforcement: policies/config/staging.json",
        );
        // Stopped: the engine still shows the stack and the provider of berth's readStackOutputs invoke.
        const stoppedEvents = [pre("same", "pulumi:pulumi:Stack", "berth-staging"), pre("same", "pulumi:providers:pulumi", "default")];
        const stopped = summarize({ stack: "staging", events: stoppedEvents, previous: m, error: "error: berth: stack refuses" });
        expect(stopped.markdown).toContain("### Policies\n\n- not checked: the program stopped before it registered any resource\n- enforcement: the pack's defaults (advisory)");
        const clean = summarize({ stack: "staging", events: [events[0]], previous: m, next: m });
        expect(clean.markdown).toContain("- ✅ no findings");
        expect(clean.blocking).toEqual([]);
    });
});
