// Fields that Compose users write, expressed faithfully on each target or
// refused where a target cannot honour them (issue 12): restart policies,
// Docker's default capabilities, and commands given as one string.
import { describe, expect, it } from "vitest";
import { AppInput } from "../../components/spec";
import { Rendered, render } from "./harness";

const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test" } };

/** One service, `app`, from an image, with these fields. */
const one = (fields: Record<string, unknown>): AppInput => ({ services: { app: { image: "nginx:1.27", ...fields } } });

/** The rejection of a render, with what was registered before it (the tests expect nothing). */
async function refusal(spec: AppInput, config: Record<string, unknown>): Promise<Error & { registered?: unknown[] }> {
    let rendered: Rendered | undefined;
    try {
        rendered = await render(spec, config);
    } catch (e) {
        return e as Error;
    }
    throw new Error(`expected a refusal, but ${rendered.resources.length} resources were registered`);
}

describe("restart policies", () => {
    it.each([
        ["no", "no"],
        ["never", "no"],
        ["always", "always"],
        ["on-failure", "on-failure"],
        ["unless-stopped", "unless-stopped"],
    ])("Docker runs restart %s as the engine's %s", async (restart, engine) => {
        const r = await render(one({ restart }), dockerCfg);
        expect(r.byName("demo-app-0").inputs.restart).toBe(engine);
    });

    it("keeps always as the default", async () => {
        expect((await render(one({}), dockerCfg)).byName("demo-app-0").inputs.restart).toBe("always");
    });

    it.each(["always", "unless-stopped"])("Kubernetes runs restart %s as restartPolicy Always", async (restart) => {
        const r = await render(one({ restart }), k8sCfg);
        expect(r.byName("demo-app-deployment").inputs.spec.template.spec.restartPolicy).toBe("Always");
    });

    it.each(["no", "never", "on-failure"])("Kubernetes refuses restart %s before anything registers, naming the field, the target and what works", async (restart) => {
        const e = await refusal(one({ restart }), k8sCfg);
        expect(e.message).toContain(
            `app.services.app.restart: "${restart}" cannot be honoured on Kubernetes: a Deployment or StatefulSet restarts its pods always (restartPolicy Always is the only one it accepts); use "always" or "unless-stopped", or set berth:services.app.restart for this stack`,
        );
        expect(e.registered).toEqual([]);
    });

    it("a stack may override the policy, so one app runs no on Docker and always on Kubernetes", async () => {
        const r = await render(one({ restart: "no" }), { ...k8sCfg, services: { app: { restart: "always" } } });
        expect(r.byName("demo-app-deployment").inputs.spec.template.spec.restartPolicy).toBe("Always");
        const d = await render(one({ restart: "always" }), { ...dockerCfg, services: { app: { restart: "unless-stopped" } } });
        expect(d.byName("demo-app-0").inputs.restart).toBe("unless-stopped");
    });

    it("names what is accepted for a policy it does not know", async () => {
        const e = await refusal(one({ restart: "on-failure:3" }), dockerCfg);
        expect(e.message).toMatch(/app\.services\.app\.restart: Invalid option: expected one of "always"\|"on-failure"\|"never"\|"no"\|"unless-stopped"/);
    });
});
