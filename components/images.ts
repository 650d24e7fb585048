/**
 * Image references. A service gives an `image`, or a `build` context whose
 * content hash names the image, so that a changed context is a new image and
 * an unchanged one is the same reference (no needless rollout).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

const hashes = new Map<string, string>();

/**
 * sha256 over the relative paths and contents of every file under dir, first
 * 12 hex digits. Read once per folder and program run (the manifest and the
 * target both ask).
 */
export function contextHash(dir: string): string {
    const known = hashes.get(dir);
    if (known) return known;
    const h = createHash("sha256");
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            if (e.name === "node_modules" || e.name === ".git") continue;
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) {
                h.update(path.relative(dir, p)).update("\0").update(fs.readFileSync(p)).update("\0");
            }
        }
    };
    walk(dir);
    const hash = h.digest("hex").slice(0, 12);
    hashes.set(dir, hash);
    return hash;
}

/**
 * The tag of a built image: the context's content hash, and with a build
 * target or args, a hash of those too, so that building another stage or
 * with other args is another image reference (and a rollout), while a build
 * without them keeps the tag it always had.
 */
export function buildTag(build: { context: string; target?: string; args?: Record<string, string> }): string {
    const ctx = contextHash(build.context);
    const args = Object.entries(build.args ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (build.target === undefined && args.length === 0) return ctx;
    return createHash("sha256").update(JSON.stringify([ctx, build.target ?? null, args])).digest("hex").slice(0, 12);
}
