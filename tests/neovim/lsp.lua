-- caseshare lsp driven by a real editor's LSP client: Neovim 0.7.2 (Debian's),
-- headless. Run by tests/neovim.sh with CASESHARE_BIN and CASESHARE_ROOT set.
-- Each check prints `ok: …` or `FAILED: …`; the script quits with 1 on a failure.

local bin = os.getenv('CASESHARE_BIN')
local root = os.getenv('CASESHARE_ROOT')
local failed = 0
local function check(name, cond, detail)
  if cond then
    print('ok: ' .. name)
  else
    failed = failed + 1
    print('FAILED: ' .. name .. (detail and (': ' .. vim.inspect(detail)) or ''))
  end
end

local client_id = vim.lsp.start_client({ name = 'caseshare', cmd = { bin, 'lsp' }, root_dir = root })
check('the server starts', client_id ~= nil)

local function open(rel)
  vim.cmd('edit ' .. root .. '/' .. rel)
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)
  return buf
end

local function caseshare_diags(buf, code)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'caseshare' and (code == nil or d.code == code) then
      table.insert(out, d)
    end
  end
  return out
end

local function line_of(buf, needle)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local c = string.find(l, needle, 1, true)
    if c then return i - 1, c - 1 end
  end
end

local groups = open('groups/villages.yaml')
local client = vim.lsp.get_client_by_id(client_id)
check('the client initializes', vim.wait(10000, function() return client.initialized end, 20))
-- Let the first analysis publish (an empty list for this clean file).
vim.wait(1000, function() return false end, 50)
check('the project starts clean', #caseshare_diags(groups) == 0, caseshare_diags(groups))

-- David joins Village B too, without saving.
local line = line_of(groups, 'members: [maria]')
local text = vim.api.nvim_buf_get_lines(groups, line, line + 1, false)[1]
vim.api.nvim_buf_set_lines(groups, line, line + 1, false, { (text:gsub('members: %[maria%]', 'members: [maria, david]')) })
check('G002 arrives', vim.wait(10000, function() return #caseshare_diags(groups, 'G002') >= 2 end, 20),
  caseshare_diags(groups))
local g002 = caseshare_diags(groups, 'G002')
local lines = {}
for _, d in ipairs(g002) do lines[d.lnum] = true end
local first = line_of(groups, 'Village A')
check('G002 on both membership lines', lines[first] and lines[line], g002)
local related = g002[1].user_data and g002[1].user_data.lsp and g002[1].user_data.lsp.relatedInformation or {}
local to_form = false
for _, r in ipairs(related) do
  if string.find(r.location.uri, 'apps/chw.yaml', 1, true) then to_form = true end
end
check('related information points at the form', to_form, related)

-- Undo: the diagnostics clear.
vim.api.nvim_buf_set_lines(groups, line, line + 1, false, { text })
check('undo clears G002', vim.wait(10000, function() return #caseshare_diags(groups) == 0 end, 20),
  caseshare_diags(groups))

-- Go to definition from a member name lands on the user.
local l, c = line_of(groups, 'david')
local params = { textDocument = vim.lsp.util.make_text_document_params(groups), position = { line = l, character = c + 1 } }
local res = vim.lsp.buf_request_sync(groups, 'textDocument/definition', params, 5000)
local def = res and res[client_id] and res[client_id].result
check('definition lands on the user', def and def[1] and string.find(def[1].uri, 'users/chws.yaml', 1, true) ~= nil, def)

-- Completion inside `members:` offers usernames from users/, but those listed.
local bline = line_of(groups, 'members: [maria]')
local btext = vim.api.nvim_buf_get_lines(groups, bline, bline + 1, false)[1]
local typed = btext:gsub('members: %[maria%]', 'members: [maria, ]')
vim.api.nvim_buf_set_lines(groups, bline, bline + 1, false, { typed })
local col = string.find(typed, '[maria, ', 1, true) + string.len('[maria, ') - 1
vim.wait(300, function() return false end, 20)
params = { textDocument = vim.lsp.util.make_text_document_params(groups), position = { line = bline, character = col } }
res = vim.lsp.buf_request_sync(groups, 'textDocument/completion', params, 5000)
local items = res and res[client_id] and res[client_id].result and res[client_id].result.items or {}
local labels = {}
for _, it in ipairs(items) do labels[it.label] = true end
check('completion offers usernames', labels['david'] and not labels['maria'], items)
vim.api.nvim_buf_set_lines(groups, bline, bline + 1, false, { btext })

-- Rename of a case type edits every app that uses it, and nothing else.
local app = open('apps/chw.yaml')
vim.wait(500, function() return false end, 20)
l, c = line_of(app, 'case_type: referral')
params = { textDocument = vim.lsp.util.make_text_document_params(app), position = { line = l, character = c + 12 }, newName = 'referral_case' }
res = vim.lsp.buf_request_sync(app, 'textDocument/rename', params, 5000)
local edit = res and res[client_id] and res[client_id].result
check('rename returns an edit', edit ~= nil, res)
if edit then
  vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
  local joined = table.concat(vim.api.nvim_buf_get_lines(app, 0, -1, false), '\n')
  local _, renamed = string.gsub(joined, 'referral_case', '')
  local _, left = string.gsub(joined, 'case_type: referral\n', '')
  check('every use in the app is renamed', renamed == 3 and left == 0, joined)
  check('the form name is untouched', string.find(joined, 'Follow up referral', 1, true) ~= nil, joined)
  local n = 0
  for _ in pairs(edit.changes or {}) do n = n + 1 end
  check('no other file changes', n == 1, edit)
end

-- A quick fix for Y004 applies.
local gl = line_of(groups, 'case_sharing: true')
local gtext = vim.api.nvim_buf_get_lines(groups, gl, gl + 1, false)[1]
vim.api.nvim_buf_set_lines(groups, gl, gl + 1, false, { (gtext:gsub('case_sharing: true', 'case_sharing: on', 1)) })
check('Y004 arrives', vim.wait(10000, function() return #caseshare_diags(groups, 'Y004') == 1 end, 20), caseshare_diags(groups))
local y = caseshare_diags(groups, 'Y004')[1]
params = {
  textDocument = vim.lsp.util.make_text_document_params(groups),
  range = { start = { line = y.lnum, character = y.col }, ['end'] = { line = y.end_lnum, character = y.end_col } },
  context = { diagnostics = {} },
}
res = vim.lsp.buf_request_sync(groups, 'textDocument/codeAction', params, 5000)
local actions = res and res[client_id] and res[client_id].result or {}
local fix
for _, a in ipairs(actions) do
  if string.find(a.title, 'fix Y004', 1, true) then fix = a end
end
check('a Y004 quick fix is offered', fix ~= nil, actions)
if fix then
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
  check('the fix writes true', vim.api.nvim_buf_get_lines(groups, gl, gl + 1, false)[1] == gtext)
  check('Y004 clears', vim.wait(10000, function() return #caseshare_diags(groups) == 0 end, 20), caseshare_diags(groups))
end

-- Neovim 0.7 does not watch files: the server sees a change on disk itself.
-- Maria's user is deleted in a terminal (the users file is not open): R001 at
-- her membership; the file as it was again, and it clears.
local users_path = root .. '/users/chws.yaml'
local f = io.open(users_path, 'r')
local users_text = f:read('*a')
f:close()
f = io.open(users_path, 'w')
f:write((users_text:gsub('  %- {username: maria[^\n]*\n', '')))
f:close()
check('a file changed on disk is seen', vim.wait(10000, function() return #caseshare_diags(groups, 'R001') == 1 end, 20),
  caseshare_diags(groups))
f = io.open(users_path, 'w')
f:write(users_text)
f:close()
check('and put back', vim.wait(10000, function() return #caseshare_diags(groups) == 0 end, 20), caseshare_diags(groups))

vim.lsp.stop_client(client_id)
print(string.format('neovim: %d failed', failed))
if failed > 0 then vim.cmd('cquit 1') else vim.cmd('qall!') end
