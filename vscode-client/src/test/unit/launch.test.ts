import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
    ENTRY_POINT,
    expandVariables,
    findOnPath,
    installCommand,
    LaunchInputs,
    Probe,
    resolveLaunch,
} from '../../common/launch';

const probeOf = (...files: string[]): Probe => ({ isExecutable: (f) => files.includes(f) });

function inputs(overrides: Partial<LaunchInputs> = {}): LaunchInputs {
    return {
        path: [],
        interpreter: [],
        serverArgs: [],
        workspaceFolders: ['/ws'],
        trusted: true,
        env: { PATH: '/usr/local/bin:/usr/bin' },
        platform: 'linux',
        home: '/home/u',
        ...overrides,
    };
}

describe('resolveLaunch', () => {
    it('prefers backendAudit.path and appends serverArgs after lsp', () => {
        const plan = resolveLaunch(
            inputs({ path: ['/missing', '~/bin/backend-audit'], serverArgs: ['--verbose'] }),
            probeOf('/home/u/bin/backend-audit', '/usr/bin/backend-audit'),
        );
        assert.deepEqual(plan, {
            kind: 'found',
            command: '/home/u/bin/backend-audit',
            args: ['lsp', '--verbose'],
            source: 'backendAudit.path',
        });
    });

    it('looks a bare backendAudit.path name up on PATH', () => {
        const plan = resolveLaunch(inputs({ path: ['backend-audit-dev'] }), probeOf('/usr/bin/backend-audit-dev'));
        assert.equal(plan.kind === 'found' && plan.command, '/usr/bin/backend-audit-dev');
    });

    it('uses the script next to backendAudit.interpreter', () => {
        const plan = resolveLaunch(
            inputs({ interpreter: ['${workspaceFolder}/.venv/bin/python'] }),
            probeOf('/ws/.venv/bin/python', '/ws/.venv/bin/backend-audit'),
        );
        assert.equal(plan.kind === 'found' && plan.command, '/ws/.venv/bin/backend-audit');
        assert.equal(plan.kind === 'found' && plan.source, 'backendAudit.interpreter');
    });

    it('runs the entry point when the interpreter has no script', () => {
        const plan = resolveLaunch(inputs({ interpreter: ['/opt/py/bin/python3'] }), probeOf('/opt/py/bin/python3'));
        assert.deepEqual(plan.kind === 'found' && [plan.command, ...plan.args], [
            '/opt/py/bin/python3',
            '-c',
            ENTRY_POINT,
            'lsp',
        ]);
    });

    it('uses the Python extension interpreter only when backend-audit is installed there', () => {
        const withScript = resolveLaunch(
            inputs({ pythonExtensionInterpreter: '/envs/a/bin/python' }),
            probeOf('/envs/a/bin/python', '/envs/a/bin/backend-audit', '/usr/bin/backend-audit'),
        );
        assert.equal(withScript.kind === 'found' && withScript.source, 'python-extension');
        const without = resolveLaunch(
            inputs({ pythonExtensionInterpreter: '/envs/b/bin/python' }),
            probeOf('/envs/b/bin/python', '/usr/bin/backend-audit'),
        );
        assert.equal(without.kind === 'found' && without.source, 'PATH');
    });

    it('finds the workspace .venv before PATH', () => {
        const plan = resolveLaunch(inputs(), probeOf('/ws/.venv/bin/backend-audit', '/usr/bin/backend-audit'));
        assert.equal(plan.kind === 'found' && plan.source, 'workspace-venv');
    });

    it('never runs workspace executables in an untrusted workspace', () => {
        const plan = resolveLaunch(
            inputs({ trusted: false, pythonExtensionInterpreter: '/ws/.venv/bin/python' }),
            probeOf('/ws/.venv/bin/python', '/ws/.venv/bin/backend-audit', '/usr/bin/backend-audit'),
        );
        assert.deepEqual(plan.kind === 'found' && [plan.command, plan.source], ['/usr/bin/backend-audit', 'PATH']);
    });

    it('falls back to ~/.local/bin, where editors started from a desktop miss PATH entries', () => {
        const plan = resolveLaunch(inputs({ env: { PATH: '/usr/bin' } }), probeOf('/home/u/.local/bin/backend-audit'));
        assert.equal(plan.kind === 'found' && plan.source, 'user-bin');
    });

    it('reports the exact install command when nothing is found', () => {
        const plan = resolveLaunch(inputs({ path: ['/nope'] }), probeOf());
        assert.equal(plan.kind, 'missing');
        if (plan.kind === 'missing') {
            assert.equal(plan.installCommand, 'python3 -m pip install backend-audit');
            assert.match(plan.message, /python3 -m pip install backend-audit/);
            assert.match(plan.message, /backendAudit\.path/);
            assert.ok(plan.tried.some((t) => t.includes('/nope')));
            assert.ok(plan.tried.some((t) => t.startsWith('PATH: ')));
        }
    });

    it('handles Windows paths and PATHEXT', () => {
        const win = inputs({
            platform: 'win32',
            workspaceFolders: ['C:\\ws'],
            env: { Path: 'C:\\Tools;C:\\Python\\Scripts', PATHEXT: '.COM;.EXE' },
            home: 'C:\\Users\\u',
        });
        const plan = resolveLaunch(win, probeOf('C:\\Python\\Scripts\\backend-audit.exe'));
        assert.equal(plan.kind === 'found' && plan.command, 'C:\\Python\\Scripts\\backend-audit.exe');
        const venv = resolveLaunch(win, probeOf('C:\\ws\\.venv\\Scripts\\backend-audit.exe'));
        assert.equal(venv.kind === 'found' && venv.source, 'workspace-venv');
    });
});

describe('installCommand', () => {
    it('uses the configured interpreter, quoted when needed', () => {
        assert.equal(
            installCommand(inputs({ interpreter: ['/opt/my py/bin/python'] })),
            "'/opt/my py/bin/python' -m pip install backend-audit",
        );
    });
    it('uses the Python extension interpreter in a trusted workspace only', () => {
        assert.equal(
            installCommand(inputs({ pythonExtensionInterpreter: '/ws/.venv/bin/python' })),
            '/ws/.venv/bin/python -m pip install backend-audit',
        );
        assert.equal(
            installCommand(inputs({ trusted: false, pythonExtensionInterpreter: '/ws/.venv/bin/python' })),
            'python3 -m pip install backend-audit',
        );
    });
    it('uses py on Windows', () => {
        assert.equal(installCommand(inputs({ platform: 'win32' })), 'py -m pip install backend-audit');
    });
});

describe('expandVariables and findOnPath', () => {
    it('expands ~, ${userHome}, ${workspaceFolder} and ${env:X}', () => {
        const i = inputs({ env: { PATH: '', VENV: '/v' } });
        assert.equal(expandVariables('~/x', i), '/home/u/x');
        assert.equal(expandVariables('${userHome}/y', i), '/home/u/y');
        assert.equal(expandVariables('${workspaceFolder}/.venv', i), '/ws/.venv');
        assert.equal(expandVariables('${env:VENV}/bin/python', i), '/v/bin/python');
        assert.equal(expandVariables('${env:UNSET}/p', i), '/p');
    });
    it('skips empty PATH entries and returns the first hit', () => {
        const i = inputs({ env: { PATH: '::/a:/b' } });
        assert.equal(findOnPath('tool', i, probeOf('/b/tool', '/a/tool')), '/a/tool');
        assert.equal(findOnPath('tool', i, probeOf()), undefined);
    });
});
