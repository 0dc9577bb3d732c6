-- The Neovim configuration from docs/editors.md ("Neovim 0.11+"), used as is by the Neovim
-- end-to-end test. Keep the two identical.
-- backend-audit language server: Backend Infrastructure Audit findings as diagnostics.
local backend_audit_settings = {
  debounceMs = 150,
  scope = 'workspace',
}

vim.lsp.config('backend_audit', {
  cmd = { 'backend-audit', 'lsp' },
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'java', 'go', 'cs', 'ruby', 'yaml', 'toml', 'dockerfile',
  },
  root_markers = {
    '.backend-audit.yaml', 'pyproject.toml', 'requirements.txt', 'package.json',
    'go.mod', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'Gemfile', '.git',
  },
  -- initializationOptions is the settings object itself ...
  init_options = backend_audit_settings,
  -- ... and workspace/configuration for section "backendAudit" answers with the same object.
  settings = { backendAudit = backend_audit_settings },
})
vim.lsp.enable('backend_audit')
