/**
 * Splits a command line given as one string into words exactly as Compose
 * does (compose-go parses a string `command` or `entrypoint` with
 * github.com/mattn/go-shellwords v1.0.12, without environment or backtick
 * expansion), and no shell ever runs it:
 *
 * - space, tab, CR and LF outside quotes separate words;
 * - '...' keeps everything literally; "..." keeps everything but `\`, which
 *   (inside "..." too) makes the next character literal and is dropped
 *   (so `"a\n"` is `an`, as in Compose, not a newline);
 * - `$VAR`, `${VAR}`, `$(...)` and backquotes are kept as written (a
 *   `$(...)` or backquoted part may hold spaces);
 * - an empty '' or "" is an empty word.
 *
 * Where Compose would refuse the string, so does berth, saying why. Where
 * Compose would silently run something else than the string reads, berth
 * refuses too: at an unquoted `;`, `&`, `|`, `<` or `>` the parser stops and
 * Compose runs only the words before it.
 */

/** What every refusal adds: how a string is read, and what to write for a shell. */
export const SPLIT_RULES =
    'a string is split into words as Compose splits it (spaces separate words; \'...\', "..." and \\ keep them together) and no shell runs it: to run it through a shell, write ["sh", "-c", "<the line>"]';

const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";

export function splitWords(line: string): { words: string[] } | { error: string } {
    const words: string[] = [];
    let buf = "";
    let word = false; // a word has begun (an empty '' or "" is one)
    let escaped = false;
    let single = false;
    let double = false;
    let back = false;
    let dollar = false;
    let i = -1;
    for (const r of line) {
        i++;
        if (escaped) {
            buf += r;
            escaped = false;
            word = true;
            continue;
        }
        if (r === "\\") {
            if (single) buf += r;
            else escaped = true;
            continue;
        }
        if (isSpace(r)) {
            if (single || double || back || dollar) buf += r;
            else if (word) {
                words.push(buf);
                buf = "";
                word = false;
            }
            continue;
        }
        switch (r) {
            case "`":
                if (!single && !double && !dollar) back = !back;
                break;
            case ")":
                if (!single && !double && !back) dollar = !dollar;
                break;
            case "(":
                if (!single && !double && !back) {
                    if (!dollar && buf.endsWith("$")) {
                        dollar = true;
                        buf += "(";
                        continue;
                    }
                    return { error: `a "(" outside quotes that does not start "$(" (Compose refuses it too; quote it)` };
                }
                break;
            case '"':
                if (!single && !dollar) {
                    if (double) word = true;
                    double = !double;
                    continue;
                }
                break;
            case "'":
                if (!double && !dollar) {
                    if (single) word = true;
                    single = !single;
                    continue;
                }
                break;
            case ";":
            case "&":
            case "|":
            case "<":
            case ">":
                if (!(single || double || back || dollar)) {
                    return {
                        error: `"${r}" outside quotes at character ${i + 1}: Compose would keep only the words before it and silently drop the rest (quote it to pass it as a word)`,
                    };
                }
                break;
        }
        word = true;
        buf += r;
    }
    if (word) words.push(buf);
    if (escaped) return { error: "it ends with a lone \\ (Compose refuses it too)" };
    if (single) return { error: "a ' quote is not closed (Compose refuses it too)" };
    if (double) return { error: 'a " quote is not closed (Compose refuses it too)' };
    if (back) return { error: "a ` quote is not closed (Compose refuses it too)" };
    if (dollar) return { error: 'a "$(" or ")" outside quotes is not closed (Compose refuses it too)' };
    if (words.length === 0) return { error: "no words (give at least one)" };
    return { words };
}
