/** The status-bar item: the overall maturity score; a click opens (or generates) the report. */
import { Disposable, StatusBarAlignment, StatusBarItem, ThemeColor, window } from 'vscode';
import { Overall, statusText, statusTooltip } from './report';

export const STATUS_COMMAND = 'backend-audit.statusBarClick';

export class AuditStatusBar implements Disposable {
    private readonly item: StatusBarItem;
    private overall: Overall | undefined;
    private reportPath: string | undefined;
    private visible = true;

    constructor() {
        this.item = window.createStatusBarItem('backend-audit.status', StatusBarAlignment.Left, 50);
        this.item.name = 'Backend Audit';
        this.item.command = STATUS_COMMAND;
        this.showIdle();
    }

    get lastReportPath(): string | undefined {
        return this.reportPath;
    }

    setVisible(visible: boolean): void {
        this.visible = visible;
        if (visible) {
            this.item.show();
        } else {
            this.item.hide();
        }
    }

    showStarting(): void {
        this.item.text = '$(sync~spin) Backend Audit';
        this.item.tooltip = 'Backend Audit: starting the language server';
        this.item.backgroundColor = undefined;
        this.refresh();
    }

    showIdle(): void {
        this.item.text = statusText(this.overall);
        this.item.tooltip = statusTooltip(this.overall, this.reportPath);
        this.item.backgroundColor = undefined;
        this.refresh();
    }

    showError(message: string): void {
        this.item.text = '$(error) Backend Audit';
        this.item.tooltip = message;
        this.item.backgroundColor = new ThemeColor('statusBarItem.errorBackground');
        this.refresh();
    }

    setOverall(overall: Overall | undefined, reportPath?: string): void {
        if (overall) {
            this.overall = overall;
        }
        if (reportPath) {
            this.reportPath = reportPath;
        }
        this.showIdle();
    }

    private refresh(): void {
        if (this.visible) {
            this.item.show();
        }
    }

    dispose(): void {
        this.item.dispose();
    }
}
