/**
 * The `backendAudit.*` settings: their defaults, and the one normalised object that the server
 * receives both as `initializationOptions` and as the answer to `workspace/configuration`
 * (section `backendAudit`). Pure: no `vscode` import, so the unit tests run under plain node.
 */

export const SECTION = 'backendAudit';

/** The audit's ten sections, in the audit's order (DESIGN.md, "Sections"). */
export const SECTION_KEYS = [
    'architecture',
    'framework',
    'design',
    'scalability',
    'data',
    'testing',
    'resilience',
    'config',
    'observability',
    'api',
] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LSP_SEVERITIES = ['Error', 'Warning', 'Information', 'Hint'] as const;
export type LspSeverity = (typeof LSP_SEVERITIES)[number];

export const SCOPES = ['openFiles', 'workspace'] as const;
export type Scope = (typeof SCOPES)[number];

export const TRACE_LEVELS = ['off', 'messages', 'verbose'] as const;
export type TraceLevel = (typeof TRACE_LEVELS)[number];

export const DEFAULT_SEVERITY_MAP: Readonly<Record<Severity, LspSeverity>> = {
    Critical: 'Error',
    High: 'Error',
    Medium: 'Warning',
    Low: 'Information',
    Info: 'Hint',
};

export const DEFAULT_DEBOUNCE_MS = 150;
export const MAX_DEBOUNCE_MS = 10_000;

/** What the server is given: the analysis settings, normalised. */
export interface ServerSettings {
    /** Per-document delay before re-analysis; 0 analyses on every change. */
    debounceMs: number;
    /** `openFiles` analyses open documents only; `workspace` every file of the workspace. */
    scope: Scope;
    /** Audit severity -> LSP DiagnosticSeverity name. Always holds all five severities. */
    severityMap: Record<Severity, LspSeverity>;
    /** Rule ids or prefixes to enable; empty means all. */
    select: string[];
    /** Rule ids or prefixes to disable. */
    ignore: string[];
    /** Enabled sections, in audit order. */
    sections: SectionKey[];
    /** Report output path as the user wrote it (relative to the workspace folder); absent: server default. */
    reportPath?: string;
    /** Baseline file whose accepted findings are hidden; absent: the project file's. */
    baseline?: string;
    /** gitignore-style globs; when non-empty only matching files get diagnostics. `changed-lines`
     * demotes findings on lines unchanged since `focusRef` to Hints. */
    focus: string[];
    /** The git ref `changed-lines` compares with. */
    focusRef: string;
    /** How findings the baseline accepts are shown: not at all, or as Hints. */
    baselined: 'hide' | 'hint';
    /** `backendAudit.trace.server`. */
    trace: TraceLevel;
}

/** What the client needs to start the server. Never sent to the server. */
export interface LaunchSettings {
    path: string[];
    interpreter: string[];
    serverArgs: string[];
}

export interface ClientSettings {
    server: ServerSettings;
    launch: LaunchSettings;
    showStatusBar: boolean;
}

/** Reads one setting by its key below `backendAudit.` (for example `trace.server`). */
export type SettingGetter = (key: string) => unknown;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
    return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** A list of non-empty trimmed strings; a single string counts as a one-item list. */
export function stringList(value: unknown): string[] {
    const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    const out: string[] = [];
    for (const item of items) {
        if (typeof item === 'string' && item.trim() !== '' && !out.includes(item.trim())) {
            out.push(item.trim());
        }
    }
    return out;
}

export function normalizeDebounce(value: unknown): number {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
        return DEFAULT_DEBOUNCE_MS;
    }
    return Math.min(MAX_DEBOUNCE_MS, Math.max(0, Math.round(n)));
}

/** Merges the user's mapping over the default; unknown severities and values are dropped. */
export function normalizeSeverityMap(value: unknown): Record<Severity, LspSeverity> {
    const out: Record<Severity, LspSeverity> = { ...DEFAULT_SEVERITY_MAP };
    if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, level] of Object.entries(value as Record<string, unknown>)) {
            const severity = SEVERITIES.find((s) => s.toLowerCase() === key.toLowerCase());
            const lsp = LSP_SEVERITIES.find((l) => typeof level === 'string' && l.toLowerCase() === level.toLowerCase());
            if (severity && lsp) {
                out[severity] = lsp;
            }
        }
    }
    return out;
}

/** Known section keys in audit order; unset, empty or all-unknown means all ten (as the server reads it). */
export function normalizeSections(value: unknown): SectionKey[] {
    const wanted = new Set(stringList(value).map((s) => s.toLowerCase()));
    const sections = SECTION_KEYS.filter((key) => wanted.has(key));
    return sections.length > 0 ? sections : [...SECTION_KEYS];
}

const BASELINED = ['hide', 'hint'] as const;

/** A git ref as the server accepts it (never an option-like `-x`); HEAD otherwise. */
function gitRef(value: unknown): string {
    return typeof value === 'string' && value.trim() !== '' && !value.trim().startsWith('-') ? value.trim() : 'HEAD';
}

/** Rule selectors are ids or id prefixes (`RES`, `RES001`); compared upper-case. */
function ruleList(value: unknown): string[] {
    return [...new Set(stringList(value).map((s) => s.toUpperCase()))];
}

export function readServerSettings(get: SettingGetter): ServerSettings {
    const settings: ServerSettings = {
        debounceMs: normalizeDebounce(get('debounceMs')),
        scope: oneOf(get('scope'), SCOPES, 'workspace'),
        severityMap: normalizeSeverityMap(get('severityMap')),
        select: ruleList(get('select')),
        ignore: ruleList(get('ignore')),
        sections: normalizeSections(get('sections')),
        focus: stringList(get('focus')),
        focusRef: gitRef(get('focusRef')),
        baselined: oneOf(get('baselined'), BASELINED, 'hide'),
        trace: oneOf(get('trace.server'), TRACE_LEVELS, 'off'),
    };
    for (const key of ['reportPath', 'baseline'] as const) {
        const value = get(key);
        if (typeof value === 'string' && value.trim() !== '') {
            settings[key] = value.trim();
        }
    }
    return settings;
}

export function readLaunchSettings(get: SettingGetter): LaunchSettings {
    return {
        path: stringList(get('path')),
        interpreter: stringList(get('interpreter')),
        // Arguments keep their spaces and may repeat.
        serverArgs: Array.isArray(get('serverArgs'))
            ? (get('serverArgs') as unknown[]).filter((a): a is string => typeof a === 'string')
            : [],
    };
}

export function readSettings(get: SettingGetter): ClientSettings {
    return {
        server: readServerSettings(get),
        launch: readLaunchSettings(get),
        showStatusBar: get('showStatusBar') !== false,
    };
}

/** Settings whose change needs a new server process (everything but the status-bar toggle). */
export const RESTART_KEYS = [
    'path',
    'interpreter',
    'serverArgs',
    'trace.server',
    'scope',
    'debounceMs',
    'sections',
    'select',
    'ignore',
    'severityMap',
    'reportPath',
    'baseline',
    'baselined',
    'focus',
    'focusRef',
] as const;

/** Given `affects(fullKey)`, as `ConfigurationChangeEvent.affectsConfiguration`, is a restart needed? */
export function needsRestart(affects: (fullKey: string) => boolean): boolean {
    return RESTART_KEYS.some((key) => affects(`${SECTION}.${key}`));
}
