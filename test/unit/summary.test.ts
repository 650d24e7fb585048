// The summary's wording, on recorded engine output (the e2e suite covers the
// same facts on the real engine's previews).
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { Manifest, ServiceManifest } from "../../components/manifest";
import { describeService, summarize } from "../../components/summary";

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
});
