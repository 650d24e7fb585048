/**
 * Data safety for volumes: a change that would replace an existing volume (and
 * so lose its data) fails before anything changes, unless that volume says
 * `allowDataLoss: true`.
 *
 * How: the app publishes a plain manifest as the stack output `berth`
 * (index.ts exports it). `App.create` reads its own stack's last outputs
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

/**
 * Reads the stack's last deployed manifest and throws BerthDataLossError if
 * the next one would replace a volume that does not allow data loss.
 */
export async function checkDataSafety(ctx: DeployContext, next: Manifest): Promise<void> {
    const last = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: `${pulumi.getOrganization()}/${ctx.project}/${ctx.stack}` })) as {
        outputs?: { berth?: Manifest };
    };
    const problems = dataLossProblems(last.outputs?.berth, next);
    if (problems.length > 0) throw new BerthDataLossError(ctx.stack, problems);
}
