/**
 * Data safety for volumes: a change that would replace an existing volume (and
 * so lose its data) fails before anything changes, unless that volume says
 * `allowDataLoss: true`.
 *
 * How: each App publishes a plain manifest, which the program exports as the
 * stack output `berth` (`berthOutput(...apps)`: one App's manifest, or
 * `{ apps: { <name>: manifest } }` for several). `App.create` reads its own stack's last outputs
 * with the engine's builtin `pulumi:pulumi:readStackOutputs` invoke (what a
 * StackReference reads, without a resource whose recorded outputs would show
 * as drift on every refresh), compares each volume's identity (the fields whose
 * change makes the target replace it) and throws on a changed identity before
 * it constructs the app: no resource of the app is registered, in a preview
 * or an update.
 */
import * as pulumi from "@pulumi/pulumi";
import { Manifest } from "./manifest";
import { DeployContext } from "./target";
import { isRecord } from "./spec";
import { BerthError } from "./validate";

/** berth refusing to lose data: the engine shows its message, no stack. */
export class BerthDataLossError extends BerthError {
    constructor(stack: string, problems: string[]) {
        super(`berth: stack "${stack}" refuses to lose data:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "BerthDataLossError";
    }
}

/** Problems between the last deployed manifest and this one; empty when nothing would lose data. */
export function dataLossProblems(previous: Manifest | undefined, next: Manifest): string[] {
    const problems: string[] = [];
    if (!previous?.volumes) return problems;
    for (const [name, vol] of Object.entries(next.volumes)) {
        const before = previous.volumes[name]?.identity;
        if (!before || previous.target !== next.target || vol.allowDataLoss) continue;
        for (const [field, now] of Object.entries(vol.identity)) {
            if (before[field] !== undefined && before[field] !== now) {
                problems.push(
                    `volume ${name}: ${field} ${before[field]} -> ${now} would replace the volume and lose its data; ` +
                        `to allow it, set volumes.${name}.allowDataLoss: true (or berth:volumes.${name}.allowDataLoss in the stack)`,
                );
            }
        }
    }
    return problems;
}

export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

const isManifest = (v: unknown): v is Manifest => isRecord(v) && typeof v.target === "string" && isRecord(v.volumes);

/**
 * An App's manifest in the stack's last outputs: under `berth.apps.<app>`, or
 * `berth` itself as a one-App program (and every berth before several Apps)
 * wrote it. `undefined` for a stack never deployed, or an App new to it.
 * Throws when the stack was deployed but its outputs hold no manifest that
 * berth can read: without it, nothing says whether a volume would be replaced.
 */
export function lastManifest(stack: string, app: string, outputs: Record<string, unknown> | undefined): Manifest | undefined {
    const berth = outputs?.berth;
    if (isRecord(berth) && isRecord(berth.apps)) {
        const mine = Object.hasOwn(berth.apps, app) ? berth.apps[app] : undefined;
        if (mine === undefined || isManifest(mine)) return mine;
    } else if (isManifest(berth)) return berth;
    else if (berth === undefined && Object.keys(outputs ?? {}).length === 0) return undefined;
    throw new BerthError(
        `berth: stack "${stack}": its last deployment's outputs hold no manifest of app ${app} that berth can read (the output \`berth\` is ${berth === undefined ? "missing" : "of another shape"}), ` +
            `so berth cannot tell whether this change would replace a volume and lose its data. Export the Apps' manifests from the program ` +
            `(\`return { berth: berthOutput(app) }\`, or berthOutput(app1, app2) for several), and deploy once with the volumes unchanged.`,
    );
}

/**
 * Reads the App's last deployed manifest and throws BerthDataLossError if
 * the next one would replace a volume that does not allow data loss.
 */
export async function checkDataSafety(app: string, ctx: DeployContext, next: Manifest): Promise<void> {
    const last = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: `${pulumi.getOrganization()}/${ctx.project}/${ctx.stack}` })) as {
        outputs?: Record<string, unknown>;
    };
    const problems = dataLossProblems(lastManifest(ctx.stack, app, last.outputs), next);
    if (problems.length > 0) throw new BerthDataLossError(ctx.stack, problems);
}
