/** The palette commands. Each sends one `workspace/executeCommand` to the server and shows the result. */
import * as path from 'node:path';
import { commands, Disposable, env, languages, ProgressLocation, Uri, window, workspace } from 'vscode';
import { expandVariables } from './launch';
import { parseReportResult, ReportResult, scanSummary } from './report';
import { currentSettings, ServerManager } from './server';
import { AuditStatusBar, STATUS_COMMAND } from './statusBar';

/** Server-side command ids (DESIGN.md, "LSP"). The client's own ids differ so that
 * vscode-languageclient can register these for the server without a clash. */
export const SERVER_COMMANDS = {
    generateReport: 'backendAudit.generateReport',
    scanWorkspace: 'backendAudit.scanWorkspace',
    showRuleDoc: 'backendAudit.showRuleDoc',
} as const;

export const CLIENT_COMMANDS = {
    generateReport: 'backend-audit.generateReport',
    scanWorkspace: 'backend-audit.scanWorkspace',
    showRuleDoc: 'backend-audit.showRuleDoc',
    restart: 'backend-audit.restart',
    showOutput: 'backend-audit.showOutput',
} as const;

export const DIAGNOSTIC_SOURCE = 'backend-audit';

const RULE_ID = /^[A-Z]{3}\d{3}$/;

function toUri(p: string): Uri {
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(p)) {
        return Uri.parse(p);
    }
    const root = workspace.workspaceFolders?.[0]?.uri.fsPath;
    return Uri.file(path.isAbsolute(p) || !root ? p : path.join(root, p));
}

async function openMarkdownPreview(uri: Uri): Promise<void> {
    await commands.executeCommand('markdown.showPreview', uri);
}

/** The rule id of the backend-audit diagnostic under the cursor, if there is one. */
function ruleAtCursor(): string | undefined {
    const editor = window.activeTextEditor;
    if (!editor) {
        return undefined;
    }
    const position = editor.selection.active;
    for (const d of languages.getDiagnostics(editor.document.uri)) {
        if (d.source === DIAGNOSTIC_SOURCE && d.range.contains(position)) {
            const code = typeof d.code === 'object' ? d.code.value : d.code;
            if (code !== undefined) {
                return String(code);
            }
        }
    }
    return undefined;
}

async function showError(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await window.showErrorMessage(message.startsWith('Backend Audit') ? message : `Backend Audit: ${message}`);
}

export async function generateReport(manager: ServerManager, statusBar: AuditStatusBar): Promise<ReportResult | undefined> {
    const settings = currentSettings();
    const root = workspace.workspaceFolders?.[0]?.uri.fsPath;
    const arg: { format: string; output?: string } = { format: 'markdown' };
    if (settings.server.reportPath && root) {
        const expanded = expandVariables(settings.server.reportPath, {
            workspaceFolders: [root],
            env: process.env,
            home: process.env.HOME ?? '',
        });
        arg.output = path.resolve(root, expanded);
    }
    try {
        manager.reportsInFlight++;
        let raw: unknown;
        try {
            raw = await window.withProgress(
                { location: ProgressLocation.Notification, title: 'Backend Audit: generating the audit report…' },
                () => manager.executeCommand(SERVER_COMMANDS.generateReport, [arg]),
            );
        } finally {
            manager.reportsInFlight--;
        }
        const result = parseReportResult(raw);
        if (!result.path) {
            throw new Error('the server returned no report path');
        }
        const uri = toUri(result.path);
        statusBar.setOverall(result.overall, uri.fsPath);
        await openMarkdownPreview(uri);
        return result;
    } catch (err) {
        await showError(err);
        return undefined;
    }
}

async function scanWorkspace(manager: ServerManager, statusBar: AuditStatusBar): Promise<void> {
    try {
        const raw = await window.withProgress(
            { location: ProgressLocation.Window, title: 'Backend Audit: scanning the workspace' },
            () => manager.executeCommand(SERVER_COMMANDS.scanWorkspace, []),
        );
        const result = parseReportResult(raw);
        if (result.overall) {
            statusBar.setOverall(result.overall);
        }
        window.setStatusBarMessage(`Backend Audit: ${scanSummary(raw)}`, 5000);
    } catch (err) {
        await showError(err);
    }
}

/** Shows what `backendAudit.showRuleDoc` returns: a link, a file, or Markdown text. Null means the
 * server already showed it (window/showDocument). */
async function showRuleDocResult(raw: unknown, rule: string, storage: Uri): Promise<void> {
    let value = raw;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
        const v = value as Record<string, unknown>;
        value = v.uri ?? v.url ?? v.href ?? v.markdown ?? v.content ?? v.contents ?? v.text ?? null;
    }
    if (typeof value !== 'string' || value === '') {
        return;
    }
    if (/^https?:\/\//.test(value)) {
        await env.openExternal(Uri.parse(value));
        return;
    }
    if (/^file:\/\//.test(value) || (!value.includes('\n') && /\.md$/i.test(value))) {
        await openMarkdownPreview(toUri(value));
        return;
    }
    // Markdown text: written to the extension's storage so the preview has a file behind it
    // (an untitled document would ask to be saved when closed).
    const dir = Uri.joinPath(storage, 'rules');
    await workspace.fs.createDirectory(dir);
    const file = Uri.joinPath(dir, `${rule.replace(/[^A-Za-z0-9_-]/g, '_')}.md`);
    await workspace.fs.writeFile(file, Buffer.from(value, 'utf8'));
    await openMarkdownPreview(file);
}

async function showRuleDoc(manager: ServerManager, ruleArg: unknown, storage: Uri): Promise<void> {
    let rule = typeof ruleArg === 'string' && ruleArg !== '' ? ruleArg : ruleAtCursor();
    if (!rule) {
        rule = await window.showInputBox({
            title: 'Backend Audit: Show Rule Documentation',
            prompt: 'Rule id',
            placeHolder: 'RES001',
            validateInput: (v) => (RULE_ID.test(v.trim().toUpperCase()) ? undefined : 'A rule id such as RES001'),
        });
    }
    if (!rule) {
        return;
    }
    rule = rule.trim().toUpperCase();
    try {
        await showRuleDocResult(await manager.executeCommand(SERVER_COMMANDS.showRuleDoc, [rule]), rule, storage);
    } catch (err) {
        await showError(err);
    }
}

export function registerCommands(
    manager: ServerManager,
    statusBar: AuditStatusBar,
    showOutput: () => void,
    storage: Uri,
): Disposable[] {
    return [
        commands.registerCommand(CLIENT_COMMANDS.generateReport, () => generateReport(manager, statusBar)),
        commands.registerCommand(CLIENT_COMMANDS.scanWorkspace, () => scanWorkspace(manager, statusBar)),
        commands.registerCommand(CLIENT_COMMANDS.showRuleDoc, (rule?: unknown) => showRuleDoc(manager, rule, storage)),
        commands.registerCommand(CLIENT_COMMANDS.restart, () => manager.restart()),
        commands.registerCommand(CLIENT_COMMANDS.showOutput, showOutput),
        commands.registerCommand(STATUS_COMMAND, async () => {
            if (manager.missing) {
                await manager.offerInstall(manager.missing);
            } else if (statusBar.lastReportPath) {
                await openMarkdownPreview(Uri.file(statusBar.lastReportPath));
            } else {
                await generateReport(manager, statusBar);
            }
        }),
    ];
}
