/**
 * Which command starts `backend-audit lsp`, and what to tell the user when there is none.
 * Pure: file-system checks come in through `Probe`, so every branch is unit-tested.
 *
 * Order, first hit wins:
 *   1. `backendAudit.path`         an executable, started as `<path> lsp`
 *   2. `backendAudit.interpreter`  the `backend-audit` script next to it, else `<python> -c <entry point> lsp`
 *   3. the Python extension's interpreter, if `backend-audit` sits next to it   (trusted only)
 *   4. `<workspace>/.venv` or `venv`                                          (trusted only)
 *   5. `PATH`
 *   6. `~/.local/bin` (pip --user, pipx); editors started from a desktop often lack it on PATH
 */
import * as path from 'node:path';

export const EXECUTABLE = 'backend-audit';
/** Runs the console script's entry point, for an interpreter that has the package but no script. */
export const ENTRY_POINT = 'import sys; from backend_audit.cli import main; sys.exit(main())';
export const PACKAGE = 'backend-audit';

export type LaunchSource =
    | 'backendAudit.path'
    | 'backendAudit.interpreter'
    | 'python-extension'
    | 'workspace-venv'
    | 'PATH'
    | 'user-bin';

export interface LaunchInputs {
    /** `backendAudit.path`. */
    path: string[];
    /** `backendAudit.interpreter`. */
    interpreter: string[];
    /** `backendAudit.serverArgs`. */
    serverArgs: string[];
    /** The interpreter selected in the Python extension, when it is installed. */
    pythonExtensionInterpreter?: string;
    /** Workspace folders, for `${workspaceFolder}` and the workspace venv. */
    workspaceFolders: string[];
    /** Whether the workspace is trusted; untrusted workspaces never run their own executables. */
    trusted: boolean;
    /** The extension host's environment (PATH, PATHEXT, HOME, variables for `${env:X}`). */
    env: Record<string, string | undefined>;
    platform: NodeJS.Platform;
    home: string;
}

export interface Probe {
    /** True when `file` exists and is an executable regular file. */
    isExecutable(file: string): boolean;
}

export interface LaunchCommand {
    kind: 'found';
    command: string;
    args: string[];
    source: LaunchSource;
}

export interface LaunchMissing {
    kind: 'missing';
    /** The exact shell command that installs the server. */
    installCommand: string;
    /** One line for a notification. */
    message: string;
    /** Everything that was looked at, for the output channel. */
    tried: string[];
}

export type LaunchPlan = LaunchCommand | LaunchMissing;

/** Expands `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}`. */
export function expandVariables(value: string, inputs: Pick<LaunchInputs, 'workspaceFolders' | 'env' | 'home'>): string {
    let out = value.replace(/\$\{(userHome|workspaceFolder|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (match, name, envName) => {
        if (name === 'userHome') {
            return inputs.home;
        }
        if (name === 'workspaceFolder') {
            return inputs.workspaceFolders[0] ?? match;
        }
        return inputs.env[envName as string] ?? '';
    });
    if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
        out = inputs.home + out.slice(1);
    }
    return out;
}

function pathApi(platform: NodeJS.Platform): typeof path.posix {
    return platform === 'win32' ? path.win32 : path.posix;
}

/** Candidate file names of an executable, with PATHEXT on Windows. */
export function executableNames(name: string, platform: NodeJS.Platform, env: LaunchInputs['env']): string[] {
    if (platform !== 'win32') {
        return [name];
    }
    const exts = (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean);
    return [name, ...exts.map((e) => name + e.toLowerCase())];
}

/** Like `which`: the first executable `name` on `PATH`. */
export function findOnPath(name: string, inputs: Pick<LaunchInputs, 'env' | 'platform'>, probe: Probe): string | undefined {
    const p = pathApi(inputs.platform);
    const sep = inputs.platform === 'win32' ? ';' : ':';
    const envPath = inputs.env.PATH ?? inputs.env.Path ?? '';
    for (const dir of envPath.split(sep)) {
        if (!dir) {
            continue;
        }
        for (const file of executableNames(name, inputs.platform, inputs.env)) {
            const candidate = p.join(dir, file);
            if (probe.isExecutable(candidate)) {
                return candidate;
            }
        }
    }
    return undefined;
}

/** The `backend-audit` console script installed next to a Python interpreter, if any. */
export function scriptNextToInterpreter(
    interpreter: string,
    inputs: Pick<LaunchInputs, 'platform' | 'env'>,
    probe: Probe,
): string | undefined {
    const p = pathApi(inputs.platform);
    const dir = p.dirname(interpreter);
    // Windows venvs keep python.exe in Scripts/ next to the scripts; base installs keep it one above.
    const dirs = inputs.platform === 'win32' ? [dir, p.join(dir, 'Scripts')] : [dir];
    for (const d of dirs) {
        for (const file of executableNames(EXECUTABLE, inputs.platform, inputs.env)) {
            const candidate = p.join(d, file);
            if (probe.isExecutable(candidate)) {
                return candidate;
            }
        }
    }
    return undefined;
}

function quote(arg: string, platform: NodeJS.Platform): string {
    if (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg)) {
        return arg;
    }
    return platform === 'win32' ? `"${arg}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The exact install command, for the interpreter the user is most likely to want. */
export function installCommand(inputs: LaunchInputs): string {
    const python =
        inputs.interpreter[0] !== undefined
            ? expandVariables(inputs.interpreter[0], inputs)
            : inputs.trusted && inputs.pythonExtensionInterpreter
              ? inputs.pythonExtensionInterpreter
              : inputs.platform === 'win32'
                ? 'py'
                : 'python3';
    return `${quote(python, inputs.platform)} -m pip install ${PACKAGE}`;
}

export function resolveLaunch(inputs: LaunchInputs, probe: Probe): LaunchPlan {
    const tried: string[] = [];
    const args = ['lsp', ...inputs.serverArgs];
    const p = pathApi(inputs.platform);
    const found = (command: string, source: LaunchSource, extraArgs: string[] = args): LaunchCommand => ({
        kind: 'found',
        command,
        args: extraArgs,
        source,
    });

    for (const raw of inputs.path) {
        const candidate = expandVariables(raw, inputs);
        tried.push(`backendAudit.path: ${candidate}`);
        if (probe.isExecutable(candidate)) {
            return found(candidate, 'backendAudit.path');
        }
        // A bare name such as "backend-audit" is looked up on PATH.
        if (!candidate.includes('/') && !candidate.includes('\\')) {
            const onPath = findOnPath(candidate, inputs, probe);
            if (onPath) {
                return found(onPath, 'backendAudit.path');
            }
        }
    }

    for (const raw of inputs.interpreter) {
        const python = expandVariables(raw, inputs);
        tried.push(`backendAudit.interpreter: ${python}`);
        if (!probe.isExecutable(python)) {
            continue;
        }
        const script = scriptNextToInterpreter(python, inputs, probe);
        return script
            ? found(script, 'backendAudit.interpreter')
            : found(python, 'backendAudit.interpreter', ['-c', ENTRY_POINT, ...args]);
    }

    if (inputs.trusted && inputs.pythonExtensionInterpreter) {
        tried.push(`Python extension interpreter: ${inputs.pythonExtensionInterpreter}`);
        const script = scriptNextToInterpreter(inputs.pythonExtensionInterpreter, inputs, probe);
        if (script) {
            return found(script, 'python-extension');
        }
    }

    if (inputs.trusted) {
        const bin = inputs.platform === 'win32' ? 'Scripts' : 'bin';
        for (const folder of inputs.workspaceFolders) {
            for (const venv of ['.venv', 'venv']) {
                for (const file of executableNames(EXECUTABLE, inputs.platform, inputs.env)) {
                    const candidate = p.join(folder, venv, bin, file);
                    tried.push(`workspace virtual environment: ${candidate}`);
                    if (probe.isExecutable(candidate)) {
                        return found(candidate, 'workspace-venv');
                    }
                }
            }
        }
    }

    tried.push(`PATH: ${inputs.env.PATH ?? inputs.env.Path ?? ''}`);
    const onPath = findOnPath(EXECUTABLE, inputs, probe);
    if (onPath) {
        return found(onPath, 'PATH');
    }

    if (inputs.platform !== 'win32') {
        const userBin = p.join(inputs.home, '.local', 'bin', EXECUTABLE);
        tried.push(userBin);
        if (probe.isExecutable(userBin)) {
            return found(userBin, 'user-bin');
        }
    }

    const install = installCommand(inputs);
    return {
        kind: 'missing',
        installCommand: install,
        // Notifications show text as is: no Markdown backticks.
        message: `Backend Audit: the language server "${EXECUTABLE}" was not found. Install it with: ${install} (or set backendAudit.path to its location).`,
        tried,
    };
}
