/**
 * `npm run import -- path/to/compose.yaml [--to apps/shop.ts]`: writes a
 * TypeScript module exporting the app spec (`export const app = {...}
 * satisfies AppInput`) to stdout, and the report of approximations and
 * refusals, and the secrets and overrides the stacks need, to stderr.
 *
 * The module imports AppInput from berth's entry module (components/index.ts)
 * by a relative path, computed for where the module will live: `--to <file>`,
 * or by default a file under apps/ (`../components`).
 *
 * `npm run import -- --table` prints the key mapping table (docs/reference.md).
 * Exit status: 0 when written, 1 when Compose would refuse the file too (or
 * the spec check fails: an importer bug), 2 on a usage error.
 */
import * as path from "path";
import { ComposeImportError, importComposeFile, keyTable, renderModule, renderReport } from "./compose";

function main(argv: string[]): number {
    if (argv[0] === "--table") {
        process.stdout.write(keyTable());
        return 0;
    }
    let file: string | undefined;
    let to: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--to") to = argv[++i];
        else if (argv[i].startsWith("--to=")) to = argv[i].slice(5);
        else if (!file && !argv[i].startsWith("--")) file = argv[i];
        else {
            process.stderr.write(`unexpected argument ${JSON.stringify(argv[i])}\n`);
            file = undefined;
            break;
        }
    }
    if (!file || (argv.includes("--to") && !to)) {
        process.stderr.write("usage: npm run import -- path/to/compose.yaml [--to apps/<name>.ts] > apps/<name>.ts\n       npm run import -- --table\n");
        return 2;
    }
    file = path.normalize(file);
    try {
        const r = importComposeFile(file);
        process.stdout.write(renderModule(r, { source: file, modulePath: to }));
        process.stderr.write(renderReport(r, file));
        return r.findings.some((f) => f.message.includes("an importer bug")) ? 1 : 0;
    } catch (e) {
        if (e instanceof ComposeImportError) {
            process.stderr.write(`berth import: ${e.message}\n`);
            return 1;
        }
        throw e;
    }
}

process.exitCode = main(process.argv.slice(2));
