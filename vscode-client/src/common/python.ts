/** The interpreter selected in the Python extension (ms-python.python), when it is installed. */
import { PythonExtension } from '@vscode/python-extension';
import { Disposable, extensions, Uri } from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';

async function api(): Promise<PythonExtension | undefined> {
    if (!extensions.getExtension(PYTHON_EXTENSION_ID)) {
        return undefined;
    }
    try {
        return await PythonExtension.api();
    } catch {
        return undefined;
    }
}

/** The executable of the active environment for `resource`, or undefined without the extension. */
export async function getPythonExtensionInterpreter(resource?: Uri): Promise<string | undefined> {
    const python = await api();
    if (!python) {
        return undefined;
    }
    try {
        const envPath = python.environments.getActiveEnvironmentPath(resource);
        const env = await python.environments.resolveEnvironment(envPath);
        return env?.executable.uri?.fsPath ?? envPath.path;
    } catch {
        return undefined;
    }
}

/** Calls `listener` when the user selects another interpreter. */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<Disposable | undefined> {
    const python = await api();
    return python?.environments.onDidChangeActiveEnvironmentPath(() => listener());
}
