/**
 * berth's command line (npm run summary / npm run drift).
 *
 *   berth summary STACK...   preview each stack with the real engine and berth's
 *                            policy pack, and print a markdown summary; exits 1
 *                            on a blocking finding (data loss without
 *                            allowDataLoss, a mandatory policy, a failed preview)
 *   berth drift STACK        preview, and refresh in preview-only mode (state is
 *                            not rewritten); exits 1 when either shows any change
 *
 * The policy pack's enforcement for a stack comes from policies/config/<stack>.json,
 * or from the file that --policy-config names; without either, every policy is
 * advisory (the pack's own default).
 *
 * Runs with berth's environment (scripts/env); stacks other than dev need
 * PULUMI_CONFIG_PASSPHRASE like any pulumi command.
 */
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { Manifest } from "../components/manifest";
import { StackPreview, summarize } from "../components/summary";

const REPO = path.resolve(__dirname, "..");
/** berth's policy pack: its folder, run by the engine through the Node.js language host. */
export const POLICY_PACK = path.join(REPO, "policies");

/** The policy config of a stack: the one named, else policies/config/<stack>.json if there is one. */
export function policyConfigFor(stack: string, named?: string): string | undefined {
    if (named) {
        if (!fs.existsSync(named)) throw new Error(`--policy-config ${named}: no such file (the files berth has are in policies/config/)`);
        return path.resolve(named);
    }
    const own = path.join(REPO, "policies", "config", `${stack}.json`);
    return fs.existsSync(own) ? own : undefined;
}

async function open(name: string, base: NodeJS.ProcessEnv = process.env, workDir = REPO): Promise<Stack> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
    if (name === "dev" && !env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) env.PULUMI_CONFIG_PASSPHRASE = "berth-dev-stack-local-only";
    const ws = await LocalWorkspace.create({ workDir, envVars: env });
    return Stack.select(name, ws);
}

/**
 * Runs the real engine's preview of a stack and collects what the summary
 * needs. workDir: the program to preview (default: this repo's).
 */
export async function previewStack(name: string, env?: NodeJS.ProcessEnv, policyConfig = policyConfigFor(name), workDir = REPO): Promise<StackPreview> {
    const stack = await open(name, env, workDir);
    const events: EngineEvent[] = [];
    const previous = (await stack.outputs()).berth?.value as Manifest | undefined;
    let error: string | undefined;
    try {
        await stack.preview({
            onEvent: (e) => events.push(e),
            diff: true,
            policyPacks: [POLICY_PACK],
            policyPackConfigs: policyConfig ? [policyConfig] : undefined,
        });
    } catch (e) {
        error = String((e as Error).message ?? e);
    }
    // In a preview the stack's own outputs event still carries the last deployed
    // values; the App component's last outputs event carries the new manifest.
    const app = events
        .map((e) => e.resOutputsEvent?.metadata)
        .filter((m) => m?.type === "berth:app:App")
        .pop()?.new?.outputs as { manifest?: Manifest } | undefined;
    const policyConfigName = policyConfig ? path.relative(REPO, policyConfig) : undefined;
    return { stack: name, events, previous, next: app?.manifest, error, policyConfig: policyConfigName };
}

async function main(argv: string[]): Promise<number> {
    const [cmd, ...rest] = argv;
    const outIdx = rest.indexOf("--out");
    const out = outIdx >= 0 ? rest.splice(outIdx, 2)[1] : undefined;
    const pcIdx = rest.indexOf("--policy-config");
    const policyConfig = pcIdx >= 0 ? rest.splice(pcIdx, 2)[1] : undefined;
    if ((cmd !== "summary" && cmd !== "drift") || rest.length === 0 || (cmd === "drift" && rest.length !== 1)) {
        console.error("usage: berth summary STACK... [--out FILE] [--policy-config FILE] | berth drift STACK [--policy-config FILE]");
        return 2;
    }
    const parts: string[] = [];
    let failed = false;
    for (const name of rest) {
        process.stderr.write(`berth: previewing ${name} with the real engine...\n`);
        const p = await previewStack(name, undefined, policyConfigFor(name, policyConfig));
        const s = summarize(p);
        parts.push(s.markdown);
        if (cmd === "summary" && s.blocking.length) failed = true;
        if (cmd === "drift") {
            const changed = p.events.some((e) => {
                const op = e.resourcePreEvent?.metadata.op;
                return op !== undefined && op !== "same" && op !== "read";
            });
            process.stderr.write(`berth: refreshing ${name} in preview-only mode (state is not rewritten)...\n`);
            const refreshEvents: EngineEvent[] = [];
            await (await open(name)).refresh({ previewOnly: true, onEvent: (e) => refreshEvents.push(e) });
            // A refresh step's outcome is on its outputs event: "same", or what the live object would change.
            const drifted = refreshEvents
                .map((e) => e.resOutputsEvent?.metadata)
                .filter((m) => m && !["same", "read", "refresh"].includes(m.op))
                .map((m) => `${m!.op} ${m!.type} ${m!.urn.split("::").pop()}${m!.detailedDiff ? ` (${Object.keys(m!.detailedDiff).join(", ")})` : ""}`);
            if (drifted.length) parts.push(["### Drift found by refresh", "", ...drifted.map((d) => `- ${d}`)].join("\n"));
            if (changed || drifted.length || p.error) failed = true;
            parts.push(failed ? `**drift: ${name} differs from its program or its state**` : `no drift: ${name} matches its program and the live resources`);
        }
    }
    const md = parts.join("\n\n");
    if (out) fs.writeFileSync(out, md + "\n");
    process.stdout.write(md + "\n");
    return failed ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(`berth: ${(e as Error).message ?? e}`);
            process.exit(2);
        },
    );
}
