// A change that would replace a deployed volume fails before any resource of
// the app is registered, unless that volume allows data loss.
import { describe, expect, it } from "vitest";
import { BerthDataLossError, dataLossProblems } from "../../components/datasafety";
import { BerthInputError } from "../../components/validate";
import * as pulumi from "@pulumi/pulumi";
import { Manifest } from "../../components/manifest";
import { demo } from "../../services/demo";
import { render } from "./harness";

const k8s = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };
const deployed: Manifest = {
    target: "kubernetes",
    exposure: "NodePort",
    services: {},
    volumes: { pgdata: { identity: { namespace: "berth-test", name: "pgdata", access: "ReadWriteOnce" }, retain: true, allowDataLoss: false } },
};

/** Renders against a deployed manifest; returns what registered and the error, if any. */
async function renderAgainstDeployed(config: Record<string, unknown>) {
    try {
        const r = await render(demo, config, { secrets: { dbPassword: "x" }, previousOutputs: { berth: deployed } });
        return { r, error: undefined, registered: r.resources };
    } catch (e) {
        return { r: undefined, error: e as Error, registered: (e as { registered: unknown[] }).registered };
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

    it("registers nothing at all when a change would replace the PVC", async () => {
        const { error, registered } = await renderAgainstDeployed({ ...k8s, volumes: { pgdata: { access: "ReadWriteMany" } } });
        expect(error?.message).toBe(
            'berth: stack "test" refuses to lose data:\n  - volume pgdata: access ReadWriteOnce -> ReadWriteMany would replace the volume and lose its data; to allow it, set volumes.pgdata.allowDataLoss: true (or berth:volumes.pgdata.allowDataLoss in the stack)',
        );
        expect(registered).toEqual([]);
    });

    it("goes ahead when the volume allows data loss, or nothing forcing changed", async () => {
        const allowed = await renderAgainstDeployed({ ...k8s, volumes: { pgdata: { access: "ReadWriteMany", allowDataLoss: true } } });
        expect(allowed.error).toBeUndefined();
        expect(allowed.r!.byName("demo-pgdata-pvc").inputs.spec.accessModes).toEqual(["ReadWriteMany"]);
        const same = await renderAgainstDeployed(k8s);
        expect(same.error).toBeUndefined();
        expect(same.r!.byName("demo-ns").inputs.metadata.name).toBe("berth-test");
    });

    it("refuses with RunErrors that carry no stack (formatting one cost 25-30 s of every refused preview)", () => {
        for (const e of [new BerthDataLossError("dev", ["volume pgdata: ..."]), new BerthInputError("dev", ["berth:target: ..."])]) {
            expect(pulumi.RunError.isInstance(e)).toBe(true);
            expect(e.stack).toBeUndefined();
            expect(e.message).toMatch(/^berth: stack "dev" (refuses to lose data|has invalid input):\n {2}- /);
        }
    });
});
