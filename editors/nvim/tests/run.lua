-- Headless test of the plugin against the real ide-sidecar binary and a tansu broker on 127.0.0.1:
--
--   nvim --headless -u NONE -c "set rtp+=editors/nvim" -c "luafile editors/nvim/tests/run.lua"
--
-- Exit code 0 when every step passed (qall!), 1 otherwise (cquit). Every wait has a timeout that names what hung.
-- Needs target/debug/ide-sidecar (or IDE_SIDECAR_BIN) and tansu (TANSU, ~/.cargo/bin/tansu or PATH).
local WAIT_MS = 20000
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
local repo = vim.fn.fnamemodify(here, ":h:h:h")
vim.opt.runtimepath:append(vim.fn.fnamemodify(here, ":h"))

local passed, failed = 0, 0
local tansu_job
local sidecar

local function say(line)
  io.stdout:write(line .. "\n")
end

local function wait_for(what, condition, ms)
  if not vim.wait(ms or WAIT_MS, condition, 20) then
    error("timed out after " .. (ms or WAIT_MS) .. " ms waiting for " .. what, 2)
  end
end

local function step(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    say("ok - " .. name)
  else
    failed = failed + 1
    say("not ok - " .. name .. "\n" .. tostring(err))
    error("stopping after a failed step", 0)
  end
end

local function eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(string.format("%s: expected %s, got %s", what, vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local function contains(haystack, needle, what)
  if not haystack or not haystack:find(needle, 1, true) then
    error(string.format("%s: %s does not contain %s", what, vim.inspect(haystack), vim.inspect(needle)), 2)
  end
end

local function free_port()
  local tcp = (vim.uv or vim.loop).new_tcp()
  tcp:bind("127.0.0.1", 0)
  local port = tcp:getsockname().port
  tcp:close()
  return port
end

local function port_open(port)
  local done, open = false, false
  local tcp = (vim.uv or vim.loop).new_tcp()
  tcp:connect("127.0.0.1", port, function(err)
    open = err == nil
    done = true
  end)
  vim.wait(1000, function() return done end, 10)
  if not tcp:is_closing() then
    tcp:close()
  end
  return open
end

local function executable_file(path)
  return path and path ~= "" and vim.fn.executable(path) == 1
end

local function find_tansu()
  -- Not ipairs over a list that may start with nil (TANSU unset): it would stop there.
  for _, candidate in pairs({ os.getenv("TANSU") or "", vim.fn.expand("~/.cargo/bin/tansu"), vim.fn.exepath("tansu") }) do
    if executable_file(candidate) then
      return candidate
    end
  end
  error("tansu not found: cargo install tansu --version 0.6.0 --features dynostore,libsql, or set TANSU")
end

-- Every vim.notify message, in order (and echoed, for the CI log).
local notes = {}
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
  say("  notify[" .. tostring(level) .. "] " .. message)
end

local function noted(needle)
  for _, note in ipairs(notes) do
    if note.message:find(needle, 1, true) then
      return note
    end
  end
  return nil
end

local function main()
  local binary = os.getenv("IDE_SIDECAR_BIN") or (repo .. "/target/debug/ide-sidecar")
  assert(executable_file(binary), "no sidecar binary at " .. binary .. ": run `cargo build` or set IDE_SIDECAR_BIN")
  say("nvim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor) .. "." .. tostring(vim.version().patch) .. ", sidecar " .. binary)

  local port = free_port()
  local url = "tcp://127.0.0.1:" .. port
  step("tansu starts on 127.0.0.1:" .. port, function()
    tansu_job = vim.fn.jobstart({ find_tansu(), "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/" })
    assert(tansu_job > 0, "jobstart tansu failed: " .. tansu_job)
    wait_for("tansu to listen on port " .. port, function() return port_open(port) end)
  end)

  step("status formatting (pure functions)", function()
    local status = require("ide_sidecar.status")
    local failed_conn = {
      id = "x",
      spec = { name = "X", type = "DIRECT" },
      status = {
        kafka_cluster = { state = "FAILED", errors = { auth_status_check = { message = "Connection refused", is_transient = true } } },
        schema_registry = { state = "SUCCESS" },
      },
    }
    eq(status.overall(failed_conn), "FAILED", "overall")
    eq(status.summary(failed_conn), "X: Kafka cluster failed: Connection refused; Schema Registry connected", "summary")
    local message, level = status.event_message({ action = "DISCONNECTED", connection = failed_conn })
    eq(level, vim.log.levels.WARN, "a failure is a warning")
    contains(message, "Connection refused", "event message")
    eq(status.describe_error("add", { code = -32602, message = "Invalid params", data = { errors = { { source = "name", detail = "blank" } } } }), "Could not add: name: blank", "validation error")
    local spec = require("ide_sidecar.spec").build({ name = " Dev ", bootstrap_servers = "a:1 , b:2", kafka_auth = "scram_sha_512", kafka_user = "u", kafka_secret = "p", tls = "plaintext", schema_registry_uri = "" })
    eq(spec, { name = "Dev", type = "DIRECT", kafka_cluster = { bootstrap_servers = "a:1,b:2", ssl = { enabled = false }, credentials = { hash_algorithm = "SCRAM_SHA_512", scram_username = "u", scram_password = "p" } } }, "built spec")
    -- A Confluent Cloud connection before sign-in says how to sign in.
    local cloud = { id = "cc", spec = { name = "Cloud", type = "CCLOUD" }, status = { ccloud = { state = "NONE" } } }
    contains(status.summary(cloud), "sign in: s in the list, or :IdeSidecarSignIn cc", "sign-in hint")
  end)

  local plugin_dir = vim.fn.fnamemodify(here, ":h")
  step("the commands exist without setup() (plugin/), and :help ide-sidecar has current tags (doc/)", function()
    local exists = vim.fn.system({ vim.v.progpath, "--headless", "-u", "NORC", "-i", "NONE", "--cmd", "set rtp^=" .. plugin_dir,
      "-c", "lua io.stdout:write(vim.fn.exists(':IdeSidecarList') .. ' ' .. vim.fn.exists(':IdeSidecarAdd'))", "-c", "qall!" })
    eq(vim.trim(exists), "2 2", "commands defined by plugin/ide_sidecar.lua")
    vim.cmd("help ide-sidecar")
    eq(vim.fn.expand("%:t"), "ide-sidecar.txt", "the help file")
    vim.cmd("help :IdeSidecarDelete")
    eq(vim.fn.expand("%:t"), "ide-sidecar.txt", "a command's tag")
    vim.cmd("helpclose")
    -- doc/tags is generated (:helptags editors/nvim/doc): it must match the help file.
    local scratch = vim.fn.tempname()
    vim.fn.mkdir(scratch, "p")
    vim.fn.writefile(vim.fn.readfile(plugin_dir .. "/doc/ide-sidecar.txt", "b"), scratch .. "/ide-sidecar.txt", "b")
    vim.cmd("helptags " .. vim.fn.fnameescape(scratch))
    eq(vim.fn.readfile(plugin_dir .. "/doc/tags"), vim.fn.readfile(scratch .. "/tags"), "doc/tags is stale: run :helptags editors/nvim/doc")
  end)

  sidecar = require("ide_sidecar")
  local events = {}
  local setup_options = {
    cmd = { binary, "serve" },
    autostart = false,
    open_browser = false,
    init_options = { check_timeout_seconds = 5, direct = { refresh_interval_seconds = 1 }, ccloud = { callback_port = free_port() } },
  }
  step("the plugin starts the sidecar with the built-in LSP client", function()
    sidecar.setup(setup_options)
    sidecar.on_event(function(event)
      table.insert(events, event)
    end)
    assert(sidecar.start(), "start() returned no client id")
    wait_for("the sidecar to initialize", sidecar.is_ready)
    contains(sidecar.server_version(), "ide-sidecar", "server version")
    assert(vim.fn.exists(":IdeSidecarList") == 2, ":IdeSidecarList is defined")
  end)

  step(":checkhealth ide_sidecar reports the binary and the running sidecar", function()
    vim.cmd("checkhealth ide_sidecar")
    local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    contains(report, "the sidecar binary: " .. binary, "the binary")
    contains(report, "running: ide-sidecar", "the sidecar")
    assert(not report:find("ERROR", 1, true), "no error in " .. report)
    vim.cmd("bwipeout!")
  end)

  local spec = {
    id = "nvim-test",
    name = "Neovim test",
    type = "DIRECT",
    kafka_cluster = { bootstrap_servers = "127.0.0.1:" .. port, ssl = { enabled = false } },
  }

  step("a dry run checks the spec once and stores nothing", function()
    local result
    sidecar.test_spec(spec, function(err, _, ok, summary)
      result = { err = err, ok = ok, summary = summary }
    end)
    wait_for("the dry-run result", function() return result ~= nil end)
    eq(result.err, nil, "dry-run error")
    eq(result.ok, true, "dry run passed: " .. tostring(result.summary))
    contains(result.summary, "cluster tansu_cluster", "dry-run summary")
    eq(#events, 0, "a dry run sends no event")
  end)

  local function event_for(id, action)
    for _, event in ipairs(events) do
      if event.connection.id == id and event.action == action then
        return event
      end
    end
    return nil
  end

  step("create: CREATED then CONNECTED arrive, with vim.notify and a refreshed list", function()
    vim.cmd("IdeSidecarList")
    local err
    sidecar.create(spec, function(e) err = e or false end)
    wait_for("the create result", function() return err ~= nil end)
    eq(err, false, "create error")
    wait_for("the CREATED event", function() return event_for("nvim-test", "CREATED") ~= nil end)
    wait_for("the CONNECTED event", function() return event_for("nvim-test", "CONNECTED") ~= nil end)
    eq(event_for("nvim-test", "CONNECTED").connection.status.kafka_cluster.state, "SUCCESS", "Kafka state")
    assert(noted("Neovim test: Kafka cluster connected (cluster tansu_cluster)"), "a vim.notify message says it connected")
    local lines = table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n")
    contains(lines, "✓ Neovim test  [nvim-test]  DIRECT  connected", "list buffer")
    contains(lines, "Kafka cluster    connected (cluster tansu_cluster)", "list buffer")
  end)

  step("<CR> on the list opens the connection's details: components, whole errors, the spec", function()
    vim.cmd("IdeSidecarList")
    local lines = require("ide_sidecar.ui").list_lines()
    local row
    for index, line in ipairs(lines) do
      if line:find("[nvim-test]", 1, true) then row = index end
    end
    assert(row, "the connection's line in the list")
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    vim.cmd("execute \"normal \\<CR>\"")
    local details = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    contains(details, "✓ Neovim test  [nvim-test]  DIRECT  connected", "the title line")
    contains(details, "Kafka cluster: connected", "a component")
    contains(details, "cluster tansu_cluster", "its detail")
    contains(details, "kafka_cluster.bootstrap_servers = 127.0.0.1:" .. port, "the spec")
    contains(details, "kafka_cluster.ssl.enabled = false", "a nested value")
    vim.cmd("normal q")
  end)

  step("a reply older than an event already seen never overwrites it (metadata.revision)", function()
    local current = sidecar.get("nvim-test")
    local revision = current.metadata and current.metadata.revision
    assert(type(revision) == "number" and revision > 0, "connections carry a revision: " .. vim.inspect(current.metadata))
    -- What a create reply delayed past the CONNECTED event looks like: older, and still attempting.
    local stale = vim.deepcopy(current)
    stale.metadata.revision = revision - 1
    stale.status.kafka_cluster = { state = "ATTEMPTING" }
    local real = sidecar.request
    sidecar.request = function(method, _, callback)
      eq(method, "connections/refresh", "method")
      callback(nil, stale)
    end
    local done
    local ok, err = pcall(sidecar.refresh, "nvim-test", function() done = true end)
    sidecar.request = real
    assert(ok, err)
    assert(done, "the callback ran")
    eq(sidecar.get("nvim-test").status.kafka_cluster.state, "SUCCESS", "the newer status stays")
    contains(table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n"), "✓ Neovim test  [nvim-test]  DIRECT  connected", "list buffer")
  end)

  step("an event shows in the list before its message; a state that did not change is not announced again", function()
    local current = sidecar.get("nvim-test")
    local revision = current.metadata.revision
    local function event(action, offset, kafka)
      local connection = vim.deepcopy(current)
      connection.metadata.revision = revision + offset
      connection.status.kafka_cluster = kafka
      return { action = action, connection = connection }
    end
    local function failed(text)
      return { state = "FAILED", errors = { auth_status_check = { message = text, is_transient = true } } }
    end
    local list_at_warning
    local recorder = vim.notify
    vim.notify = function(message, level)
      if level == vim.log.levels.WARN and list_at_warning == nil then
        list_at_warning = table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n")
      end
      recorder(message, level)
    end
    local before = #notes
    -- One outage whose message is worded two ways (as librdkafka does): one warning, not two.
    local ok, err = pcall(function()
      sidecar.handle_event(event("DISCONNECTED", 1000, failed("Connection refused (one wording)")))
      sidecar.handle_event(event("DISCONNECTED", 1001, failed("Connection refused (another wording)")))
    end)
    vim.notify = recorder
    assert(ok, err)
    local warnings = 0
    for index = before + 1, #notes do
      if notes[index].level == vim.log.levels.WARN then warnings = warnings + 1 end
    end
    eq(warnings, 1, "warnings for one outage")
    contains(list_at_warning, "⚠ Neovim test  [nvim-test]  DIRECT  failed", "the list when the warning is shown")
    contains(table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n"), "another wording", "the list follows the text")
    -- Back to what the sidecar last said, newer than anything injected, for the steps that follow.
    sidecar.handle_event(event("CONNECTED", 1002, current.status.kafka_cluster))
    eq(sidecar.get("nvim-test").status.kafka_cluster.state, "SUCCESS", "restored")
  end)

  step("deleting an id that does not exist says so", function()
    vim.cmd("IdeSidecarDelete! no-such-id")
    wait_for("the not-found message", function() return noted("there is no connection with id 'no-such-id'") ~= nil end)
  end)

  step("answers the sidecar refused are kept: fixing them starts from each earlier answer", function()
    local script = {
      { prompt = "Connection name", answer = "Fixable" },
      { prompt = "Bootstrap servers", answer = "127.0.0.1" }, -- no port: refused by validation
      { prompt = "Kafka authentication", choose = "none" },
      { prompt = "Transport security", choose = "plaintext" },
      { prompt = "Schema Registry URL", answer = "" },
      { prompt = "Test 'Fixable'", choose = "save" },
      { prompt = "Fix the answers?", choose = true },
      { prompt = "Connection name", answer = false }, -- Enter: keeps the earlier answer
      { prompt = "Bootstrap servers", answer = "127.0.0.1:" .. port },
      { prompt = "Kafka authentication", choose = "none" },
      { prompt = "Transport security", choose = "plaintext" },
      { prompt = "Schema Registry URL", answer = false },
      { prompt = "Test 'Fixable'", choose = "save" },
    }
    local asked = {}
    local function next_line(prompt)
      local line = table.remove(script, 1)
      assert(line, "an unexpected question: " .. prompt)
      assert(prompt:find(line.prompt, 1, true), "expected the question '" .. line.prompt .. "', got '" .. prompt .. "'")
      return line
    end
    local real_input, real_select = vim.fn.input, vim.ui.select
    vim.fn.input = function(opts)
      local line = next_line(opts.prompt)
      table.insert(asked, { prompt = opts.prompt, default = opts.default })
      if line.answer == false then return opts.default end
      return line.answer
    end
    vim.ui.select = function(items, opts, on_choice)
      local line = next_line(opts.prompt)
      for _, item in ipairs(items) do
        if item.value == line.choose then return on_choice(item, _) end
      end
      error("no choice " .. tostring(line.choose) .. " for " .. opts.prompt)
    end
    local ok, err = pcall(function()
      vim.cmd("IdeSidecarAdd")
      wait_for("the fixed connection to be added", function()
        for _, connection in ipairs(sidecar.connections()) do
          if connection.spec.name == "Fixable" then return true end
        end
        return false
      end)
    end)
    vim.fn.input, vim.ui.select = real_input, real_select
    assert(ok, err)
    eq(#script, 0, "every question was asked")
    assert(noted("kafka_cluster.bootstrap_servers"), "the refusal named the field")
    -- The second round started from the first round's answers.
    eq(asked[4].default, "Fixable", "the name's earlier answer")
    eq(asked[5].default, "127.0.0.1", "the servers' earlier answer")
    local id
    for _, connection in ipairs(sidecar.connections()) do
      if connection.spec.name == "Fixable" then id = connection.id end
    end
    local done
    sidecar.delete(id, function(e) done = e or false end)
    wait_for("deleting it again", function() return done ~= nil end)
    eq(done, false, "delete error")
  end)

  step("generated ids differ between Neovim sessions", function()
    local function id_from_a_new_session()
      return vim.fn.system({ vim.v.progpath, "--headless", "-u", "NONE", "--cmd", "set rtp+=" .. vim.fn.fnamemodify(here, ":h"),
        "-c", "lua io.stdout:write(require('ide_sidecar.spec').new_id('tansu dev'))", "-c", "qall!" })
    end
    local first, second = id_from_a_new_session(), id_from_a_new_session()
    assert(first:match("^tansu%-dev%-%x+$"), "an id: " .. vim.inspect(first))
    assert(first ~= second, "two sessions made the same id " .. first)
  end)

  step("Confluent Cloud sign-in: handled whether or not this sidecar has ccloud/signIn", function()
    local outcome
    sidecar.add_ccloud("Cloud", function(err, result) outcome = { err = err, result = result } end)
    wait_for("the sign-in outcome", function() return outcome ~= nil end)
    eq(outcome.err, nil, "sign-in error")
    if outcome.result == "unavailable" then
      assert(noted("sign-in is not available in this sidecar version"), "the user is told sign-in is not available")
    else
      eq(outcome.result, "started", "sign-in outcome")
    end
    -- The list follows the CREATED event, which may arrive after the sign-in reply.
    local cloud
    wait_for("the CCLOUD connection to be listed", function()
      for _, connection in ipairs(sidecar.connections()) do
        if connection.spec.type == "CCLOUD" then cloud = connection end
      end
      return cloud ~= nil
    end)
    local done
    sidecar.delete(cloud.id, function(e) done = e or false end)
    wait_for("deleting the CCLOUD connection", function() return done ~= nil end)
    eq(done, false, "delete error")
  end)

  step("when no browser can be opened, the sign-in address is shown and kept in a register", function()
    local real_request, real_open = sidecar.request, vim.ui.open
    local uri = "https://login.example.test/oauth/authorize?state=abc"
    sidecar.request = function(method, _, callback)
      eq(method, "ccloud/signIn", "method")
      callback(nil, { sign_in_uri = uri })
    end
    -- What vim.ui.open returns on 0.10+ when it finds no way to open a browser.
    vim.ui.open = function() return nil, "vim.ui.open: no handler found (tried: wslview, xdg-open)" end
    sidecar.setup(vim.tbl_extend("force", setup_options, { open_browser = true }))
    local outcome
    local ok, err = pcall(sidecar.sign_in, "any", function(e, result) outcome = { err = e, result = result } end)
    sidecar.request, vim.ui.open = real_request, real_open
    sidecar.setup(setup_options)
    assert(ok, err)
    eq(outcome, { result = "started" }, "outcome")
    local shown = noted(uri)
    assert(shown, "the address is shown")
    contains(shown.message, "could not open a browser (vim.ui.open: no handler found", "why")
    contains(shown.message, "it is in register", "where to find it")
    eq(vim.fn.getreg('"'), uri, "the address is in the unnamed register")
  end)

  step("a sidecar without ccloud/signIn (-32601) gets a message, not an error", function()
    local real = sidecar.request
    sidecar.request = function(method, _, callback)
      eq(method, "ccloud/signIn", "method")
      callback({ code = -32601, message = "Method not found" }, nil)
    end
    local outcome
    local ok, err = pcall(sidecar.sign_in, "any", function(e, result) outcome = { err = e, result = result } end)
    sidecar.request = real
    assert(ok, err)
    eq(outcome, { result = "unavailable" }, "outcome")
    assert(noted("Confluent Cloud sign-in is not available in this sidecar version"), "the user is told")
  end)

  step("delete: DELETED arrives and the list no longer shows it", function()
    vim.cmd("IdeSidecarDelete! nvim-test")
    wait_for("the DELETED event", function() return event_for("nvim-test", "DELETED") ~= nil end)
    wait_for("the list to drop it", function()
      return not table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n"):find("nvim-test", 1, true)
    end)
    eq(#sidecar.connections(), 0, "no connections left")
  end)

  step("stop: shutdown and exit, exit code 0", function()
    sidecar.stop()
    wait_for("the sidecar to exit", function() return (sidecar.stopped()) end)
    local _, code = sidecar.stopped()
    eq(code, 0, "exit code")
  end)

  step("a sidecar killed by a signal is reported, with how to restart it", function()
    assert(sidecar.start(), "started again")
    wait_for("the sidecar to initialize", sidecar.is_ready)
    local pid = vim.trim(vim.fn.system({ "pgrep", "-n", "-P", tostring(vim.fn.getpid()), "-f", "ide-sidecar" }))
    assert(pid:match("^%d+$"), "the sidecar's pid: " .. vim.inspect(pid))
    vim.cmd("IdeSidecarList")
    local list_at_message
    local recorder = vim.notify
    vim.notify = function(message, level)
      if message:find("The sidecar stopped", 1, true) then
        list_at_message = table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n")
      end
      recorder(message, level)
    end
    vim.fn.system({ "kill", "-9", pid })
    local ok = pcall(wait_for, "the message that it stopped", function() return noted("The sidecar stopped (killed by signal 9)") ~= nil end)
    vim.notify = recorder
    assert(ok, "no message that the sidecar stopped")
    contains(list_at_message, "The sidecar stopped (killed by signal 9)", "the list when the message is shown")
    contains(noted("The sidecar stopped").message, ":IdeSidecarRestart", "how to restart")
    vim.cmd("IdeSidecarList")
    contains(table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n"), "The sidecar stopped (killed by signal 9)", "the list says so")
    -- The next key does not restart it silently: it says why it is not running.
    local before = #notes
    vim.cmd("IdeSidecarAdd")
    assert(#notes > before and notes[#notes].message:find("The sidecar stopped", 1, true), "add says the sidecar stopped: " .. vim.inspect(notes[#notes]))
    eq(sidecar.is_ready(), false, "not restarted behind the user's back")
    -- The list with q in the only window: no E444.
    vim.cmd("IdeSidecarList")
    vim.cmd("only")
    local ok, err = pcall(vim.cmd, "normal q")
    assert(ok, "q in the last window: " .. tostring(err))
  end)

  step("a binary that cannot run is reported at once, before any question", function()
    sidecar.setup(vim.tbl_extend("force", setup_options, { cmd = { "/nonexistent/ide-sidecar", "serve" } }))
    local before = #notes
    vim.cmd("IdeSidecarAdd")
    assert(#notes > before, "a message")
    contains(notes[#notes].message, "cannot run '/nonexistent/ide-sidecar'", "why")
    vim.cmd("IdeSidecarList")
    local lines = table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n")
    contains(lines, "The sidecar cannot start", "the list says so")
    assert(not lines:find("press a to add", 1, true), "the list does not offer to add: " .. lines)
  end)
end

local ok, err = xpcall(main, debug.traceback)
if tansu_job then
  vim.fn.jobstop(tansu_job)
  vim.fn.jobwait({ tansu_job }, 5000)
end
if not ok and failed == 0 then
  failed = 1
  say("not ok - " .. tostring(err))
end
say(string.format("nvim: %d passed, %d failed", passed, failed))
if ok then
  vim.cmd("qall!")
else
  vim.cmd("cquit")
end
