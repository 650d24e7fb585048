/**
 * berth's checker: one static busybox binary (Debian's busybox-static), the
 * one thing an http or tcp health check and a dependency wait run, so that
 * neither needs a shell, bash or any tool in the user's image (busybox-based,
 * distroless and `FROM scratch` images included). Each target decides where
 * it runs (the drivers map it):
 *
 *   Docker health check (http, tcp): runs inside the container, so the binary
 *     is uploaded into it before it starts, at CHECKER (in `/.berth`, which is
 *     an anonymous volume when the root filesystem is read-only: the engine
 *     refuses an upload into a read-only root), and the check is in exec form:
 *     no shell, the path is one argv word, sent as it is.
 *   Kubernetes probes: the kubelet's own (httpGet, tcpSocket); nothing runs in
 *     the container. A dependency wait runs in an init container of berth's
 *     checker image (checker/Dockerfile: the same binary alone in a scratch
 *     image), pushed to the stack's registry like a built image.
 *   A `command` check is the user's own command, run as written on both.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Check } from "./spec";

/** Where the Docker target places the checker in a container. */
export const CHECKER_DIR = "/.berth";
export const CHECKER = `${CHECKER_DIR}/busybox`;

/** The build context of berth's checker image (Kubernetes' dependency waits): the binary at /busybox. */
export const CHECKER_CONTEXT = path.join(__dirname, "checker");
/** The binary's path in the checker image. */
export const CHECKER_IN_IMAGE = "/busybox";

/**
 * The static busybox on the machine that runs the program, which the Docker
 * target uploads into containers: Debian's busybox-static (npm run setup
 * installs it), at /bin/busybox, unless BERTH_CHECKER_BINARY names another.
 * The engine runs it, so it must be built for the engine's architecture (the
 * local engine's is this machine's).
 */
export const checkerBinary = (env: NodeJS.ProcessEnv = process.env) => env.BERTH_CHECKER_BINARY || "/bin/busybox";

/**
 * Why the checker binary cannot be used, or undefined when it can: it must
 * exist, and be statically linked (no ELF program interpreter), since the
 * image it lands in may hold no libraries at all.
 */
export function checkerBinaryProblem(file = checkerBinary()): string | undefined {
    // Read once per file and program run: every validation asks.
    if (!problems.has(file)) problems.set(file, binaryProblem(file));
    return problems.get(file);
}
const problems = new Map<string, string | undefined>();
function binaryProblem(file: string): string | undefined {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(file);
    } catch (e) {
        return `${file} is missing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (bytes.readUInt32BE(0) !== 0x7f454c46) return `${file} is not an ELF executable`;
    // A dynamically linked binary names its loader (PT_INTERP, program header type 3).
    const is64 = bytes[4] === 2;
    const le = bytes[5] === 1;
    const u16 = (o: number) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
    const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
    const phoff = is64 ? Number(le ? bytes.readBigUInt64LE(32) : bytes.readBigUInt64BE(32)) : u32(28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
        if (u32(phoff + i * phentsize) === 3) return `${file} is dynamically linked (Debian's busybox package, not busybox-static?)`;
    }
    return undefined;
}

const hashes = new Map<string, string>();
/** sha256 of the checker binary: a changed binary is uploaded again (read once per program run). */
export function checkerHash(file = checkerBinary()): string {
    let h = hashes.get(file);
    if (h === undefined) hashes.set(file, (h = createHash("sha256").update(fs.readFileSync(file)).digest("hex")));
    return h;
}

/** Whether a check runs the checker (http and tcp do; a command check is the user's own command). */
export const usesChecker = (c: Check | undefined) => c !== undefined && c.command === undefined;

/**
 * The argv of an http or tcp check run inside the container with the
 * checker at `checker`, in exec form:
 *  - http: `wget` GETs http://127.0.0.1:<port><path>, the path verbatim (one
 *    argv word: no shell, no printf, so `'`, `%`, `$` reach the server as
 *    written), never through a proxy (`-Y off`); it exits 0 on a 2xx answer,
 *    and follows a redirect (3xx) to where it leads;
 *  - tcp: `nc` connects to 127.0.0.1:<port> and, once connected, runs the
 *    checker's `true` (busybox's nc has no -z): exit 0 when the port accepts.
 */
export function checkArgv(c: Check, checker = CHECKER): string[] {
    if (c.http) return [checker, "wget", "-q", "-Y", "off", "-O", "/dev/null", `http://127.0.0.1:${c.http.port}${c.http.path}`];
    if (c.tcp) return [checker, "nc", "-w", String(c.timeoutSeconds), "127.0.0.1", String(c.tcp.port), "-e", checker, "true"];
    throw new Error("checkArgv: a command check runs the user's own command");
}

/**
 * The argv of the init container (berth's checker image) that holds a
 * dependent until `host:port` accepts a TCP connection, retried every second.
 * The loop is the checker's own shell (busybox sh, in berth's image, not the
 * dependent's); host and port are its arguments, never spliced into its text.
 */
export function waitArgv(host: string, port: number): string[] {
    const b = CHECKER_IN_IMAGE;
    return [b, "sh", "-c", `until ${b} nc -w 2 "$1" "$2" -e ${b} true 2>/dev/null; do echo "waiting for $1:$2"; sleep 1; done`, "wait-for", host, String(port)];
}
