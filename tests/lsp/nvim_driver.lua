-- Drives a real Neovim for tests/lsp/test_neovim.py, after tests/lsp/nvim_init.lua has set the
-- server up: waits for tagged diagnostics, applies the preferred quick fix for a rule, waits
-- for the diagnostics of the fixed text, and writes what it saw as JSON to $BA_NVIM_OUT.
local out_path = assert(os.getenv('BA_NVIM_OUT'))
local rule = assert(os.getenv('BA_NVIM_RULE'))
local limit = 90000 -- a guard against hanging, not a timing: every wait ends on its condition
local result = { steps = {} }

local function finish()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd('qa!')
end

local function step(name) table.insert(result.steps, name) end

local function find(bufnr)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == rule then return d end
  end
end

local ok, err = pcall(function()
  local bufnr = vim.api.nvim_get_current_buf()
  assert(vim.wait(limit, function() return #vim.lsp.get_clients({ bufnr = bufnr }) > 0 end, 20), 'the server did not attach')
  local client = vim.lsp.get_clients({ bufnr = bufnr })[1]
  result.client = { name = client.name, offset_encoding = client.offset_encoding }
  step('attached')
  assert(vim.wait(limit, function() return find(bufnr) ~= nil end, 20), 'no ' .. rule .. ' diagnostic')
  local d = find(bufnr)
  result.diagnostic = { code = d.code, source = d.source, message = d.message, lnum = d.lnum, col = d.col, lsp = d.user_data and d.user_data.lsp }
  step('diagnostic')
  local before = vim.b[bufnr].changedtick
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.lsp.buf.code_action({
    filter = function(action) return action.isPreferred == true and action.title:find(rule, 1, true) ~= nil end,
    apply = true,
  })
  assert(vim.wait(limit, function() return vim.b[bufnr].changedtick ~= before end, 20), 'the quick fix changed nothing')
  step('fixed')
  result.fixed_line = vim.api.nvim_buf_get_lines(bufnr, d.lnum, d.lnum + 1, false)[1]
  assert(vim.wait(limit, function() return find(bufnr) == nil end, 20), rule .. ' is still reported after the fix')
  step('cleared')
  result.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
end)
if not ok then result.error = tostring(err) end
finish()
