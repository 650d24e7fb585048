/**
 * The drift check: the program previewed (does it differ from state?), and a
 * refresh in preview-only mode (do the live objects differ from state?); the
 * state is not rewritten.
 */
import { EngineEvent } from "@pulumi/pulumi/automation";
import { openStack, previewStack } from "./preview";
import { policyConfigFor } from "./stack";
import { Summary, summarize } from "./summary";

export interface Drift {
    /** The preview's summary. */
    readonly summary: Summary;
    /** The preview would change something, or failed. */
    readonly programDiffers: boolean;
    /** What the refresh found changed in the live objects, one line each. */
    readonly refreshed: string[];
    /** The preview and the refresh, in markdown. */
    readonly markdown: string;
    readonly drifted: boolean;
}

export async function driftCheck(name: string, env?: NodeJS.ProcessEnv, policyConfig = policyConfigFor(name), log: (line: string) => void = () => {}): Promise<Drift> {
    const p = await previewStack(name, env, policyConfig);
    const summary = summarize(p);
    const changed = p.events.some((e) => {
        const op = e.resourcePreEvent?.metadata.op;
        return op !== undefined && op !== "same" && op !== "read";
    });
    log(`berth: refreshing ${name} in preview-only mode (state is not rewritten)...`);
    const refreshEvents: EngineEvent[] = [];
    await (await openStack(name, env)).refresh({ previewOnly: true, onEvent: (e) => refreshEvents.push(e) });
    // A refresh step's outcome is on its outputs event: "same", or what the live object would change.
    const refreshed = refreshEvents
        .map((e) => e.resOutputsEvent?.metadata)
        .filter((m) => m && !["same", "read", "refresh"].includes(m.op))
        .map((m) => `${m!.op} ${m!.type} ${m!.urn.split("::").pop()}${m!.detailedDiff ? ` (${Object.keys(m!.detailedDiff).join(", ")})` : ""}`);
    const programDiffers = changed || p.error !== undefined;
    const drifted = programDiffers || refreshed.length > 0;
    const parts = [summary.markdown];
    if (refreshed.length) parts.push(["### Drift found by refresh", "", ...refreshed.map((d) => `- ${d}`)].join("\n"));
    parts.push(drifted ? `**drift: ${name} differs from its program or its state**` : `no drift: ${name} matches its program and the live resources`);
    return { summary, programDiffers, refreshed, markdown: parts.join("\n\n"), drifted };
}
