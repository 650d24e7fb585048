/**
 * What berth decides per stack, asked of the one place that decides it:
 * scripts/lib.sh (`passphrase_default`, `policy_config`), which scripts/up and
 * scripts/bin/pulumi use too. The review tooling keeps no copy of either.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..");
const LIB = path.join(REPO, "scripts", "lib.sh");

/** Runs `FN STACK` from scripts/lib.sh (in bash, for this repo) and returns what it prints. */
function askLib(fn: "passphrase_default" | "policy_config", stack: string): string {
    const env = { ...process.env, BERTH_REPO: REPO };
    return execFileSync("bash", ["-c", 'source "$1" && "$2" "$3"', "lib.sh", LIB, fn, stack], { env, encoding: "utf8" }).trim();
}

/** The passphrase a stack gets when the user set none (only dev has one), or undefined. */
export function passphraseDefault(stack: string): string | undefined {
    return askLib("passphrase_default", stack) || undefined;
}

/** The policy config of a stack: the file named, else the stack's own (lib.sh's policy_config), else none; an absolute path. */
export function policyConfigFor(stack: string, named?: string): string | undefined {
    if (named) {
        if (!fs.existsSync(named)) throw new Error(`--policy-config ${named}: no such file (the files berth has are in policies/config/)`);
        return path.resolve(named);
    }
    const own = askLib("policy_config", stack);
    return own ? path.join(REPO, own) : undefined;
}

/** The environment the engine runs a stack's commands with: `base`, and the stack's default passphrase when the user set none. */
export function stackEnv(stack: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
    if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        const dflt = passphraseDefault(stack);
        if (dflt) env.PULUMI_CONFIG_PASSPHRASE = dflt;
    }
    return env;
}
