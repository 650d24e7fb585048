// Fields that Compose users write, expressed faithfully on each target or
// refused where a target cannot honour them (issue 12): restart policies,
// Docker's default capabilities, and commands given as one string.
import { describe, expect, it } from "vitest";
import { AppInput } from "../../components/spec";
import { refusal, render } from "./harness";

const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test" } };

/** One service, `app`, from an image, with these fields. */
const one = (fields: Record<string, unknown>): AppInput => ({ services: { app: { image: "nginx:1.27", ...fields } } });


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
        const e = await refusal(one({ restart: "always" }), { ...k8sCfg, services: { app: { restart: "on-failure" } } });
        expect(e.message).toMatch(/berth:services\.app\.restart: "on-failure" cannot be honoured on Kubernetes: .*; use "always" or "unless-stopped"$/m);
    });

    it.each(["sometimes", "on-failure:0", "on-failure:-1", "on-failure:x"])("names what is accepted for a policy it does not know (%s)", async (restart) => {
        const e = await refusal(one({ restart }), dockerCfg);
        expect(e.message).toContain('app.services.app.restart: one of "always", "unless-stopped", "on-failure", "on-failure:N" (restarted at most N times, N from 1), "no" or "never"');
    });
});

describe("capabilities", () => {
    const DOCKER_DEFAULTS = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

    it("by default drop ALL and keep only the listed ones, on both targets", async () => {
        const security = { capabilities: ["NET_BIND_SERVICE"] };
        expect((await render(one({ security }), dockerCfg)).byName("demo-app-0").inputs.capabilities).toEqual({ drops: ["ALL"], adds: ["NET_BIND_SERVICE"] });
        const k = await render(one({ security }), k8sCfg);
        expect(k.byName("demo-app-deployment").inputs.spec.template.spec.containers[0].securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
    });

    it('baseCapabilities "default" runs Docker\'s default set on Docker: nothing dropped but what is listed', async () => {
        const plain = await render(one({ security: { baseCapabilities: "default" } }), dockerCfg);
        expect(plain.byName("demo-app-0").inputs.capabilities).toBeUndefined();
        const tuned = await render(one({ security: { baseCapabilities: "default", capabilities: ["NET_ADMIN"], dropCapabilities: ["NET_RAW", "MKNOD"] } }), dockerCfg);
        expect(tuned.byName("demo-app-0").inputs.capabilities).toEqual({ adds: ["NET_ADMIN"], drops: ["NET_RAW", "MKNOD"] });
        // Everything else stays as safe as before.
        expect(tuned.byName("demo-app-0").inputs).toMatchObject({ privileged: false, securityOpts: ["no-new-privileges"] });
    });

    it('baseCapabilities "default" is the same 14 capabilities on Kubernetes, listed, so that no runtime\'s own default decides', async () => {
        const plain = await render(one({ security: { baseCapabilities: "default" } }), k8sCfg);
        const sc = plain.byName("demo-app-deployment").inputs.spec.template.spec.containers[0].securityContext;
        expect(sc.capabilities).toEqual({ drop: ["ALL"], add: DOCKER_DEFAULTS });
        expect(sc).toMatchObject({ privileged: false, allowPrivilegeEscalation: false });
        const tuned = await render(one({ security: { baseCapabilities: "default", capabilities: ["NET_ADMIN"], dropCapabilities: ["NET_RAW", "MKNOD"] } }), k8sCfg);
        expect(tuned.byName("demo-app-deployment").inputs.spec.template.spec.containers[0].securityContext.capabilities).toEqual({
            drop: ["ALL"],
            add: [...DOCKER_DEFAULTS.filter((c) => c !== "NET_RAW" && c !== "MKNOD"), "NET_ADMIN"].sort(),
        });
    });

    it("refuses an unknown base and a drop list without the default base, saying what is accepted", async () => {
        const e = await refusal(one({ security: { baseCapabilities: "all" } }), dockerCfg);
        expect(e.message).toMatch(/app\.services\.app\.security\.baseCapabilities: Invalid option: expected one of "none"\|"default"/);
        const d = await refusal(one({ security: { dropCapabilities: ["NET_RAW"] } }), dockerCfg);
        expect(d.message).toContain('app.services.app.security.dropCapabilities: dropCapabilities goes with baseCapabilities: "default" (with "none", the default, every capability is dropped already and only security.capabilities are kept)');
        const n = await refusal(one({ security: { baseCapabilities: "default", dropCapabilities: ["net raw"] } }), dockerCfg);
        expect(n.message).toMatch(/app\.services\.app\.security\.dropCapabilities\[0\]: a capability name such as NET_BIND_SERVICE/);
    });
});

describe("a command given as one string", () => {
    // Each string and the words that Compose (compose-go, through go-shellwords
    // v1.0.12, no shell) makes of it: recorded by running that parser.
    const composeSplits: [string, string[]][] = [
        ["npm run start-watch", ["npm", "run", "start-watch"]],
        ["--transaction-isolation=READ-COMMITTED --binlog-format=ROW", ["--transaction-isolation=READ-COMMITTED", "--binlog-format=ROW"]],
        [
            `/bin/bash -c "envsubst < /tmp/nginx.conf > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'"`,
            ["/bin/bash", "-c", "envsubst < /tmp/nginx.conf > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'"],
        ],
        ["echo 'it''s'", ["echo", "its"]],
        [`echo "a\\"b" 'c\\d'`, ["echo", 'a"b', "c\\d"]],
        [`printf "%s\\n" x`, ["printf", "%sn", "x"]],
        ["a  b\\ c ''", ["a", "b c", ""]],
        ["echo $HOME ${X:-y}", ["echo", "$HOME", "${X:-y}"]],
        ["echo $(date) `id`", ["echo", "$(date)", "`id`"]],
        ["echo $(a b)", ["echo", "$(a b)"]],
        ["a\n  b\tc", ["a", "b", "c"]],
        ['say ""', ["say", ""]],
        ['a"b c"d', ["ab cd"]],
        [`echo 'a "b" c'`, ["echo", 'a "b" c']],
        [`echo "a 'b' c"`, ["echo", "a 'b' c"]],
        ["echo `a b` c", ["echo", "`a b`", "c"]],
        ["echo \\$x \\'y", ["echo", "$x", "'y"]],
        ["é ü\\ ß", ["é", "ü ß"]],
        ["echo 'a\\'", ["echo", "a\\"]],
        ['x "$(y)"', ["x", "$(y)"]],
        ['echo "`"', ["echo", "`"]],
        ["a#b # c", ["a#b", "#", "c"]],
        ["echo a) b)", ["echo", "a) b)"]],
    ];

    it.each(composeSplits)("splits %j as Compose does, on both targets", async (line, words) => {
        const d = await render(one({ command: line, args: line }), dockerCfg);
        expect(d.byName("demo-app-0").inputs.entrypoints).toEqual(words);
        expect(d.byName("demo-app-0").inputs.command).toEqual(words);
        const k = await render(one({ command: line, args: line }), k8sCfg);
        const c = k.byName("demo-app-deployment").inputs.spec.template.spec.containers[0];
        expect([c.command, c.args]).toEqual([words, words]);
    });

    it("leaves a list of words as it is", async () => {
        const words = ["sh", "-c", "echo 'a b' && exit 3"];
        expect((await render(one({ args: words }), dockerCfg)).byName("demo-app-0").inputs.command).toEqual(words);
    });

    it.each([
        ['echo "abc', 'a " quote is not closed'],
        ["it's", "a ' quote is not closed"],
        ["echo \\", "it ends with a lone \\"],
        ["echo (a)", 'a "(" outside quotes that does not start "$("'],
        ["$(a (b))", 'a "(" outside quotes that does not start "$("'],
        ["echo a)", 'a "$(" or ")" outside quotes is not closed'],
        ["echo a && echo b", '"&" outside quotes at character 8: Compose would keep only the words before it and silently drop the rest'],
        ["echo a; b", '";" outside quotes at character 7'],
        ["x | y", '"|" outside quotes at character 3'],
        ["x > f", '">" outside quotes at character 3'],
        ["2>&1 x", '">" outside quotes at character 2'],
        ["   ", "no words"],
    ])("refuses %j, saying why and what works", async (line, why) => {
        const e = await refusal(one({ command: line }), dockerCfg);
        expect(e.message).toContain(`app.services.app.command: ${why}`);
        expect(e.message).toContain(`a string is split into words as Compose splits it (spaces separate words; '...', "..." and \\ keep them together) and no shell runs it: to run it through a shell, write ["sh", "-c", "<the line>"]`);
    });

    it("says what is accepted for a command of another type", async () => {
        const e = await refusal(one({ args: 42 }), dockerCfg);
        expect(e.message).toContain(`app.services.app.args: a list of words such as ["npm", "start"], or one string that is split into words as Compose splits it ("npm start")`);
    });
});
