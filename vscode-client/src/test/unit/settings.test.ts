import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
    DEFAULT_SEVERITY_MAP,
    needsRestart,
    normalizeDebounce,
    normalizeSections,
    normalizeSeverityMap,
    readLaunchSettings,
    readServerSettings,
    readSettings,
    SECTION_KEYS,
} from '../../common/settings';

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readServerSettings', () => {
    it('gives the defaults when nothing is set', () => {
        assert.deepEqual(readServerSettings(getter({})), {
            debounceMs: 150,
            scope: 'workspace',
            severityMap: DEFAULT_SEVERITY_MAP,
            select: [],
            ignore: [],
            sections: [...SECTION_KEYS],
            focus: [],
            focusRef: 'HEAD',
            baselined: 'hide',
            trace: 'off',
        });
    });

    it('passes user values through in the contract shape', () => {
        const s = readServerSettings(
            getter({
                debounceMs: 0,
                scope: 'openFiles',
                focus: ['app/**', 'changed-lines'],
                focusRef: ' origin/main ',
                baselined: 'hint',
                baseline: '.backend-audit-baseline.json',
                select: ['res', ' OBS001 ', 'RES'],
                ignore: ['API002'],
                sections: ['resilience', 'architecture'],
                reportPath: ' docs/audit.md ',
                'trace.server': 'verbose',
                severityMap: { High: 'Warning' },
            }),
        );
        assert.equal(s.debounceMs, 0);
        assert.equal(s.scope, 'openFiles');
        assert.deepEqual(s.focus, ['app/**', 'changed-lines']);
        assert.equal(s.focusRef, 'origin/main');
        assert.equal(s.baselined, 'hint');
        assert.equal(s.baseline, '.backend-audit-baseline.json');
        assert.deepEqual(s.select, ['RES', 'OBS001']);
        assert.deepEqual(s.ignore, ['API002']);
        // audit order, not the order the user typed
        assert.deepEqual(s.sections, ['architecture', 'resilience']);
        assert.equal(s.reportPath, 'docs/audit.md');
        assert.equal(s.trace, 'verbose');
        assert.equal(s.severityMap.High, 'Warning');
        assert.equal(s.severityMap.Critical, 'Error');
        // JSON-serialisable as initializationOptions
        assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    });

    it('falls back to defaults for invalid values', () => {
        const s = readServerSettings(
            getter({ scope: 'everything', 'trace.server': 'loud', reportPath: '   ', baselined: 'show', focusRef: '--exec' }),
        );
        assert.equal(s.scope, 'workspace');
        assert.equal(s.baselined, 'hide');
        assert.equal(s.focusRef, 'HEAD');
        assert.equal(s.trace, 'off');
        assert.equal('reportPath' in s, false);
    });
});

describe('normalizeDebounce', () => {
    for (const [input, expected] of [
        [undefined, 150],
        [0, 0],
        [42.6, 43],
        [-5, 0],
        [1e9, 10_000],
        ['75', 75],
        ['x', 150],
        [Number.NaN, 150],
    ] as const) {
        it(`${String(input)} -> ${expected}`, () => assert.equal(normalizeDebounce(input), expected));
    }
});

describe('normalizeSeverityMap', () => {
    it('merges over the default and ignores unknown keys and values', () => {
        assert.deepEqual(normalizeSeverityMap({ info: 'warning', Low: 'Loud', Bogus: 'Error' }), {
            ...DEFAULT_SEVERITY_MAP,
            Info: 'Warning',
        });
    });
    it('ignores a non-object', () => {
        assert.deepEqual(normalizeSeverityMap(['Error']), DEFAULT_SEVERITY_MAP);
    });
});

describe('normalizeSections', () => {
    it('reads an empty list as all sections, as the server does', () =>
        assert.deepEqual(normalizeSections([]), [...SECTION_KEYS]));
    it('drops unknown keys', () => assert.deepEqual(normalizeSections(['API', 'frontend']), ['api']));
    it('means all sections when unset', () => assert.equal(normalizeSections(undefined).length, 10));
});

describe('readLaunchSettings', () => {
    it('accepts a string where a list is expected and keeps argument spaces', () => {
        assert.deepEqual(
            readLaunchSettings(getter({ path: '/opt/ba/bin/backend-audit', serverArgs: ['--log-file', 'a b.log'] })),
            { path: ['/opt/ba/bin/backend-audit'], interpreter: [], serverArgs: ['--log-file', 'a b.log'] },
        );
    });
    it('shows the status bar unless turned off', () => {
        assert.equal(readSettings(getter({})).showStatusBar, true);
        assert.equal(readSettings(getter({ showStatusBar: false })).showStatusBar, false);
    });
});

describe('needsRestart', () => {
    it('restarts for server and analysis settings', () => {
        assert.equal(needsRestart((k) => k === 'backendAudit.debounceMs'), true);
        assert.equal(needsRestart((k) => k === 'backendAudit.path'), true);
        assert.equal(needsRestart((k) => k === 'backendAudit.trace.server'), true);
    });
    it('does not restart for the status-bar toggle', () => {
        assert.equal(needsRestart((k) => k === 'backendAudit.showStatusBar'), false);
    });
});

describe('package.json contributes every setting the client reads', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const groups = manifest.contributes.configuration as { title: string; properties: Record<string, unknown> }[];
    const keys = groups.flatMap((g) => Object.keys(g.properties));

    it('groups the settings for the settings UI', () => {
        assert.ok(groups.length >= 3);
        for (const g of groups) {
            assert.match(g.title, /^Backend Audit: /);
        }
    });

    it('declares each key', () => {
        const read: string[] = [];
        readSettings((key) => {
            read.push(`backendAudit.${key}`);
            return undefined;
        });
        for (const key of read) {
            assert.ok(keys.includes(key), `${key} is not in package.json`);
        }
    });

    it('lists the ten sections in audit order', () => {
        const sections = groups.flatMap((g) => Object.entries(g.properties)).find(([k]) => k === 'backendAudit.sections');
        assert.deepEqual((sections![1] as { items: { enum: string[] } }).items.enum, [...SECTION_KEYS]);
    });

    it('restricts the launch settings in untrusted workspaces', () => {
        const untrusted = manifest.capabilities.untrustedWorkspaces;
        assert.equal(untrusted.supported, 'limited');
        assert.ok(untrusted.description.length > 20);
        assert.deepEqual(untrusted.restrictedConfigurations.sort(), [
            'backendAudit.interpreter',
            'backendAudit.path',
            'backendAudit.serverArgs',
        ]);
    });

    it('uses client command ids distinct from the server commands', () => {
        for (const c of manifest.contributes.commands as { command: string }[]) {
            assert.ok(!c.command.startsWith('backendAudit.'), c.command);
        }
    });
});
