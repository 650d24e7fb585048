/**
 * A service's `files` (spec.ts fileSchema) as bytes: read from the
 * repository (relative to the program's folder) or inline, and the hash
 * that names them. validate.ts refuses a missing source and too many bytes
 * before anything registers; the drivers place them.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FileSpec } from "./spec";

/** Where a source file is: relative to the program's folder (the working directory `pulumi` runs the program in), or absolute. */
export const sourcePath = (source: string) => path.resolve(source);

/** A file's bytes: its source as it is now (at most 1 MiB, read where needed), or its inline content. */
export function fileBytes(f: FileSpec): Buffer {
    return f.content !== undefined ? Buffer.from(f.content, "utf8") : fs.readFileSync(sourcePath(f.source!));
}

/** Whether bytes are UTF-8 text as they are (a ConfigMap's `data`, an upload's `content`); else they travel as base64. */
export const isUtf8 = (b: Buffer) => Buffer.from(b.toString("utf8"), "utf8").equals(b);

/** The mode as an octal string, e.g. "0644" (Docker's upload permissions). */
export const octalMode = (mode: number) => mode.toString(8).padStart(4, "0");

/**
 * sha256 over every file's path, mode and bytes, first 10 hex digits: the
 * name of a service's ConfigMap, so that a changed content is a new name.
 */
export function filesHash(files: readonly FileSpec[]): string {
    const h = createHash("sha256");
    for (const f of files) h.update(f.path).update("\0").update(octalMode(f.mode)).update("\0").update(fileBytes(f)).update("\0");
    return h.digest("hex").slice(0, 10);
}

/**
 * The ConfigMap key of a service's i-th file: `f<i>-<its name>`, with the
 * characters a key refuses replaced (keys are [-._a-zA-Z0-9]).
 */
export const fileKey = (f: FileSpec, i: number) => `f${i}-${path.posix.basename(f.path).replace(/[^-._a-zA-Z0-9]/g, "_")}`.slice(0, 253);

/** berth's cache of files to bind-mount on Docker (a read-only root refuses uploads): `$XDG_CACHE_HOME/berth/files` or `~/.cache/berth/files`. */
export const hostFilesDir = () => path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "berth", "files");

/**
 * A file written to berth's cache on this machine, named by the sha256 of its
 * mode and bytes (`<dir>/<sha256>/<name>`), so that writing it again (every
 * preview and up) changes nothing and a new content is a new path. Returns
 * its absolute path.
 */
export function hostFile(f: FileSpec, dir = hostFilesDir()): string {
    const bytes = fileBytes(f);
    const sha = createHash("sha256").update(octalMode(f.mode)).update("\0").update(bytes).digest("hex");
    const file = path.join(dir, sha, path.posix.basename(f.path));
    if (!fs.existsSync(file) || !fs.readFileSync(file).equals(bytes)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, bytes);
        fs.chmodSync(tmp, f.mode);
        fs.renameSync(tmp, file);
    }
    return file;
}
