/**
 * berth's command line (npm run summary / npm run drift): argument parsing and
 * exit codes over the review tooling in review/.
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
import * as fs from "fs";
import { driftCheck } from "../review/drift";
import { previewStack } from "../review/preview";
import { policyConfigFor } from "../review/stack";
import { summarize } from "../review/summary";

const USAGE = "usage: berth summary STACK... [--out FILE] [--policy-config FILE] | berth drift STACK [--policy-config FILE]";

export interface Command {
    readonly cmd: "summary" | "drift";
    readonly stacks: string[];
    readonly out?: string;
    readonly policyConfig?: string;
}

/** The command line's meaning, or undefined when it is not one berth accepts. */
export function parseArgs(argv: string[]): Command | undefined {
    const [cmd, ...rest] = argv;
    const outIdx = rest.indexOf("--out");
    const out = outIdx >= 0 ? rest.splice(outIdx, 2)[1] : undefined;
    const pcIdx = rest.indexOf("--policy-config");
    const policyConfig = pcIdx >= 0 ? rest.splice(pcIdx, 2)[1] : undefined;
    if ((cmd !== "summary" && cmd !== "drift") || rest.length === 0 || (cmd === "drift" && rest.length !== 1)) return undefined;
    if ((outIdx >= 0 && !out) || (pcIdx >= 0 && !policyConfig) || rest.some((a) => a.startsWith("-"))) return undefined;
    return { cmd, stacks: rest, out, policyConfig };
}

async function main(argv: string[]): Promise<number> {
    const c = parseArgs(argv);
    if (!c) {
        console.error(USAGE);
        return 2;
    }
    const { cmd, out, policyConfig } = c;
    const parts: string[] = [];
    let failed = false;
    for (const name of c.stacks) {
        process.stderr.write(`berth: previewing ${name} with the real engine...\n`);
        if (cmd === "summary") {
            const s = summarize(await previewStack(name, undefined, policyConfigFor(name, policyConfig)));
            parts.push(s.markdown);
            if (s.blocking.length) failed = true;
        } else {
            const d = await driftCheck(name, undefined, policyConfigFor(name, policyConfig), (l) => process.stderr.write(`${l}\n`));
            parts.push(d.markdown);
            if (d.drifted) failed = true;
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
