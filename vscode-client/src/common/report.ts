/**
 * Reads what the server returns for `backendAudit.generateReport` (and the optional
 * `backendAudit/overall` notification) and formats the status-bar text. Pure.
 *
 *   {"path": "/ws/backend-audit-report.md", "overall": {"score": 2.4, "level": 2}}
 */

export interface Overall {
    score: number;
    level: number;
}

export interface ReportResult {
    path?: string;
    overall?: Overall;
}

function toNumber(value: unknown): number | undefined {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export function parseOverall(value: unknown): Overall | undefined {
    if (!value || typeof value !== 'object') {
        return undefined;
    }
    const v = value as Record<string, unknown>;
    const score = toNumber(v.score);
    const level = toNumber(v.level);
    if (score === undefined && level === undefined) {
        return undefined;
    }
    return { score: score ?? level!, level: level ?? Math.floor(score!) };
}

/** Accepts the result object, or a one-element array of it (some servers wrap results). */
export function parseReportResult(value: unknown): ReportResult {
    const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
    if (!v || typeof v !== 'object') {
        return typeof v === 'string' ? { path: v } : {};
    }
    const obj = v as Record<string, unknown>;
    const result: ReportResult = {};
    const p = obj.path ?? obj.output ?? obj.uri;
    if (typeof p === 'string' && p !== '') {
        result.path = p;
    }
    const overall = parseOverall(obj.overall);
    if (overall) {
        result.overall = overall;
    }
    return result;
}

/** `2.4`, `3`, `2.45` -> `2.5`: at most one decimal, no trailing zero. */
export function formatScore(score: number): string {
    return String(Math.round(score * 10) / 10);
}

export function statusText(overall: Overall | undefined): string {
    return overall
        ? `$(checklist) Audit ${formatScore(overall.score)} · L${overall.level}`
        : '$(checklist) Backend Audit';
}

export function statusTooltip(overall: Overall | undefined, reportPath: string | undefined): string {
    if (!overall) {
        return 'Backend Audit: click to generate the audit report';
    }
    const where = reportPath ? `\nClick to open ${reportPath}` : '\nClick to generate the audit report';
    return `Backend Audit: overall maturity score ${formatScore(overall.score)}, level ${overall.level} of 5${where}`;
}

/** `{"files": 12, "findings": 3, "skipped": [...]}` -> "scanned 12 files, 3 findings". */
export function scanSummary(raw: unknown): string {
    const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const count = (v: unknown) => (typeof v === 'number' ? v : Array.isArray(v) ? v.length : undefined);
    const files = count(r.files);
    const findings = count(r.findings);
    const parts = [files !== undefined ? `scanned ${files} files` : 'workspace scanned'];
    if (findings !== undefined) {
        parts.push(`${findings} findings`);
    }
    return parts.join(', ');
}
