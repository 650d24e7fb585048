/**
 * Image references. A service gives an `image`, or a `build` context whose
 * content hash names the image, so that a changed context is a new image and
 * an unchanged one is the same reference (no needless rollout).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeployContext, ResolvedService } from "./target";

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
 * The Docker name of a stack's volume, `<project>-<stack>-<volume>`, and
 * `-<ordinal>` after it for a per-replica volume's copy: deterministic, so a
 * later up finds retained data.
 */
export function dockerVolumeName(ctx: DeployContext, volume: string, ordinal?: number | string): string {
    return `${ctx.project}-${ctx.stack}-${volume}${ordinal === undefined ? "" : `-${ordinal}`}`;
}

/** The registry repository of a built service's image: `<registry>/<project>-<service>`. */
export function registryRepository(svc: ResolvedService, ctx: DeployContext): string {
    return `${ctx.config.kubernetes?.registry}/${ctx.project}-${svc.name}`;
}
