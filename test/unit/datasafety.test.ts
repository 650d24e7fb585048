// A change that would replace a deployed volume fails before any resource of
// the app is registered, unless that volume allows data loss.
import { describe, expect, it } from "vitest";
import { dataLossProblems, Manifest } from "../../components/datasafety";
import { demo } from "../../services/demo";
import { render } from "./harness";

const k8s = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };
const deployed: Manifest = {
    target: "kubernetes",
    volumes: { pgdata: { identity: { namespace: "berth-test", name: "pgdata", access: "ReadWriteOnce" }, retain: true, allowDataLoss: false } },
};

/** Renders and collects the errors that surface from the program's async registrations. */
async function renderCatching(config: Record<string, unknown>) {
    const errors: string[] = [];
    const onRejection = (e: unknown) => errors.push(String((e as Error)?.message ?? e));
    process.on("unhandledRejection", onRejection);
    try {
        const r = await render(demo, config, { secrets: { dbPassword: "x" }, previousOutputs: { berth: deployed } });
        await new Promise((res) => setTimeout(res, 50));
        return { r, errors };
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

describe("data safety", () => {
    it("names the volume and the field that would force a replacement", () => {
        const next: Manifest = { ...deployed, volumes: { pgdata: { ...deployed.volumes.pgdata, identity: { ...deployed.volumes.pgdata.identity, access: "ReadWriteMany" } } } };
        expect(dataLossProblems(deployed, next)).toEqual([
            "volume pgdata: access ReadWriteOnce -> ReadWriteMany would replace the volume and lose its data; to allow it, set volumes.pgdata.allowDataLoss: true (or berth:volumes.pgdata.allowDataLoss in the stack)",
        ]);
        expect(dataLossProblems(deployed, deployed)).toEqual([]);
        expect(dataLossProblems(undefined, next)).toEqual([]); // first deploy
        const allowed = { ...next, volumes: { pgdata: { ...next.volumes.pgdata, allowDataLoss: true } } };
        expect(dataLossProblems(deployed, allowed)).toEqual([]);
    });

    it("registers no Kubernetes object when a change would replace the PVC", async () => {
        const { r, errors } = await renderCatching({ ...k8s, volumes: { pgdata: { access: "ReadWriteMany" } } });
        expect(errors.join("\n")).toContain('berth: stack "test" refuses to lose data:\n  - volume pgdata: access ReadWriteOnce -> ReadWriteMany would replace the volume');
        const k8sObjects = r.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "pulumi:providers:kubernetes");
        expect(k8sObjects.map((x) => x.name)).toEqual([]);
    });

    it("goes ahead when the volume allows data loss, or nothing forcing changed", async () => {
        const allowed = await renderCatching({ ...k8s, volumes: { pgdata: { access: "ReadWriteMany", allowDataLoss: true } } });
        expect(allowed.errors).toEqual([]);
        expect(allowed.r.byName("demo-pgdata-pvc").inputs.spec.accessModes).toEqual(["ReadWriteMany"]);
        const same = await renderCatching(k8s);
        expect(same.errors).toEqual([]);
        expect(same.r.byName("demo-ns").inputs.metadata.name).toBe("berth-test");
    });
});
