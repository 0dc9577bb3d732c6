/**
 * The language-client lifecycle: resolve the launch command, start `backend-audit lsp` over
 * stdio, restart it (debounced) on settings or interpreter changes, and stop it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { commands, Disposable, env, LogOutputChannel, Uri, window, workspace } from 'vscode';
import {
    DocumentSelector,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
    TransportKind,
} from 'vscode-languageclient/node';
import { Debouncer } from './debounce';
import { LaunchMissing, LaunchPlan, Probe, resolveLaunch } from './launch';
import { getPythonExtensionInterpreter } from './python';
import { parseOverall } from './report';
import { ClientSettings, readServerSettings, readSettings, SECTION, SettingGetter } from './settings';
import { AuditStatusBar } from './statusBar';

const LANGUAGES = [
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'java',
    'go',
    'csharp',
    'ruby',
    'yaml',
    'toml',
    'dockerfile',
];

/** Source files by language, plus the manifests and config files that project rules read. */
export const DOCUMENT_SELECTOR: DocumentSelector = [
    ...LANGUAGES.map((language) => ({ scheme: 'file', language })),
    {
        scheme: 'file',
        pattern:
            '**/{pyproject.toml,setup.cfg,requirements*.txt,package.json,go.mod,pom.xml,build.gradle,build.gradle.kts,Gemfile,Dockerfile,.env,.backend-audit.yaml}',
    },
];

/** Optional server -> client notification carrying the overall score: `{"score", "level", "path"?}`. */
export const OVERALL_NOTIFICATION = 'backendAudit/overall';

export const RESTART_DELAY_MS = 500;

const fsProbe: Probe = {
    isExecutable(file: string): boolean {
        try {
            if (!fs.statSync(file).isFile()) {
                return false;
            }
            if (process.platform !== 'win32') {
                fs.accessSync(file, fs.constants.X_OK);
            }
            return true;
        } catch {
            return false;
        }
    },
};

export function settingGetter(scope?: Uri): SettingGetter {
    const config = workspace.getConfiguration(SECTION, scope ?? workspace.workspaceFolders?.[0]?.uri);
    return (key) => config.get(key);
}

export function currentSettings(scope?: Uri): ClientSettings {
    return readSettings(settingGetter(scope));
}

export class ServerManager implements Disposable {
    private client: LanguageClient | undefined;
    private lastMissing: LaunchMissing | undefined;
    /** Serialises start/stop so that overlapping restarts never run two servers. */
    private queue: Promise<void> = Promise.resolve();
    readonly restartDebouncer = new Debouncer(RESTART_DELAY_MS, () => this.restart());
    /** Report commands awaiting the server's answer. */
    reportsInFlight = 0;

    constructor(
        private readonly output: LogOutputChannel,
        private readonly statusBar: AuditStatusBar,
    ) {}

    get running(): boolean {
        return this.client?.state === State.Running;
    }

    get missing(): LaunchMissing | undefined {
        return this.lastMissing;
    }

    start(): Promise<void> {
        return this.enqueue(() => this.doStart());
    }

    stop(): Promise<void> {
        return this.enqueue(() => this.doStop());
    }

    restart(): Promise<void> {
        return this.enqueue(async () => {
            this.output.info('Restarting the language server');
            await this.doStop();
            await this.doStart();
        });
    }

    /** Sends `workspace/executeCommand`; throws a readable error when no server runs. */
    async executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
        await this.queue;
        if (!this.client || !this.running) {
            if (this.lastMissing) {
                throw new Error(this.lastMissing.message);
            }
            throw new Error('Backend Audit: the language server is not running. See the "Backend Audit" output.');
        }
        return this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    }

    private enqueue(step: () => Promise<void>): Promise<void> {
        const next = this.queue.then(step, step);
        this.queue = next.catch((err: unknown) => this.output.error(String(err)));
        return this.queue;
    }

    async planLaunch(settings: ClientSettings): Promise<LaunchPlan> {
        const folders = (workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
        const trusted = workspace.isTrusted;
        return resolveLaunch(
            {
                ...settings.launch,
                pythonExtensionInterpreter: trusted ? await getPythonExtensionInterpreter() : undefined,
                workspaceFolders: folders,
                trusted,
                env: process.env,
                platform: process.platform,
                home: os.homedir(),
            },
            fsProbe,
        );
    }

    private async doStart(): Promise<void> {
        const settings = currentSettings();
        this.statusBar.setVisible(settings.showStatusBar);
        this.statusBar.showStarting();
        const plan = await this.planLaunch(settings);
        if (plan.kind === 'missing') {
            this.lastMissing = plan;
            this.output.error(plan.message);
            for (const t of plan.tried) {
                this.output.info(`  looked at ${t}`);
            }
            this.statusBar.showError(plan.message);
            void this.offerInstall(plan);
            return;
        }
        this.lastMissing = undefined;
        this.output.info(`Starting ${plan.command} ${plan.args.join(' ')} (from ${plan.source})`);

        const serverOptions: ServerOptions = {
            command: plan.command,
            args: plan.args,
            transport: TransportKind.stdio,
            options: { cwd: workspace.workspaceFolders?.[0]?.uri.fsPath, env: process.env },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: DOCUMENT_SELECTOR,
            outputChannel: this.output,
            traceOutputChannel: this.output,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: settings.server,
            middleware: {
                window: {
                    // Generate Audit Report opens the Markdown preview itself; the server's request
                    // to open the report's source as well would only add a second tab.
                    showDocument: async (params, token, next) =>
                        this.reportsInFlight > 0 && /\.md$/i.test(params.uri) ? { success: true } : next(params, token),
                },
                workspace: {
                    // Answer the `backendAudit` section with the same normalised object as the
                    // initializationOptions, scoped to the resource the server asks about.
                    configuration: async (params, token, next) => {
                        const answers = await next(params, token);
                        if (!Array.isArray(answers)) {
                            return answers;
                        }
                        return params.items.map((item, i) =>
                            item.section === SECTION
                                ? readServerSettings(settingGetter(item.scopeUri ? Uri.parse(item.scopeUri) : undefined))
                                : answers[i],
                        );
                    },
                },
            },
        };
        const client = new LanguageClient('backendAudit', 'Backend Audit', serverOptions, clientOptions);
        client.onNotification(OVERALL_NOTIFICATION, (params: unknown) => {
            const path = params && typeof params === 'object' ? (params as { path?: unknown }).path : undefined;
            this.statusBar.setOverall(parseOverall(params), typeof path === 'string' ? path : undefined);
        });
        this.client = client;
        try {
            await client.start();
            this.statusBar.showIdle();
        } catch (err) {
            const message = `Backend Audit: the language server failed to start (${plan.command} ${plan.args.join(' ')}): ${String(err)}`;
            this.output.error(message);
            this.statusBar.showError(message);
            void window.showErrorMessage(message, 'Show Output').then((choice) => {
                if (choice) {
                    this.output.show();
                }
            });
        }
    }

    private async doStop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client) {
            try {
                await client.stop(2000);
            } catch (err) {
                this.output.warn(`Stopping the language server: ${String(err)}`);
            }
            await client.dispose();
        }
    }

    async offerInstall(plan: LaunchMissing): Promise<void> {
        const choice = await window.showErrorMessage(plan.message, 'Copy Install Command', 'Open Settings');
        if (choice === 'Copy Install Command') {
            await env.clipboard.writeText(plan.installCommand);
        } else if (choice === 'Open Settings') {
            await commands.executeCommand('workbench.action.openSettings', 'backendAudit.path');
        }
    }

    dispose(): void {
        this.restartDebouncer.dispose();
        void this.stop();
    }
}
