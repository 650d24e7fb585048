/**
 * The real engine's preview of a stack, through the Automation API, with
 * berth's policy pack: what the summary (summary.ts) reads.
 */
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as path from "path";
import type { Manifest } from "../components/manifest";
import { policyConfigFor, REPO, stackEnv } from "./stack";
import type { StackPreview } from "./summary";

/** berth's policy pack: its folder, run by the engine through the Node.js language host. */
export const POLICY_PACK = path.join(REPO, "policies");

/** Selects an existing stack of the program in workDir (default: this repo's). */
export async function openStack(name: string, base: NodeJS.ProcessEnv = process.env, workDir = REPO): Promise<Stack> {
    const ws = await LocalWorkspace.create({ workDir, envVars: stackEnv(name, base) });
    return Stack.select(name, ws);
}

/**
 * Runs the real engine's preview of a stack and collects what the summary
 * needs. workDir: the program to preview (default: this repo's).
 */
export async function previewStack(name: string, env?: NodeJS.ProcessEnv, policyConfig = policyConfigFor(name), workDir = REPO): Promise<StackPreview> {
    const stack = await openStack(name, env, workDir);
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
