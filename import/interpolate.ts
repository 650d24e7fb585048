/**
 * Compose's variable interpolation and `.env` files, as Compose (compose-go)
 * does them:
 *
 * - `$VAR` and `${VAR}`: the value, or "" when unset (Compose warns: the
 *   importer reports it);
 * - `${VAR:-default}` (unset or empty) and `${VAR-default}` (unset): the
 *   default, itself interpolated (nesting such as `${A:-${B}}` works);
 * - `${VAR:?err}` (unset or empty) and `${VAR?err}` (unset): an error with
 *   that message, which stops the import as it stops Compose;
 * - `${VAR:+alt}` (set and non-empty) and `${VAR+alt}` (set): `alt`;
 * - `$$`: one literal `$`;
 * - any other `$` (`$1`, `$ `, a lone `$` at the end): "invalid
 *   interpolation format", as Compose refuses it.
 *
 * The environment is the process's, over the `.env` file next to the Compose
 * file: a variable set in both takes the process's value, as in Compose.
 */

export class InterpolationError extends Error {}

/** What one string's interpolation read: the variables it found unset. */
export interface Interpolated {
    value: string;
    unset: string[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** The text from `start` (just after a `${`) to its matching `}`, honouring nested `${...}`. */
function braced(s: string, start: number): number {
    let depth = 1;
    for (let i = start; i < s.length; i++) {
        if (s[i] === "$" && s[i + 1] === "$") {
            i++;
            continue;
        }
        if (s[i] === "$" && s[i + 1] === "{") {
            depth++;
            i++;
        } else if (s[i] === "}") {
            depth--;
            if (depth === 0) return i;
        }
    }
    return -1;
}

export function interpolate(s: string, env: Record<string, string | undefined>): Interpolated {
    const unset: string[] = [];
    const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
    const run = (text: string): string => {
        let out = "";
        for (let i = 0; i < text.length; i++) {
            const c = text[i];
            if (c !== "$") {
                out += c;
                continue;
            }
            const next = text[i + 1];
            if (next === "$") {
                out += "$";
                i++;
                continue;
            }
            if (next === "{") {
                const end = braced(text, i + 2);
                if (end < 0) throw new InterpolationError(`invalid interpolation format for "${text}": a "\${" is not closed; write $$ for a literal $`);
                const body = text.slice(i + 2, end);
                out += expand(body, text);
                i = end;
                continue;
            }
            const m = NAME.exec(text.slice(i + 1));
            if (!m) throw new InterpolationError(`invalid interpolation format for "${text}": "$" must start $VAR, \${VAR} or $$ (write $$ for a literal $)`);
            const v = lookup(m[0]);
            if (v === undefined) unset.push(m[0]);
            out += v ?? "";
            i += m[0].length;
        }
        return out;
    };
    const expand = (body: string, whole: string): string => {
        const m = NAME.exec(body);
        if (!m) throw new InterpolationError(`invalid interpolation format for "${whole}": "\${${body}}" does not start with a variable name`);
        const name = m[0];
        const rest = body.slice(name.length);
        const v = lookup(name);
        if (rest === "") {
            if (v === undefined) unset.push(name);
            return v ?? "";
        }
        const op = rest.startsWith(":") ? rest.slice(0, 2) : rest.slice(0, 1);
        const arg = rest.slice(op.length);
        const emptyCounts = op.startsWith(":");
        const missing = v === undefined || (emptyCounts && v === "");
        switch (op.replace(":", "")) {
            case "-":
                return missing ? run(arg) : v!;
            case "?":
                if (missing) throw new InterpolationError(`required variable ${name} is missing a value${arg ? `: ${run(arg)}` : ""}`);
                return v!;
            case "+":
                return missing ? "" : run(arg);
            default:
                throw new InterpolationError(`invalid interpolation format for "${whole}": "\${${body}}" (accepted: \${VAR}, \${VAR:-default}, \${VAR-default}, \${VAR:?error}, \${VAR?error}, \${VAR:+alt}, \${VAR+alt})`);
        }
    };
    return { value: run(s), unset };
}

/**
 * A `.env` or `env_file` file, as Compose reads it: `KEY=VALUE` lines
 * (`export KEY=VALUE` too), `#` comments and blank lines skipped; a value in
 * '...' is literal, in "..." has `\n`, `\t`, `\\`, `\"` escapes and is
 * interpolated, unquoted is trimmed, loses a ` #comment` and is interpolated.
 * A `${VAR}` in a value reads the process environment first, then the lines
 * above it (compose-go's lookup order). A line
 * `KEY` alone takes KEY from `lookup` (left out when it has none).
 */
export function parseDotenv(text: string, lookup: Record<string, string | undefined> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    // As compose-go looks a variable up: the process environment first, then the lines above.
    const env = () => {
        const e: Record<string, string | undefined> = { ...out };
        for (const [k, v] of Object.entries(lookup)) if (v !== undefined) e[k] = v;
        return e;
    };
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    for (let n = 0; n < lines.length; n++) {
        let line = lines[n].trim();
        if (line === "" || line.startsWith("#")) continue;
        if (line.startsWith("export ")) line = line.slice(7).trim();
        const eq = line.indexOf("=");
        if (eq < 0) {
            const v = lookup[line];
            if (v !== undefined) out[line] = v;
            continue;
        }
        const key = line.slice(0, eq).trim();
        let raw = line.slice(eq + 1).trimStart();
        let value: string;
        if (raw.startsWith("'") || raw.startsWith('"')) {
            const q = raw[0];
            // A quoted value may span lines.
            let body = raw.slice(1);
            while (!closes(body, q) && n + 1 < lines.length) body += "\n" + lines[++n];
            const end = closeIndex(body, q);
            const inner = end < 0 ? body : body.slice(0, end);
            value = q === "'" ? inner : interpolate(unescape(inner), env()).value;
        } else {
            raw = raw.replace(/\s+#.*$/, "").trim();
            value = interpolate(raw, env()).value;
        }
        out[key] = value;
    }
    return out;
}

function closeIndex(s: string, q: string): number {
    for (let i = 0; i < s.length; i++) {
        if (q === '"' && s[i] === "\\") {
            i++;
            continue;
        }
        if (s[i] === q) return i;
    }
    return -1;
}
const closes = (s: string, q: string) => closeIndex(s, q) >= 0;
const unescape = (s: string) => s.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c as "n"] ?? (c === "$" ? "$$" : c));
