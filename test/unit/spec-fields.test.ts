// Spec fields that Compose users write (issue 12), each with its meaning on
// both targets and its refusals: the stack's image override, restart
// on-failure:N, labels, user by name, build target and args, aliases, and
// dotted env names.
import { describe, expect, it } from "vitest";
import { AppInput } from "../../components/spec";
import { Rendered, render } from "./harness";

const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };

/** One service, `app`, from an image, with these fields. */
const one = (fields: Record<string, unknown>): AppInput => ({ services: { app: { image: "nginx:1.27", ...fields } } });

/** The rejection of a render, with what was registered before it (the tests expect nothing). */
async function refusal(spec: AppInput, config: Record<string, unknown>): Promise<Error & { registered?: unknown[] }> {
    let rendered: Rendered | undefined;
    try {
        rendered = await render(spec, config);
    } catch (e) {
        expect((e as { registered?: unknown[] }).registered).toEqual([]);
        return e as Error;
    }
    throw new Error(`expected a refusal, but ${rendered.resources.length} resources were registered`);
}

const container = (r: Rendered, svc = "app") => r.byName(`demo-${svc}-deployment`).inputs.spec.template.spec.containers[0];

describe("image override per stack (berth:images)", () => {
    const app: AppInput = {
        services: {
            db: { image: "postgres:16" },
            cache: { image: "redis:7" },
            web: { build: { context: "test/unit/fixtures" } },
        },
    };
    const images = { "postgres:16": "localhost:5000/mirror/postgres:16" };

    it("Docker pulls and runs the mirror's image for every service that names the key, and the others' own", async () => {
        const r = await render(app, { ...dockerCfg, images });
        expect(r.byName("demo-db-image").inputs.name).toBe("localhost:5000/mirror/postgres:16");
        expect(r.byName("demo-cache-image").inputs.name).toBe("redis:7");
        expect(r.byName("demo-db-0").inputs.image).toBe("sha256:demo-db-image");
    });

    it("Kubernetes pods reference the mirror's image", async () => {
        const r = await render(app, { ...k8sCfg, images });
        expect(container(r, "db").image).toBe("localhost:5000/mirror/postgres:16");
        expect(container(r, "cache").image).toBe("redis:7");
    });

    it("applies to every service that uses the image, and the manifest records what runs", async () => {
        const two: AppInput = { services: { a: { image: "postgres:16" }, b: { image: "postgres:16" } } };
        const r = await render(two, { ...k8sCfg, images });
        expect([container(r, "a").image, container(r, "b").image]).toEqual(["localhost:5000/mirror/postgres:16", "localhost:5000/mirror/postgres:16"]);
    });

    it.each([dockerCfg, k8sCfg])("refuses a key that no service uses, naming it and listing the app's images (%o)", async (cfg) => {
        const e = await refusal(app, { ...cfg, images: { ...images, "postgres:15": "localhost:5000/mirror/postgres:15" } });
        expect(e.message).toContain('berth:images["postgres:15"]: no service\'s image is postgres:15, so this override would change nothing (the app\'s images: postgres:16, redis:7)');
        expect(e.message).not.toContain('berth:images["postgres:16"]');
    });

    it("refuses a reference that is not an image reference, on either side", async () => {
        const e = await refusal(app, { ...dockerCfg, images: { "postgres:16": "Not An Image" } });
        expect(e.message).toMatch(/berth:images\["postgres:16"\]: an image reference such as/);
        const k = await refusal(app, { ...dockerCfg, images: { "UPPER:1": "x:1" } });
        expect(k.message).toMatch(/berth:images\["UPPER:1"\]: invalid name: an image reference such as/);
    });
});

describe("restart on-failure:N", () => {
    it("Docker runs it as the engine's on-failure policy with a maximum retry count of N", async () => {
        const r = await render(one({ restart: "on-failure:5" }), dockerCfg);
        expect(r.byName("demo-app-0").inputs).toMatchObject({ restart: "on-failure", maxRetryCount: 5 });
    });

    it("sets no retry count for any other policy", async () => {
        for (const restart of ["on-failure", "always", "no"]) {
            const r = await render(one({ restart }), dockerCfg);
            expect(r.byName("demo-app-0").inputs.maxRetryCount, restart).toBeUndefined();
        }
    });

    it("a stack may set it for a service", async () => {
        const r = await render(one({}), { ...dockerCfg, services: { app: { restart: "on-failure:2" } } });
        expect(r.byName("demo-app-0").inputs).toMatchObject({ restart: "on-failure", maxRetryCount: 2 });
    });

    it("Kubernetes refuses it as it refuses on-failure, naming the field, the target and what works", async () => {
        const e = await refusal(one({ restart: "on-failure:5" }), k8sCfg);
        expect(e.message).toContain(
            'app.services.app.restart: "on-failure:5" cannot be honoured on Kubernetes: a Deployment or StatefulSet restarts its pods always (restartPolicy Always is the only one it accepts); use "always" or "unless-stopped", or set berth:services.app.restart for this stack',
        );
    });
});
