-- The user commands, the prompts of :IdeSidecarAdd and the connections list buffer (kept up to date from events).
local status = require("ide_sidecar.status")
local spec_builder = require("ide_sidecar.spec")

local M = {}

local LIST_NAME = "ide-sidecar://connections"
local HELP = "<CR> details  a add  c Confluent Cloud  t test  r refresh  d delete  s sign in  R reload  q close"
-- Line number -> connection id, for the list buffer's keys.
local line_ids = {}

local function sidecar()
  return require("ide_sidecar")
end

local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO)
end

local function list_buffer()
  local bufnr = vim.fn.bufnr(LIST_NAME)
  if bufnr ~= -1 and vim.api.nvim_buf_is_valid(bufnr) then
    return bufnr
  end
  return nil
end

--- Redraws the list buffer, if there is one.
function M.rerender()
  local bufnr = list_buffer()
  if not bufnr then
    return
  end
  local lines, ids = status.render(sidecar().connections(), "Kafka connections (" .. sidecar().server_version() .. ")   " .. HELP, sidecar().problem())
  line_ids = ids
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
end

--- The lines of the list buffer (for tests), or nil when it is not open.
function M.list_lines()
  local bufnr = list_buffer()
  return bufnr and vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) or nil
end

local function id_under_cursor()
  return line_ids[vim.api.nvim_win_get_cursor(0)[1]]
end

local function with_id(fn)
  return function()
    local id = id_under_cursor()
    if id then
      fn(id)
    else
      notify("ide-sidecar: put the cursor on a connection", vim.log.levels.WARN)
    end
  end
end

--- "a.b = value" lines for every leaf of a table, keys sorted (the spec as the sidecar shows it: secrets masked).
local function flatten(value, prefix, out)
  if type(value) == "table" and next(value) ~= nil and not (vim.islist or vim.tbl_islist)(value) then
    local keys = vim.tbl_keys(value)
    table.sort(keys)
    for _, key in ipairs(keys) do
      flatten(value[key], prefix == "" and key or (prefix .. "." .. key), out)
    end
  else
    table.insert(out, "  " .. prefix .. " = " .. (type(value) == "string" and value or vim.fn.json_encode(value)))
  end
  return out
end

--- The lines of a connection's details window: each component with its whole error, and the spec.
function M.details_lines(connection)
  local state = status.overall(connection)
  local lines = {
    string.format("%s %s  [%s]  %s  %s", status.symbols[state] or "?", connection.spec.name, connection.id, connection.spec.type, status.labels[state] or state),
    "",
  }
  for _, component in ipairs(status.components(connection)) do
    table.insert(lines, string.format("%s: %s", component.label, status.labels[component.state] or component.state))
    if component.detail then
      table.insert(lines, "  " .. component.detail)
    end
    if component.error then
      table.insert(lines, "  " .. component.error)
    end
  end
  table.insert(lines, "")
  table.insert(lines, "Spec (secrets are shown as ********):")
  flatten(connection.spec, "", lines)
  return lines
end

--- A window with everything about one connection, as plain text to read and yank (q closes it).
function M.details(id)
  local connection = sidecar().get(id)
  if not connection then
    notify("ide-sidecar: there is no connection with id '" .. id .. "'", vim.log.levels.WARN)
    return
  end
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].swapfile = false
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, M.details_lines(connection))
  vim.bo[bufnr].modifiable = false
  vim.keymap.set("n", "q", "<cmd>close<cr>", { buffer = bufnr, nowait = true, silent = true })
  vim.cmd("belowright split")
  vim.api.nvim_win_set_buf(0, bufnr)
  -- Long errors wrap here rather than being cut.
  vim.wo.wrap = true
end

function M.open_list()
  local bufnr = list_buffer()
  if not bufnr then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, LIST_NAME)
    vim.bo[bufnr].buftype = "nofile"
    vim.bo[bufnr].bufhidden = "hide"
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].filetype = "ide-sidecar"
    local map = function(lhs, fn)
      vim.keymap.set("n", lhs, fn, { buffer = bufnr, nowait = true, silent = true })
    end
    map("q", function()
      -- :close cannot close the last window (E444): show another buffer there instead.
      if vim.fn.winnr("$") > 1 then
        vim.cmd("close")
      else
        vim.cmd("enew")
      end
    end)
    map("a", function() M.add() end)
    map("c", M.add_ccloud)
    map("R", function() sidecar().reload() end)
    map("t", with_id(M.test))
    map("r", with_id(M.refresh))
    map("d", with_id(M.confirm_delete))
    map("s", with_id(M.sign_in))
    map("<CR>", with_id(M.details))
  end
  if vim.fn.bufwinnr(bufnr) == -1 then
    vim.cmd("botright split")
    vim.api.nvim_win_set_buf(0, bufnr)
  end
  M.rerender()
  sidecar().reload()
end

-- Prompts, one after another; `next_step` gets nil when the user cancels (Escape). vim.fn.input is used directly:
-- vim.ui.input on 0.7 turns an empty answer into nil, and empty answers mean "none" for optional questions here.
local CANCELLED = "\27cancelled"
local function ask(prompt, default, secret, next_step)
  local ok, value
  if secret then
    ok, value = pcall(vim.fn.inputsecret, prompt)
  else
    ok, value = pcall(vim.fn.input, { prompt = prompt, default = default or "", cancelreturn = CANCELLED })
  end
  vim.cmd("redraw")
  if not ok or value == CANCELLED then
    next_step(nil)
  else
    next_step(value)
  end
end

local function choose(prompt, choices, next_step)
  vim.ui.select(choices, {
    prompt = prompt,
    format_item = function(choice)
      return choice.label
    end,
  }, function(choice)
    next_step(choice and choice.value or nil)
  end)
end

--- Asks for a direct connection; done(answers) or done(nil) on cancel. With `initial` (the answers of an attempt
--- the sidecar refused), each text question starts from the earlier answer (Enter keeps it), and an empty secret
--- keeps the earlier one.
function M.ask_direct(done, initial)
  initial = initial or {}
  local a = {}
  local function kept(secret, field)
    if secret == "" and initial[field] then
      return initial[field]
    end
    return secret
  end
  local cancelled = function()
    done(nil)
  end
  local function registry()
    ask("Schema Registry URL (empty for none): ", initial.schema_registry_uri, false, function(uri)
      if uri == nil then
        return cancelled()
      end
      a.schema_registry_uri = uri
      if vim.trim(uri) == "" then
        return done(a)
      end
      choose("Schema Registry authentication", spec_builder.registry_auth_choices, function(auth)
        if not auth then
          return cancelled()
        end
        a.registry_auth = auth
        if auth == "none" then
          return done(a)
        end
        ask(auth == "api_key" and "API key: " or "Username: ", initial.registry_user, false, function(user)
          if user == nil then
            return cancelled()
          end
          a.registry_user = user
          ask(auth == "api_key" and "API secret: " or "Password: ", "", true, function(secret)
            if secret == nil then
              return cancelled()
            end
            a.registry_secret = kept(secret, "registry_secret")
            done(a)
          end)
        end)
      end)
    end)
  end
  local function tls()
    choose("Transport security", spec_builder.tls_choices, function(mode)
      if not mode then
        return cancelled()
      end
      a.tls = mode
      if mode ~= "truststore" then
        return registry()
      end
      ask("Truststore path: ", initial.truststore_path, false, function(path)
        if path == nil then
          return cancelled()
        end
        a.truststore_path = vim.fn.expand(path)
        a.truststore_type = path:match("%.jks$") and "JKS" or (path:match("%.p12$") or path:match("%.pfx$")) and "PKCS12" or "PEM"
        if a.truststore_type == "PEM" then
          return registry()
        end
        ask("Truststore password: ", "", true, function(password)
          if password == nil then
            return cancelled()
          end
          a.truststore_password = kept(password, "truststore_password")
          registry()
        end)
      end)
    end)
  end
  ask("Connection name: ", initial.name, false, function(name)
    if name == nil or vim.trim(name) == "" then
      return cancelled()
    end
    a.name = name
    ask("Bootstrap servers host:port[,host:port] (empty for Schema Registry only): ", initial.bootstrap_servers, false, function(servers)
      if servers == nil then
        return cancelled()
      end
      a.bootstrap_servers = servers
      if vim.trim(servers) == "" then
        return registry()
      end
      choose("Kafka authentication", spec_builder.kafka_auth_choices, function(auth)
        if not auth then
          return cancelled()
        end
        a.kafka_auth = auth
        if auth == "none" then
          return tls()
        end
        local key = auth == "api_key"
        ask(key and "API key: " or "Username: ", initial.kafka_user, false, function(user)
          if user == nil then
            return cancelled()
          end
          a.kafka_user = user
          ask(key and "API secret: " or "Password: ", "", true, function(secret)
            if secret == nil then
              return cancelled()
            end
            a.kafka_secret = kept(secret, "kafka_secret")
            tls()
          end)
        end)
      end)
    end)
  end)
end

--- Says that a test started (a test can take the whole check timeout), before the screen waits for it.
local function testing(name)
  notify("ide-sidecar: testing '" .. name .. "'…")
  vim.cmd("redraw")
end

--- Whether the sidecar runs or can be started; when not, start() has said why (message and list) at once, before
--- any question is asked.
local function can_start()
  local problem = sidecar().problem()
  if problem and not sidecar().is_ready() then
    notify("ide-sidecar: " .. problem, vim.log.levels.ERROR)
    return false
  end
  return sidecar().start() ~= nil
end

local function report_test(name, err, passed, summary)
  if err then
    notify(status.describe_error("test '" .. name .. "'", err), vim.log.levels.ERROR)
  elseif passed then
    notify("ide-sidecar: test passed: " .. summary)
  else
    notify("ide-sidecar: test failed: " .. summary, vim.log.levels.WARN)
  end
end

--- After the sidecar refused the answers (invalid params), offers to answer again from them.
local function offer_fix(err, answers)
  if not (err and err.code == require("ide_sidecar.protocol").errors.invalidParams) then
    return
  end
  choose("Fix the answers? (each question shows your last answer)", {
    { value = true, label = "Fix them" },
    { value = false, label = "Discard" },
  }, function(yes)
    if yes then
      M.add(answers)
    end
  end)
end

local function save(spec, answers)
  sidecar().create(spec, function(err)
    if err then
      notify(status.describe_error("add the connection", err), vim.log.levels.ERROR)
      offer_fix(err, answers)
    end
  end)
end

--- :IdeSidecarAdd: asks (from `initial` answers, when given), then test first or save.
function M.add(initial)
  if not can_start() then
    return
  end
  M.ask_direct(function(answers)
    if not answers then
      return
    end
    local spec = spec_builder.build(answers)
    spec.id = spec_builder.new_id(spec.name)
    choose("Test '" .. spec.name .. "' before saving?", {
      { value = "test", label = "Test, then save if it passes" },
      { value = "save", label = "Save without testing" },
    }, function(choice)
      if choice == "save" then
        save(spec, answers)
      elseif choice == "test" then
        testing(spec.name)
        sidecar().test_spec(spec, function(err, _, passed, summary)
          report_test(spec.name, err, passed, summary)
          if not err and passed then
            save(spec, answers)
          elseif not err then
            choose("The test failed. Save anyway?", { { value = true, label = "Save anyway" }, { value = false, label = "Discard" } }, function(yes)
              if yes then
                save(spec, answers)
              end
            end)
          else
            offer_fix(err, answers)
          end
        end)
      end
    end)
  end, initial)
end

--- :IdeSidecarTest without an id: asks for a spec and only tests it.
function M.test_new()
  if not can_start() then
    return
  end
  M.ask_direct(function(answers)
    if answers then
      local spec = spec_builder.build(answers)
      testing(spec.name)
      sidecar().test_spec(spec, function(err, _, passed, summary)
        report_test(spec.name, err, passed, summary)
      end)
    end
  end)
end

function M.test(id)
  local connection = sidecar().get(id)
  local name = connection and connection.spec.name or id
  if connection and connection.spec.type == "CCLOUD" and status.overall(connection) ~= "SUCCESS" then
    notify("ide-sidecar: '" .. name .. "' is not signed in: press s in the list (or :IdeSidecarSignIn " .. id .. ") to sign in", vim.log.levels.WARN)
    return
  end
  testing(name)
  sidecar().test(id, function(err, _, passed, summary)
    report_test(name, err, passed, summary)
  end)
end

function M.refresh(id)
  sidecar().refresh(id, function(err, connection)
    if err then
      notify(status.describe_error("refresh '" .. id .. "'", err), vim.log.levels.ERROR)
    else
      notify("ide-sidecar: " .. status.summary(connection))
    end
  end)
end

function M.confirm_delete(id)
  local connection = sidecar().get(id)
  local name = connection and connection.spec.name or id
  choose("Delete '" .. name .. "'?", { { value = true, label = "Delete" }, { value = false, label = "Keep" } }, function(yes)
    if yes then
      M.delete(id)
    end
  end)
end

function M.delete(id)
  sidecar().delete(id, function(err)
    if err and err.code == require("ide_sidecar.protocol").errors.connectionNotFound then
      notify("ide-sidecar: there is no connection with id '" .. id .. "' (:IdeSidecarList shows them)", vim.log.levels.WARN)
    elseif err then
      notify(status.describe_error("delete '" .. id .. "'", err), vim.log.levels.ERROR)
    end
  end)
end

function M.sign_in(id)
  sidecar().sign_in(id)
end

function M.add_ccloud()
  vim.ui.input({ prompt = "Confluent Cloud connection name: ", default = "Confluent Cloud" }, function(name)
    if name and vim.trim(name) ~= "" then
      sidecar().add_ccloud(vim.trim(name))
    end
  end)
end

local function complete_ids(prefix)
  local out = {}
  for _, connection in ipairs(sidecar().connections()) do
    if connection.id:sub(1, #prefix) == prefix then
      table.insert(out, connection.id)
    end
  end
  return out
end

function M.create_commands()
  local command = vim.api.nvim_create_user_command
  local id_opts = { nargs = "?", complete = complete_ids }
  command("IdeSidecarList", M.open_list, { desc = "List Kafka connections and their status" })
  command("IdeSidecarAdd", function() M.add() end, { desc = "Add a direct Kafka connection" })
  command("IdeSidecarTest", function(opts)
    if opts.args ~= "" then
      M.test(opts.args)
    else
      M.test_new()
    end
  end, vim.tbl_extend("force", id_opts, { desc = "Test a connection (or a new spec) with a dry run" }))
  command("IdeSidecarRefresh", function(opts)
    if opts.args ~= "" then
      M.refresh(opts.args)
    else
      sidecar().reload()
    end
  end, id_opts)
  command("IdeSidecarDelete", function(opts)
    if opts.bang then
      M.delete(opts.args)
    else
      M.confirm_delete(opts.args)
    end
  end, { nargs = 1, bang = true, complete = complete_ids, desc = "Delete a connection (! skips the question)" })
  command("IdeSidecarSignIn", function(opts)
    if opts.args ~= "" then
      M.sign_in(opts.args)
    else
      M.add_ccloud()
    end
  end, vim.tbl_extend("force", id_opts, { desc = "Sign in to Confluent Cloud (a new connection without an id)" }))
  command("IdeSidecarRestart", function()
    sidecar().restart()
  end, { desc = "Restart the sidecar" })
  command("IdeSidecarLog", function()
    vim.cmd("tabnew " .. vim.fn.fnameescape(vim.lsp.get_log_path()))
  end, { desc = "Open the LSP log, where the sidecar's stderr goes" })
end

return M
