// scripts/bin/pulumi gives the dev stack, and only it, a default passphrase.
// Run for real against a stand-in CLI that prints the passphrase it was given.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";

const WRAPPER = path.resolve(__dirname, "../../scripts/bin/pulumi");
const fake = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fake-pulumi-"));
// `stack --show-name` answers the selected stack; anything else prints the passphrase seen.
fs.writeFileSync(path.join(fake, "pulumi"), '#!/bin/sh\n[ "$1 $2" = "stack --show-name" ] && { echo "$SELECTED"; exit 0; }\necho "${PULUMI_CONFIG_PASSPHRASE:-none}"\n', { mode: 0o755 });

function passphraseFor(args: string, selected = "staging"): string {
    const env: Record<string, string> = { PATH: process.env.PATH!, BERTH_PULUMI_BIN: fake, SELECTED: selected };
    return execFileSync("bash", [WRAPPER, ...args.split(" ")], { env, encoding: "utf8" }).trim();
}

afterAll(() => fs.rmSync(fake, { recursive: true, force: true }));

describe("scripts/bin/pulumi", () => {
    it.each(["stack select --create dev", "stack select dev", "stack init dev", "stack rm --force dev", "stack init --secrets-provider passphrase dev", "up --stack dev", "up -s dev", "up --skip-preview --stack dev", "preview --stack=dev"])(
        "gives `%s` the dev passphrase",
        (args) => expect(passphraseFor(args)).toBe("berth-dev-stack-local-only"),
    );
    it.each([
        "stack select --create staging",
        "up --stack prod",
        "stack init --secrets-provider passphrase staging",
        "stack init --copy-config-from dev staging",
        "stack init --stack staging --copy-config-from dev",
        "config rm --stack prod dev",
        "up --skip-preview --stack prod",
        "up",
    ])("gives `%s` none", (args) =>
        expect(passphraseFor(args)).toBe("none"),
    );
    it("gives the selected dev stack the dev passphrase", () => expect(passphraseFor("up", "dev")).toBe("berth-dev-stack-local-only"));
    it("never overrides a passphrase the user set", () => {
        const env = { PATH: process.env.PATH!, BERTH_PULUMI_BIN: fake, PULUMI_CONFIG_PASSPHRASE: "mine" };
        expect(execFileSync("bash", [WRAPPER, "up", "--stack", "dev"], { env, encoding: "utf8" }).trim()).toBe("mine");
    });
});
