import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Debouncer, Timers } from '../../common/debounce';
import { formatScore, parseOverall, parseReportResult, scanSummary, statusText, statusTooltip } from '../../common/report';

describe('parseReportResult', () => {
    it('reads the contract shape', () => {
        assert.deepEqual(parseReportResult({ path: '/ws/audit.md', overall: { score: 2.4, level: 2 } }), {
            path: '/ws/audit.md',
            overall: { score: 2.4, level: 2 },
        });
    });
    it('unwraps a one-element array and tolerates missing parts', () => {
        assert.deepEqual(parseReportResult([{ path: 'a.md' }]), { path: 'a.md' });
        assert.deepEqual(parseReportResult(null), {});
        assert.deepEqual(parseReportResult('r.md'), { path: 'r.md' });
    });
    it('reads numbers given as strings, and a level without a score', () => {
        assert.deepEqual(parseOverall({ score: '3.25', level: '3' }), { score: 3.25, level: 3 });
        assert.deepEqual(parseOverall({ level: 2 }), { score: 2, level: 2 });
        assert.equal(parseOverall({}), undefined);
    });
});

describe('scanSummary', () => {
    it('counts files and findings, given as numbers or lists', () => {
        assert.equal(scanSummary({ files: 12, findings: [1, 2, 3], skipped: [] }), 'scanned 12 files, 3 findings');
        assert.equal(scanSummary(null), 'workspace scanned');
    });
});

describe('status text', () => {
    it('formats the score with at most one decimal', () => {
        assert.equal(formatScore(2.45), '2.5');
        assert.equal(formatScore(3), '3');
        assert.equal(statusText({ score: 2.44, level: 2 }), '$(checklist) Audit 2.4 · L2');
        assert.equal(statusText(undefined), '$(checklist) Backend Audit');
    });
    it('says what a click does', () => {
        assert.match(statusTooltip({ score: 2, level: 2 }, '/ws/r.md'), /open \/ws\/r\.md/);
        assert.match(statusTooltip(undefined, undefined), /generate/);
    });
});

describe('Debouncer', () => {
    function fakeTimers() {
        let now = 0;
        const queue: { at: number; fn: () => void; id: number }[] = [];
        let nextId = 0;
        const timers: Timers = {
            setTimeout: (fn, ms) => {
                queue.push({ at: now + ms, fn, id: ++nextId });
                return nextId;
            },
            clearTimeout: (id) => {
                const i = queue.findIndex((t) => t.id === id);
                if (i >= 0) {
                    queue.splice(i, 1);
                }
            },
        };
        const advance = (ms: number) => {
            now += ms;
            for (const t of queue.filter((q) => q.at <= now)) {
                queue.splice(queue.indexOf(t), 1);
                t.fn();
            }
        };
        return { timers, advance };
    }

    it('runs once after a burst, delay after the last trigger', () => {
        const { timers, advance } = fakeTimers();
        let runs = 0;
        const d = new Debouncer(500, () => void runs++, timers);
        d.trigger();
        advance(400);
        d.trigger();
        advance(400);
        assert.equal(runs, 0);
        assert.equal(d.isPending, true);
        advance(100);
        assert.equal(runs, 1);
        assert.equal(d.isPending, false);
    });

    it('dispose cancels a pending run', () => {
        const { timers, advance } = fakeTimers();
        let runs = 0;
        const d = new Debouncer(10, () => void runs++, timers);
        d.trigger();
        d.dispose();
        advance(100);
        assert.equal(runs, 0);
    });
});
