/** Entry points: activate wires settings, commands and the status bar to the server manager. */
import { ExtensionContext, window, workspace } from 'vscode';
import { registerCommands } from './common/commands';
import { onDidChangePythonInterpreter } from './common/python';
import { currentSettings, ServerManager } from './common/server';
import { needsRestart, SECTION } from './common/settings';
import { AuditStatusBar } from './common/statusBar';

let manager: ServerManager | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
    const output = window.createOutputChannel('Backend Audit', { log: true });
    const statusBar = new AuditStatusBar();
    manager = new ServerManager(output, statusBar);
    const server = manager;

    context.subscriptions.push(
        output,
        statusBar,
        server,
        ...registerCommands(server, statusBar, () => output.show(), context.globalStorageUri),
        workspace.onDidChangeConfiguration((e) => {
            if (!e.affectsConfiguration(SECTION)) {
                return;
            }
            statusBar.setVisible(currentSettings().showStatusBar);
            if (needsRestart((key) => e.affectsConfiguration(key))) {
                server.restartDebouncer.trigger();
            }
        }),
        workspace.onDidGrantWorkspaceTrust(() => server.restartDebouncer.trigger()),
        workspace.onDidChangeWorkspaceFolders(() => server.restartDebouncer.trigger()),
    );
    const pythonListener = await onDidChangePythonInterpreter(() => server.restartDebouncer.trigger());
    if (pythonListener) {
        context.subscriptions.push(pythonListener);
    }
    await server.start();
}

export async function deactivate(): Promise<void> {
    await manager?.stop();
    manager = undefined;
}
