/** Coalesces bursts of calls (settings edits, interpreter switches) into one trailing call. */

export interface Timers {
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Debouncer {
    private handle: unknown;
    private pending = false;

    constructor(
        private readonly delayMs: number,
        private readonly action: () => void | Promise<void>,
        private readonly timers: Timers = realTimers,
    ) {}

    /** (Re)starts the delay; the action runs once, `delayMs` after the last trigger. */
    trigger(): void {
        if (this.pending) {
            this.timers.clearTimeout(this.handle);
        }
        this.pending = true;
        this.handle = this.timers.setTimeout(() => {
            this.pending = false;
            void this.action();
        }, this.delayMs);
    }

    get isPending(): boolean {
        return this.pending;
    }

    dispose(): void {
        if (this.pending) {
            this.timers.clearTimeout(this.handle);
            this.pending = false;
        }
    }
}
