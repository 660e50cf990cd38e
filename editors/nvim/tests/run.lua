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

-- The shared store (on by default) must never touch the user's own state directory or keychain: every sidecar this
-- test starts, its child Neovims' too, gets a temp XDG_STATE_HOME and no D-Bus session (so no keychain: secrets stay
-- in memory, as the store's README says).
local state_home = vim.fn.tempname()
vim.fn.mkdir(state_home, "p")
vim.env.XDG_STATE_HOME = state_home
vim.env.DBUS_SESSION_BUS_ADDRESS = nil

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

-- IDE_SIDECAR_NVIM_KEEP_GOING=1 runs the steps after a failed one too (later ones may fail because of it): to see
-- which new steps fail against an older plugin.
local keep_going = os.getenv("IDE_SIDECAR_NVIM_KEEP_GOING") == "1"
local function step(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    say("ok - " .. name)
  else
    failed = failed + 1
    say("not ok - " .. name .. "\n" .. tostring(err))
    if not keep_going then
      error("stopping after a failed step", 0)
    end
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

--- Answers vim.fn.input and vim.ui.select from `script` (a list of { prompt = text it contains, answer = text or
--- false for Enter (the default), or choose = a choice's value }) while fn runs; returns what input was asked
--- ({ prompt, default }) and fails on an unexpected question.
local function scripted(script, fn)
  local asked = {}
  local function next_line(prompt)
    local line = table.remove(script, 1)
    assert(line, "an unexpected question: " .. prompt)
    assert(prompt:find(line.prompt, 1, true), "expected the question '" .. line.prompt .. "', got '" .. prompt .. "'")
    return line
  end
  local real_input, real_secret, real_select = vim.fn.input, vim.fn.inputsecret, vim.ui.select
  vim.fn.inputsecret = function(prompt)
    local line = next_line(prompt)
    table.insert(asked, { prompt = prompt, secret = true })
    return line.answer
  end
  vim.fn.input = function(opts)
    local line = next_line(opts.prompt)
    table.insert(asked, { prompt = opts.prompt, default = opts.default })
    if line.answer == false then return opts.default end
    return line.answer
  end
  vim.ui.select = function(items, opts, on_choice)
    local line = next_line(opts.prompt)
    table.insert(asked, { prompt = opts.prompt, labels = vim.tbl_map(function(item) return opts.format_item(item) end, items) })
    for index, item in ipairs(items) do
      if item.value == line.choose then return on_choice(item, index) end
    end
    error("no choice " .. tostring(line.choose) .. " for " .. opts.prompt)
  end
  local ok, err = pcall(fn)
  vim.fn.input, vim.fn.inputsecret, vim.ui.select = real_input, real_secret, real_select
  assert(ok, err)
  eq(#script, 0, "every question was asked; not asked: " .. vim.inspect(script))
  return asked
end

--- A Neovim with a real screen: a child nvim in a terminal buffer (in a new tab page, 80 columns) started with
--- `init_lines` as its init.lua and a --listen socket. screen() is what it shows, mode() its nvim_get_mode() (a
--- fast call, answered even at a hit-enter prompt: mode "r"), keys() types into its terminal, lua() runs Lua in it.
local function child_nvim(init_lines)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  vim.fn.writefile(init_lines, dir .. "/init.lua")
  local sock = dir .. "/nvim.sock"
  vim.cmd("tabnew")
  local bufnr = vim.api.nvim_get_current_buf()
  -- Its own default store directory, unless its setup() names one.
  local job = vim.fn.termopen({ vim.v.progpath, "-u", dir .. "/init.lua", "-i", "NONE", "--listen", sock },
    { env = { TERM = "xterm-256color", XDG_STATE_HOME = dir .. "/state" } })
  assert(job > 0, "termopen failed: " .. job)
  wait_for("the child Neovim's socket", function() return (vim.uv or vim.loop).fs_stat(sock) ~= nil end)
  local chan = vim.fn.sockconnect("pipe", sock, { rpc = true })
  local child = {}
  function child.screen()
    return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  end
  function child.mode()
    return vim.fn.rpcrequest(chan, "nvim_get_mode")
  end
  function child.keys(keys)
    vim.fn.chansend(job, keys)
  end
  function child.lua(code)
    return vim.fn.rpcrequest(chan, "nvim_exec_lua", code, {})
  end
  -- Its rows joined, so that a text wrapped on the screen is found too.
  function child.wait_screen(text, ms)
    if not vim.wait(ms or WAIT_MS, function() return child.screen():gsub("\n", ""):find(text, 1, true) ~= nil end, 20) then
      error("timed out waiting for the child's screen to show " .. vim.inspect(text) .. "; it shows:\n" .. child.screen(), 2)
    end
  end
  function child.stop()
    pcall(vim.fn.rpcnotify, chan, "nvim_command", "qall!")
    if vim.fn.jobwait({ job }, 5000)[1] == -1 then
      vim.fn.jobstop(job)
    end
    pcall(vim.fn.chanclose, chan)
    vim.cmd("bwipeout! " .. bufnr)
  end
  return child
end

local function main()
  -- IDE_SIDECAR_BIN, else the build of CARGO_TARGET_DIR when set, else the repository's target/debug.
  local target_dir = os.getenv("CARGO_TARGET_DIR")
  local binary = os.getenv("IDE_SIDECAR_BIN") or ((target_dir and target_dir ~= "" and target_dir or (repo .. "/target")) .. "/debug/ide-sidecar")
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
    -- A configured spec against the stored one: only what the configuration sets counts, a mask equals any string.
    local differs = require("ide_sidecar.spec").differs
    local stored = { id = "c", name = "C", type = "DIRECT", kafka_cluster = { bootstrap_servers = "a:1", client_id_suffix = "x",
      credentials = { username = "u", password = "********" } } }
    eq(differs({ id = "c", name = "C", type = "DIRECT", kafka_cluster = { bootstrap_servers = "a:1", credentials = { username = "u", password = "p" } } }, stored),
      false, "the same but for what only the store has and a masked secret")
    eq(differs({ name = "C", kafka_cluster = { bootstrap_servers = "a:1", ssl = { enabled = false } } }, stored), true, "ssl set only in the configuration")
    eq(differs({ name = "C", kafka_cluster = { bootstrap_servers = "a:2" } }, stored), true, "another value")
    eq(differs({ name = "C", kafka_cluster = { credentials = { password = "********x" } } }, { kafka_cluster = { credentials = { password = "p" } } }), true, "a changed secret the store shows")
    eq(differs({ list = { "a" } }, { list = { "a", "b" } }), true, "a shorter list")
    -- A configured connection without an id gets the same one at every start, distinct when a name repeats.
    local config_id = require("ide_sidecar.spec").config_id
    eq(config_id("Local Broker", {}), "config-local-broker", "an id from the name")
    eq(config_id("Local Broker", { ["config-local-broker"] = true }), "config-local-broker-2", "a repeated name")
    -- The store option as initializationOptions: on by default, a directory, off; init_options.store wins.
    local options_for = require("ide_sidecar").init_options_for
    eq(options_for({ store = true, init_options = { check_timeout_seconds = 5 } }), { check_timeout_seconds = 5, store = { enabled = true } }, "default")
    eq(options_for({ store = { directory = "/tmp/s" }, init_options = {} }), { store = { enabled = true, directory = "/tmp/s" } }, "a directory")
    eq(options_for({ store = false, init_options = {} }), {}, "off")
    eq(options_for({ store = true, init_options = { store = { enabled = false } } }), { store = { enabled = false } }, "init_options wins")
    eq(options_for({ store = true, init_options = { store = { directory = "/x" } } }), { store = { enabled = true, directory = "/x" } }, "enabled from the option")
  end)

  step("a validation error re-asks only the answers its sources point at; an edit is a merge patch (pure functions)", function()
    local spec_builder = require("ide_sidecar.spec")
    local function fix(...)
      local errors = {}
      for _, source in ipairs({ ... }) do
        table.insert(errors, { source = source, detail = "wrong" })
      end
      local keys = spec_builder.answers_to_fix(errors)
      if not keys then
        return nil
      end
      local out = vim.tbl_keys(keys)
      table.sort(out)
      return out
    end
    eq(fix("kafka_cluster.bootstrap_servers"), { "bootstrap_servers" }, "servers")
    eq(fix("spec.kafka_cluster.bootstrap_servers"), { "bootstrap_servers" }, "a source with the spec. prefix")
    eq(fix("kafka_cluster.credentials.password", "schema_registry.uri"), { "kafka_secret", "schema_registry_uri" }, "two problems")
    eq(fix("kafka_cluster.credentials.scram_username"), { "kafka_user" }, "a SCRAM user")
    eq(fix("kafka_cluster.credentials"), { "kafka_auth" }, "the credentials as a whole")
    eq(fix("kafka_cluster.credentials.connect_timeout_millis"), { "kafka_auth" }, "under the credentials")
    eq(fix("kafka_cluster.ssl.truststore.path"), { "truststore_path" }, "a truststore path")
    eq(fix("kafka_cluster"), { "bootstrap_servers", "schema_registry_uri" }, "neither a cluster nor a registry")
    eq(fix("name"), { "name" }, "the name")
    eq(fix("id"), nil, "not an answer: ask everything")
    eq(fix("kafka_cluster.client_id_suffix"), nil, "nothing the questions set: ask everything")
    eq(spec_builder.answers_to_fix({}), nil, "no problems listed")

    local stored = {
      id = "s", name = "Old", type = "DIRECT",
      kafka_cluster = {
        bootstrap_servers = "a:1", client_id_suffix = "x",
        credentials = { username = "u", password = "********" },
        ssl = { enabled = true, keystore = { path = "/k.p12" } },
      },
    }
    local answers = spec_builder.answers_from(stored)
    eq({ answers.name, answers.bootstrap_servers, answers.kafka_auth, answers.kafka_user, answers.kafka_secret, answers.tls, answers.schema_registry_uri },
      { "Old", "a:1", "plain", "u", "********", "tls", "" }, "answers from a spec")
    local changed = vim.deepcopy(answers)
    changed.name = "New"
    -- Unchanged secrets (masked) and what no question covers (client_id_suffix, the keystore) are not in the patch.
    eq(spec_builder.merge_patch(spec_builder.build(answers), spec_builder.build(changed)), { name = "New" }, "a rename")
    changed.kafka_auth, changed.kafka_user, changed.kafka_secret = "api_key", "K", "S"
    eq(spec_builder.merge_patch(spec_builder.build(answers), spec_builder.build(changed)),
      { name = "New", kafka_cluster = { credentials = { username = vim.NIL, password = vim.NIL, api_key = "K", api_secret = "S" } } }, "new credentials")
    -- The spec held with its real secrets follows the patch; a masked value keeps the real one.
    eq(spec_builder.apply_patch({ name = "Old", kafka_cluster = { credentials = { username = "u", password = "real" } } },
      { name = "New", kafka_cluster = { credentials = { password = "********" } } }),
      { name = "New", kafka_cluster = { credentials = { username = "u", password = "real" } } }, "applied patch")
    eq(spec_builder.answers_from({ name = "O", type = "DIRECT", kafka_cluster = { bootstrap_servers = "a:1", credentials = { principal = "p", keytab_path = "/k" } } }).kafka_auth,
      "keep", "credentials the questions cannot express are kept")
  end)

  step("the list highlights each state with groups linked to standard ones (pure render, links)", function()
    local status = require("ide_sidecar.status")
    local function connection(id, state)
      return { id = id, spec = { name = id, type = "DIRECT" }, status = { kafka_cluster = { state = state } } }
    end
    local lines, _, marks = status.render({ connection("up", "SUCCESS"), connection("down", "FAILED"), connection("wait", "ATTEMPTING") }, "Title", nil)
    local function groups_on(row)
      local out = {}
      for _, mark in ipairs(marks) do
        if mark.line == row - 1 then
          table.insert(out, mark.group .. ":" .. lines[row]:sub(mark.from + 1, mark.to))
        end
      end
      return out
    end
    eq(groups_on(3), { "IdeSidecarConnected:✓", "IdeSidecarConnected:connected" }, "a connected line")
    eq(groups_on(4), { "IdeSidecarConnected:✓", "IdeSidecarConnected:connected" }, "its component")
    eq(groups_on(5), { "IdeSidecarFailed:⚠", "IdeSidecarFailed:failed" }, "a failed line")
    eq(groups_on(7), { "IdeSidecarConnecting:…", "IdeSidecarConnecting:connecting…" }, "a connecting line")
    local function target(group)
      return vim.fn.synIDattr(vim.fn.synIDtrans(vim.fn.hlID(group)), "name")
    end
    require("ide_sidecar.ui").define_highlights()
    eq(target("IdeSidecarConnected"), vim.fn.hlexists("DiagnosticOk") == 1 and "DiagnosticOk" or "MoreMsg", "connected")
    eq(target("IdeSidecarFailed"), "DiagnosticError", "failed")
    eq(target("IdeSidecarConnecting"), "DiagnosticWarn", "connecting")
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
  -- The store on (the default), in a directory of this test's own, which the store steps share with a child Neovim.
  local store_dir = state_home .. "/main-store"
  local setup_options = {
    cmd = { binary, "serve" },
    store = { directory = store_dir },
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
    contains(report, "(ide-sidecar ", "the binary's version")
    contains(report, "kafka/records/consume", "the methods it announces")
    contains(report, "the sidecar has every method the plugin calls", "nothing missing")
    -- No D-Bus session here: the store is on, without a keychain, and says so (a warning, with the sidecar's words).
    contains(report, "shared store: " .. store_dir .. ", no OS keychain: No OS keychain answered", "the store and its keychain")
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
    -- The state is highlighted.
    local bufnr = vim.fn.bufnr("ide-sidecar://connections")
    local row
    for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
      if line:find("[nvim-test]", 1, true) and not row then row = index - 1 end
    end
    local groups = {}
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, require("ide_sidecar.ui").namespace, { row, 0 }, { row, -1 }, { details = true })) do
      table.insert(groups, mark[4].hl_group)
    end
    eq(groups, { "IdeSidecarConnected", "IdeSidecarConnected" }, "the highlights of the connected line")
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
    -- The details alone on the screen: q shows the list there instead of failing with E444.
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    vim.cmd("execute \"normal \\<CR>\"")
    vim.cmd("only")
    local ok, err = pcall(vim.cmd, "normal q")
    assert(ok, "q in the details' last window: " .. tostring(err))
    eq(vim.api.nvim_buf_get_name(0), "ide-sidecar://connections", "the list is shown there")
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

  step("records as JSON lines, starts, produce documents and results (pure functions)", function()
    local records = require("ide_sidecar.records")
    local record = vim.json.decode([[{"value":{"format":"BYTES","data":"AAE=","error":"unknown schema id 7"},"key":{"format":"NULL"},
      "headers":[],"timestamp_type":"CREATE_TIME","timestamp":1765000000123,"offset":42,"partition":1}]], { luanil = { object = true } })
    eq(records.line(record), '{"partition":1,"offset":42,"timestamp":1765000000123,"timestamp_type":"CREATE_TIME",'
      .. '"key":{"format":"NULL","data":null},"value":{"format":"BYTES","data":"AAE=","error":"unknown schema id 7"},"headers":[]}', "a record's line")
    eq(records.encode({ b = 1, a = { 2.5, "x" }, c = vim.empty_dict() }), '{"a":[2.5,"x"],"b":1,"c":{}}', "sorted keys")
    local now = 1765000000000
    eq({ records.parse_start("beginning", now) }, { { from = "beginning" }, nil, "the beginning" }, "beginning")
    eq(records.parse_start("", now), nil, "latest")
    eq(records.parse_start("-15m", now), { from = "timestamp", timestamp = now - 900000 }, "a time ago")
    eq(records.parse_start("2025-12-06T05:46:40", now), { from = "timestamp", timestamp = 1765000000000 }, "a UTC time")
    eq(records.parse_start("1765000000000", now), { from = "timestamp", timestamp = 1765000000000 }, "epoch ms")
    eq(records.parse_start("0:5,1:7", now), { from = "offsets", offsets = { { partition = 0, offset = 5 }, { partition = 1, offset = 7 } } }, "offsets")
    local none, why = records.parse_start("yesterday", now)
    eq(none, nil, "not a start")
    contains(why, "partition:offset", "says what it takes")
    local params = records.produce_params('{"records":[{"value":"v"}]}', { connection_id = "c", topic = "t" })
    eq(params, { connection_id = "c", topic = "t", records = { { value = "v" } } }, "params from a document and a target")
    eq(records.produce_params('[{"value":null}]', { connection_id = "c", topic = "t" }).records[1].value, vim.NIL, "a bare array, a tombstone")
    local _, bad = records.produce_params("{records:", {})
    contains(bad, "the buffer is not JSON", "not JSON")
    local _, no_topic = records.produce_params('{"records":[{}]}', {})
    contains(no_topic, ":IdeSidecarProduce {connection} {topic}", "no topic")
    local lines, ok = records.produce_report({ records = { { partition = 0, offset = 7, timestamp = now, key_size = 1, value_size = 2 },
      { error = { source = "records[1].value.data", message = "invalid base64" } } } }, false)
    eq(ok, 1, "ok records")
    eq(lines, { "records[0]: partition 0, offset 7, timestamp 1765000000000 (key 1 byte, value 2 bytes)", "records[1]: error at records[1].value.data: invalid base64" }, "report")
  end)

  local topic = "nvim-orders"
  local function call(method, params)
    local done
    sidecar.request(method, params, function(err, result) done = { err = err, result = result } end)
    wait_for(method, function() return done ~= nil end)
    eq(done.err, nil, method .. " error")
    return done.result
  end
  -- One request per record: tansu's high watermark counts a batch of records as one offset.
  local function write(values)
    for index, value in ipairs(values) do
      call("kafka/records/produce", { connection_id = "nvim-test", topic = topic, records = { { key = { data = "k" .. index }, value = { data = value } } } })
    end
  end
  local function messages_lines()
    return vim.api.nvim_buf_get_lines(vim.fn.bufnr("ide-sidecar://messages/nvim-test/" .. topic), 0, -1, false)
  end

  step("o on a connection lists its topics with partition counts and its groups with live lag (kafka/lag)", function()
    call("kafka/topics/create", { connection_id = "nvim-test", topic = topic, partitions = 2 })
    local values = {}
    for index = 1, 12 do
      table.insert(values, { n = index, note = index % 5 == 0 and "needle here" or "hay" })
    end
    write(values)
    -- A group that has committed offsets (positioned at the beginning): its lag is the 12 records.
    call("kafka/groups/resetOffsets", { connection_id = "nvim-test", group_id = "nvim-group", topic = topic, to = "earliest" })
    require("ide_sidecar.ui").lag_interval_ms = 500
    vim.cmd("IdeSidecarList")
    local row
    for index, line in ipairs(require("ide_sidecar.ui").list_lines()) do
      if line:find("[nvim-test]", 1, true) and not row then row = index end
    end
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    vim.cmd("normal o")
    local function list()
      return table.concat(require("ide_sidecar.ui").list_lines(), "\n")
    end
    wait_for("the topic in the list", function() return list():find(topic .. "  (2 partitions)", 1, true) ~= nil end)
    contains(list(), "Topics (1)", "the topics' heading")
    -- The lag as the sidecar computes it (tansu's offsets are its own business; the list must show the same).
    local lag = call("kafka/groups/describe", { connection_id = "nvim-test", group_id = "nvim-group" }).total_lag
    assert(lag > 0, "a lag to catch up: " .. tostring(lag))
    local ok = pcall(wait_for, "the group's lag", function() return list():find("nvim-group  Empty, 0 members, lag " .. lag, 1, true) ~= nil end)
    assert(ok, "timed out waiting for the group's lag in the list:\n" .. list())
    -- The group catches up: the watch reports the new lag and the list follows.
    call("kafka/groups/resetOffsets", { connection_id = "nvim-test", group_id = "nvim-group", topic = topic, to = "latest" })
    ok = pcall(wait_for, "the new lag", function() return list():find("nvim-group  Empty, 0 members, lag 0", 1, true) ~= nil end)
    assert(ok, "timed out waiting for the new lag in the list:\n" .. list())
    -- <CR> on the group: its partitions' offsets and lag.
    for index, line in ipairs(require("ide_sidecar.ui").list_lines()) do
      if line:find("      nvim-group", 1, true) then row = index end
    end
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    vim.cmd("execute \"normal \\<CR>\"")
    wait_for("the group's details", function() return vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find("^Consumer group nvim%-group") ~= nil end)
    local details = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    contains(details, "Consumer group nvim-group  Empty  total lag 0", "the heading")
    contains(details, topic .. "  0  ", "a partition's line")
    vim.cmd("normal q")
    eq(vim.api.nvim_buf_get_name(0), "ide-sidecar://connections", "back in the list")
  end)

  local message_buffer
  step("<CR> on a topic opens its records as JSON lines; ]p pages on with the cursor; :IdeSidecarFrom starts again", function()
    local messages = require("ide_sidecar.messages")
    messages.PAGE_SIZE = 5
    local row
    for index, line in ipairs(require("ide_sidecar.ui").list_lines()) do
      if line:find("      " .. topic, 1, true) then row = index end
    end
    assert(row, "the topic's line")
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    vim.cmd("execute \"normal \\<CR>\"")
    message_buffer = vim.api.nvim_get_current_buf()
    eq(vim.api.nvim_buf_get_name(message_buffer), "ide-sidecar://messages/nvim-test/" .. topic, "the buffer's name")
    eq({ vim.bo.buftype, vim.bo.filetype }, { "nofile", "json" }, "a JSON scratch buffer")
    wait_for("the first page", function() return not messages.state().loading and messages.state().count > 0 end)
    vim.cmd("IdeSidecarFrom beginning")
    wait_for("the first page from the beginning", function() return not messages.state().loading and messages.state().count > 0 end)
    eq(#messages_lines(), 5, "one page of 5")
    local seen = {}
    local function check_lines()
      for _, line in ipairs(messages_lines()) do
        assert(line:match('^{"partition":%d,"offset":%d+,"timestamp":%d+,"timestamp_type":"CREATE_TIME","key":{"format":"STRING","data":"k%d+"},"value":{"format":"JSON","data":{'), "a record line: " .. line)
        local record = vim.json.decode(line)
        seen[record.partition .. ":" .. record.offset] = true
      end
    end
    check_lines()
    eq(vim.tbl_count(seen), 5, "5 distinct records")
    local pages = 0
    while not messages.state().at_end do
      pages = pages + 1
      assert(pages < 10, "too many pages")
      local before = messages.state().count
      vim.cmd("normal ]p")
      wait_for("page " .. pages, function() return not messages.state().loading end)
      assert(messages.state().count > before or messages.state().at_end, "a page added records")
    end
    seen = {}
    check_lines()
    eq(vim.tbl_count(seen), 12, "every record once, paged with the cursor")
    assert(noted("at the end of " .. topic), "the end is said")
    -- The cap drops the oldest lines (10,000 in use; 10 here).
    local all = messages_lines()
    messages.MAX_RECORDS = 10
    vim.cmd("IdeSidecarFrom beginning")
    while not messages.state().at_end or messages.state().loading do
      wait_for("a page under the cap", function() return not messages.state().loading end)
      if not messages.state().at_end then vim.cmd("normal ]p") end
    end
    messages.MAX_RECORDS = 10000
    local kept, known = messages_lines(), {}
    for _, line in ipairs(all) do known[line] = true end
    eq(#kept, 10, "lines under the cap")
    for _, line in ipairs(kept) do assert(known[line], "a record seen before: " .. line) end
    eq(messages.state().dropped, 2, "the two oldest lines dropped")
    local wanted = vim.json.decode(messages_lines()[2])
    vim.cmd("IdeSidecarFrom " .. wanted.partition .. ":" .. wanted.offset)
    wait_for("the page from an offset", function() return not messages.state().loading end)
    local first = vim.json.decode(messages_lines()[1])
    eq({ first.partition, first.offset }, { wanted.partition, wanted.offset }, "the first record from the offset asked")
  end)

  step(":IdeSidecarSearch shows only the records containing a text (filter.contains), found by the sidecar", function()
    local messages = require("ide_sidecar.messages")
    messages.PAGE_SIZE = 500
    vim.cmd("IdeSidecarFrom beginning")
    wait_for("the page", function() return not messages.state().loading end)
    vim.cmd("IdeSidecarSearch NEEDLE")
    wait_for("the search's page", function() return not messages.state().loading end)
    local lines = messages_lines()
    eq(#lines, 2, "two records hold 'needle': " .. table.concat(lines, "\n"))
    for _, line in ipairs(lines) do
      contains(line, "needle here", "a match")
    end
    assert(noted('2 records matching "NEEDLE" in 12 records read'), "the message says what was read")
    vim.cmd("IdeSidecarSearch")
    wait_for("the page without a search", function() return not messages.state().loading end)
    eq(#messages_lines(), 12, "all again")
  end)

  step(":IdeSidecarTail appends new records (kafka/records); wiping the buffer untails; kafka/tail/ended is shown", function()
    local messages = require("ide_sidecar.messages")
    -- At the end already: the tail continues from the page's cursor.
    vim.cmd("IdeSidecarFrom beginning")
    wait_for("the page", function() return not messages.state().loading end)
    vim.cmd("IdeSidecarTail")
    wait_for("the tail to start", function() return messages.state().tail_id ~= nil end)
    write({ { n = 13, note = "tailed" } })
    wait_for("the tailed record in the buffer", function()
      local lines = messages_lines()
      return #lines == 13 and lines[13]:find('"tailed"', 1, true) ~= nil
    end)
    -- Wiping the buffer untails.
    local sent = {}
    local real = sidecar.request
    sidecar.request = function(method, params, callback)
      table.insert(sent, method)
      return real(method, params, callback)
    end
    vim.cmd("bwipeout " .. message_buffer)
    sidecar.request = real
    eq(sent, { "kafka/records/untail" }, "untail when wiped")
    eq(messages.state(message_buffer), nil, "forgotten")
    -- A tail that the sidecar ends is reported: the topic deleted.
    local bufnr = messages.open("nvim-test", topic)
    wait_for("the page", function() return not messages.state(bufnr).loading end)
    messages.toggle_tail(bufnr)
    wait_for("the tail to start", function() return messages.state(bufnr).tail_id ~= nil end)
    call("kafka/topics/delete", { connection_id = "nvim-test", topic = topic })
    wait_for("the tail's end to be shown", function() return noted("the tail of " .. topic .. " ended") ~= nil end)
    eq(messages.state(bufnr).tail_id, nil, "no tail")
    vim.cmd("bwipeout " .. bufnr)
  end)

  step(":IdeSidecarProduce writes the buffer's records after a dry run, showing each record's error or offset", function()
    local messages = require("ide_sidecar.messages")
    call("kafka/topics/create", { connection_id = "nvim-test", topic = topic .. "-in", partitions = 1 })
    local bufnr = messages.produce_template("nvim-test", topic .. "-in")
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, {
      '{"records": [',
      '  {"key": {"data": "a"}, "value": {"data": {"id": 1}}},',
      '  {"key": {"data": "b"}, "value": {"data": "!!! not base64", "format": "BYTES"}},',
      '  {"key": {"data": "c"}, "value": null}',
      "]}",
    })
    local dry_run
    local asked = scripted({ { prompt = "Write 2 records to " .. topic .. "-in @ nvim-test? (1 with errors will not be)", choose = true } }, function()
      local real_select = vim.ui.select
      vim.ui.select = function(...)
        dry_run = messages.result_lines()
        return real_select(...)
      end
      local ok, err = pcall(function()
        vim.cmd("IdeSidecarProduce")
        wait_for("the result", function() return (messages.result_lines() or {})[1] and messages.result_lines()[1]:find("^Written") ~= nil end)
      end)
      vim.ui.select = real_select
      assert(ok, err)
    end)
    eq(#asked, 1, "asked once")
    eq(dry_run[1], "Dry run for " .. topic .. "-in @ nvim-test: 2 of 3 records can be written (nothing was written)", "the dry run's heading")
    contains(dry_run[2], "records[0]: ok (key 1 byte, value 8 bytes)", "a good record")
    contains(dry_run[3], "records[1]: error at records[1].value.data", "the bad record's source")
    local result = messages.result_lines()
    eq(result[1], "Written to " .. topic .. "-in @ nvim-test: 2 of 3 records", "the heading")
    assert(result[2]:match("^records%[0%]: partition 0, offset 0, timestamp %d+"), "partition and offset: " .. result[2])
    contains(result[3], "records[1]: error at records[1].value.data", "the error again")
    assert(result[4]:match("^records%[2%]: partition 0, offset 1,"), "the tombstone: " .. result[4])
    local page = call("kafka/records/consume", { connection_id = "nvim-test", topic = topic .. "-in", start = { from = "beginning" } })
    -- (tansu's high watermark counts one batch as one offset, so only the first record is read back here.)
    eq({ page.records[1].key.data, page.records[1].value.data }, { "a", { id = 1 } }, "the record written")
    -- A document the sidecar refuses whole (a key that is not {data, ...}): its problem with the path, nothing written.
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { '{"records": [{"key": "a"}]}' })
    vim.cmd("IdeSidecarProduce")
    wait_for("the refusal", function() return noted("Could not produce to " .. topic .. "-in @ nvim-test: records[0].key") ~= nil end)
    contains(messages.result_lines()[1], "refused, nothing was written", "the result window says so")
    -- A buffer that is not JSON: nothing is sent, the message says what to write.
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { "{records" })
    vim.cmd("IdeSidecarProduce")
    contains(notes[#notes].message, "the buffer is not JSON", "not JSON")
    vim.cmd("bwipeout! " .. bufnr)
    call("kafka/topics/delete", { connection_id = "nvim-test", topic = topic .. "-in" })
  end)

  step("o on a connection with a Schema Registry lists its subjects and versions; <CR> opens one read-only (schemas/get)", function()
    -- A Schema Registry on 127.0.0.1 answering what the sidecar asks, as Confluent's does (one subject, two versions).
    local uv = vim.uv or vim.loop
    local schema = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"note","type":"string","default":"a, b: {c}"}]}'
    local answers = {
      ["/schemas/types"] = '["JSON","PROTOBUF","AVRO"]',
      ["/subjects"] = '["nvim-orders-value"]',
      ["/subjects/nvim-orders-value/versions"] = "[1,2]",
      ["/subjects/nvim-orders-value/versions/2"] = vim.json.encode({ subject = "nvim-orders-value", version = 2, id = 7, schema = schema }),
    }
    local requested = {}
    local server = uv.new_tcp()
    server:bind("127.0.0.1", 0)
    server:listen(16, function()
      local client = uv.new_tcp()
      server:accept(client)
      local request = ""
      client:read_start(function(_, chunk)
        if not chunk then
          client:close()
          return
        end
        request = request .. chunk
        if not request:find("\r\n\r\n", 1, true) then
          return
        end
        client:read_stop()
        local path = request:match("^GET ([^ ?]+)")
        table.insert(requested, path or request:match("^(%S+ %S+)"))
        local body = path and answers[path]
        local status = body and "200 OK" or "404 Not Found"
        body = body or '{"error_code":40401,"message":"Subject not found."}'
        client:write("HTTP/1.1 " .. status .. "\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: " .. #body
          .. "\r\nConnection: close\r\n\r\n" .. body, function() client:close() end)
      end)
    end)
    local registry_url = "http://127.0.0.1:" .. server:getsockname().port
    local err
    sidecar.create({ id = "nvim-registry", name = "Registry only", type = "DIRECT", schema_registry = { uri = registry_url } }, function(e) err = e or false end)
    wait_for("the registry connection's create", function() return err ~= nil end)
    eq(err, false, "create error")
    vim.cmd("IdeSidecarList")
    local function list()
      return table.concat(require("ide_sidecar.ui").list_lines(), "\n")
    end
    local function row_of(needle)
      for index, line in ipairs(require("ide_sidecar.ui").list_lines()) do
        if line:find(needle, 1, true) then return index end
      end
    end
    wait_for("the registry connection in the list", function() return row_of("[nvim-registry]") ~= nil end)
    vim.api.nvim_win_set_cursor(0, { row_of("[nvim-registry]"), 0 })
    vim.cmd("normal o")
    local ok = pcall(wait_for, "the subject's versions", function() return list():find("        version 2", 1, true) ~= nil end)
    assert(ok, "timed out waiting for the versions in the list:\n" .. list())
    contains(list(), "    Schema subjects (1)\n      nvim-orders-value\n        version 1\n        version 2", "the subjects under the connection")
    assert(not list():find("Registry only.-Topics"), "no Topics for a connection without a Kafka cluster:\n" .. list())
    vim.api.nvim_win_set_cursor(0, { row_of("        version 2"), 0 })
    vim.cmd("execute \"normal \\<CR>\"")
    wait_for("the schema's buffer", function() return vim.api.nvim_buf_get_name(0):find("nvim%-orders%-value%.v2%.id7%.json$") ~= nil end)
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    eq(vim.json.decode(text), vim.json.decode(schema), "the schema as the registry holds it")
    contains(text, '{\n  "type": "record",\n  "name": "Order",\n  "fields": [\n    {\n      "name": "id",', "indented, keys in order")
    contains(text, '"default": "a, b: {c}"', "a string left as it is")
    eq({ vim.bo.modifiable, vim.bo.readonly, vim.bo.filetype }, { false, true, "json" }, "read-only JSON")
    contains(table.concat(requested, " "), "/subjects/nvim-orders-value/versions/2", "schemas/get asked the registry")
    vim.cmd("normal q")
    assert(not vim.api.nvim_buf_get_name(0):find("nvim%-orders%-value"), "q closed the schema's window")
    vim.cmd("IdeSidecarList")
    eq(vim.api.nvim_buf_get_name(0), "ide-sidecar://connections", "back in the list")
    -- Collapsed and deleted again, so the steps below see the list as before.
    vim.api.nvim_win_set_cursor(0, { row_of("[nvim-registry]"), 0 })
    vim.cmd("normal o")
    local deleted
    sidecar.delete("nvim-registry", function(e) deleted = e or false end)
    wait_for("the registry connection's delete", function() return deleted ~= nil end)
    wait_for("the registry connection to leave the list", function() return row_of("[nvim-registry]") == nil end)
    server:close()
  end)

  step("deleting an id that does not exist says so", function()
    vim.cmd("IdeSidecarDelete! no-such-id")
    wait_for("the not-found message", function() return noted("there is no connection with id 'no-such-id'") ~= nil end)
  end)

  local function named(name)
    for _, connection in ipairs(sidecar.connections()) do
      if connection.spec.name == name then return connection end
    end
    return nil
  end

  step("a refusal re-asks only the wrong answers (data.errors[].source), keeping the others", function()
    local asked = scripted({
      { prompt = "Connection name", answer = "Fixable" },
      { prompt = "Bootstrap servers", answer = "127.0.0.1" }, -- no port: refused
      { prompt = "Kafka authentication", choose = "plain" },
      { prompt = "Username", answer = "alice" },
      { prompt = "Password", answer = "" }, -- empty: refused
      { prompt = "Transport security", choose = "plaintext" },
      { prompt = "Schema Registry URL", answer = "localhost:8081" }, -- no http(s): refused
      { prompt = "Schema Registry authentication", choose = "none" },
      { prompt = "Test 'Fixable'", choose = "save" },
      { prompt = "Fix the answers? (asks again: Bootstrap servers, Kafka password or API secret, Schema Registry URL;", choose = true },
      { prompt = "Bootstrap servers", answer = "127.0.0.1:" .. port },
      { prompt = "Password", answer = "s3cret" },
      { prompt = "Schema Registry URL", answer = "" },
      { prompt = "Test 'Fixable'", choose = "save" },
    }, function()
      vim.cmd("IdeSidecarAdd")
      wait_for("the fixed connection to be added", function() return named("Fixable") ~= nil end)
    end)
    assert(noted("kafka_cluster.bootstrap_servers"), "the refusal named the field")
    -- The second round started from the first round's answers, and kept the ones not asked.
    eq(asked[11].default, "127.0.0.1", "the servers' earlier answer")
    eq(asked[13].default, "localhost:8081", "the registry's earlier answer")
    local fixed = named("Fixable")
    eq(fixed.spec.kafka_cluster.bootstrap_servers, "127.0.0.1:" .. port, "the fixed servers")
    eq(fixed.spec.kafka_cluster.credentials.username, "alice", "the username kept")
    eq(fixed.spec.kafka_cluster.ssl.enabled, false, "plaintext kept")
    eq(fixed.spec.schema_registry, nil, "no registry")
    local done
    sidecar.delete(fixed.id, function(e) done = e or false end)
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

  step("e in the list renames a connection and changes its settings with connections/patch (a refusal re-asks the wrong answer)", function()
    -- A connection of its own: nvim-test carries the revisions injected above, newer than the sidecar's.
    local created
    sidecar.create(vim.tbl_extend("force", spec, { id = "nvim-edit", name = "Editable" }), function(e) created = e or false end)
    wait_for("the create result", function() return created ~= nil end)
    eq(created, false, "create error")
    vim.cmd("IdeSidecarList")
    local function press_e()
      local row
      for index, line in ipairs(require("ide_sidecar.ui").list_lines()) do
        if line:find("[nvim-edit]", 1, true) and not row then row = index end
      end
      assert(row, "the connection's line in the list")
      vim.api.nvim_win_set_cursor(0, { row, 0 })
      vim.cmd("normal e")
    end
    local sent = {}
    local real = sidecar.request
    sidecar.request = function(method, params, callback)
      table.insert(sent, { method = method, params = vim.deepcopy(params) })
      return real(method, params, callback)
    end
    local ok, err = pcall(function()
      scripted({
        { prompt = "Edit 'Editable'", choose = "rename" },
        { prompt = "New name for 'Editable'", answer = "Renamed test" },
      }, function()
        press_e()
        wait_for("the new name", function() return sidecar.get("nvim-edit").spec.name == "Renamed test" end)
      end)
      eq(sent[#sent], { method = "connections/patch", params = { id = "nvim-edit", patch = { name = "Renamed test" } } }, "the rename's request")
      wait_for("the list to show the new name", function()
        return table.concat(require("ide_sidecar.ui").list_lines(), "\n"):find("Renamed test  [nvim-edit]", 1, true) ~= nil
      end)
      local servers = "127.0.0.1:" .. port .. ",localhost:" .. port
      local asked = scripted({
        { prompt = "Edit 'Renamed test'", choose = "edit" },
        { prompt = "Connection name", answer = false },
        { prompt = "Bootstrap servers", answer = "127.0.0.1" }, -- no port: refused
        { prompt = "Kafka authentication", choose = "none" },
        { prompt = "Transport security", choose = "plaintext" },
        { prompt = "Schema Registry URL", answer = false },
        { prompt = "Fix the answers? (asks again: Bootstrap servers;", choose = true },
        { prompt = "Bootstrap servers", answer = servers },
      }, function()
        press_e()
        wait_for("the new servers", function() return sidecar.get("nvim-edit").spec.kafka_cluster.bootstrap_servers == servers end)
      end)
      -- Each question started from the current value, the choices marked it.
      eq(asked[2].default, "Renamed test", "the name's current value")
      eq(asked[3].default, "127.0.0.1:" .. port, "the servers' current value")
      eq(asked[5].labels[3], "Plaintext (current)", "the current transport marked")
      eq(sent[#sent], { method = "connections/patch", params = { id = "nvim-edit", patch = { kafka_cluster = { bootstrap_servers = servers } } } }, "the edit's request")
      assert(noted("Could not change 'Renamed test': kafka_cluster.bootstrap_servers"), "the refusal named the field")
    end)
    sidecar.request = real
    assert(ok, err)
    wait_for("the edited connection to connect again", function()
      local lines = table.concat(require("ide_sidecar.ui").list_lines(), "\n")
      return lines:find("✓ Renamed test  [nvim-edit]  DIRECT  connected", 1, true) ~= nil
    end)
    local done
    sidecar.delete("nvim-edit", function(e) done = e or false end)
    wait_for("deleting it", function() return done ~= nil end)
    eq(done, false, "delete error")
  end)

  step("delete: DELETED arrives and the list no longer shows it", function()
    vim.cmd("IdeSidecarDelete! nvim-test")
    wait_for("the DELETED event", function() return event_for("nvim-test", "DELETED") ~= nil end)
    wait_for("the list to drop it", function()
      return not table.concat(require("ide_sidecar.ui").list_lines() or {}, "\n"):find("nvim-test", 1, true)
    end)
    eq(#sidecar.connections(), 0, "no connections left")
  end)

  step("shared store: another window's connection shows here, one deleted here is gone there, a restart finds what is stored", function()
    local child = child_nvim({
      "vim.opt.runtimepath:append(" .. string.format("%q", plugin_dir) .. ")",
      "require('ide_sidecar').setup({ cmd = { " .. string.format("%q", binary) .. ", 'serve' }, notify = false, store = { directory = "
        .. string.format("%q", store_dir) .. " } })",
    })
    local ok, err = pcall(function()
      wait_for("the child's sidecar", function() return child.lua("return require('ide_sidecar').is_ready()") end)
      eq(child.lua("return require('ide_sidecar').store().directory"), store_dir, "the child's store directory")
      child.lua("require('ide_sidecar').create({ id = 'from-child', name = 'From the child', type = 'DIRECT', kafka_cluster = { bootstrap_servers = '127.0.0.1:"
        .. port .. "', ssl = { enabled = false } } }, function() end)")
      wait_for("CREATED here for the child's connection", function() return event_for("from-child", "CREATED") ~= nil end)
      eq(sidecar.get("from-child").spec.name, "From the child", "the child's connection here")

      local created
      sidecar.create({ id = "from-main", name = "From main", type = "DIRECT", kafka_cluster = { bootstrap_servers = "127.0.0.1:" .. port, ssl = { enabled = false } } },
        function(e) created = e or false end)
      wait_for("the create result", function() return created ~= nil end)
      eq(created, false, "create error")
      wait_for("the child to see it", function() return child.lua("return require('ide_sidecar').get('from-main') ~= nil") end)
      vim.cmd("IdeSidecarDelete! from-main")
      wait_for("the child to drop it", function() return child.lua("return require('ide_sidecar').get('from-main') == nil") end)
    end)
    child.stop()
    assert(ok, err)

    -- A restart (the child gone too): the new sidecar finds the child's connection in the store, not the deleted one.
    sidecar.restart()
    wait_for("the restarted sidecar", sidecar.is_ready)
    local listed
    sidecar.request(require("ide_sidecar.protocol").methods.listConnections, {}, function(e, result) listed = e or result end)
    wait_for("connections/list", function() return listed ~= nil end)
    local ids = {}
    for _, connection in ipairs(listed.data or {}) do
      table.insert(ids, connection.id)
    end
    eq(ids, { "from-child" }, "what the restarted sidecar holds")
    -- The "no keychain" line was shown once, not again at the restart.
    local keychain_lines = 0
    for _, note in ipairs(notes) do
      if note.message:find("no OS keychain", 1, true) then
        keychain_lines = keychain_lines + 1
      end
    end
    eq(keychain_lines, 1, "the no-keychain line, once")
    vim.cmd("IdeSidecarDelete! from-child")
    wait_for("the child's connection to go", function() return sidecar.get("from-child") == nil end)
  end)

  step("at start a configured connection the store holds with another spec is updated to it, an identical one is left alone; connections loaded from the store say their first outcome in one short line", function()
    -- What an earlier run stored: the configured connection without `ssl = { enabled = false }` (the broker is
    -- plaintext: it fails), and another one whose broker is gone.
    local dead_port = free_port()
    local old_spec = { id = "configured", name = "Configured", type = "DIRECT", kafka_cluster = { bootstrap_servers = "127.0.0.1:" .. port } }
    for _, spec in ipairs({ old_spec, { id = "stored-dead", name = "Stored dead", type = "DIRECT", kafka_cluster = { bootstrap_servers = "127.0.0.1:" .. dead_port, ssl = { enabled = false } } } }) do
      local created
      sidecar.create(spec, function(e) created = e or false end)
      wait_for("creating " .. spec.id, function() return created ~= nil end)
      eq(created, false, "create error")
    end
    -- Their messages said (before the restarts, whose messages are checked below).
    local status = require("ide_sidecar.status")
    wait_for("both checks to end", function()
      return event_for("configured", "DISCONNECTED") ~= nil and event_for("stored-dead", "DISCONNECTED") ~= nil
    end)
    eq({ status.overall(sidecar.get("configured")), status.overall(sidecar.get("stored-dead")) }, { "FAILED", "FAILED" }, "the stored specs fail")
    local configured = { id = "configured", name = "Configured", type = "DIRECT", kafka_cluster = { bootstrap_servers = "127.0.0.1:" .. port, ssl = { enabled = false } } }
    sidecar.setup(vim.tbl_extend("force", setup_options, { connections = { configured } }))
    local real_request = sidecar.request
    local sent = {}
    sidecar.request = function(method, params, callback)
      table.insert(sent, { method = method, params = params })
      return real_request(method, params, callback)
    end
    local function restart_and_check(expect_update)
      sent = {}
      local first_note, first_event = #notes + 1, #events + 1
      sidecar.restart()
      wait_for("the restarted sidecar", sidecar.is_ready)
      local function said(message)
        for index = first_note, #notes do
          if notes[index].message == message then
            return true
          end
        end
        return false
      end
      wait_for("the configured connection's first outcome", function() return said("ide-sidecar: Configured: connected") end)
      wait_for("the stored connection's first outcome", function() return said("ide-sidecar: Stored dead: failed (:IdeSidecarList shows why)") end)
      -- Later events (an UPDATED of a second update, say) have time to come.
      vim.wait(1500)
      local updates, updated_events = 0, 0
      for _, request in ipairs(sent) do
        if request.method == "connections/update" then
          updates = updates + 1
          eq(request.params, { id = "configured", spec = configured }, "the update")
        end
      end
      for index = first_event, #events do
        if events[index].action == "UPDATED" then
          updated_events = updated_events + 1
        end
      end
      eq({ updates, updated_events }, expect_update and { 1, 1 } or { 0, 0 }, "connections/update requests and UPDATED events")
      -- Nothing else was said at start: no "added", no whole error (the list has it), two one-line messages.
      local said_lines = {}
      for index = first_note, #notes do
        table.insert(said_lines, notes[index].message)
      end
      table.sort(said_lines)
      eq(said_lines, { "ide-sidecar: Configured: connected", "ide-sidecar: Stored dead: failed (:IdeSidecarList shows why)" }, "the messages at start")
      eq(sidecar.get("configured").spec.kafka_cluster.ssl, { enabled = false }, "the configured spec in the sidecar")
    end
    local ok, err = pcall(function()
      restart_and_check(true)
      restart_and_check(false)
    end)
    sidecar.request = real_request
    sidecar.setup(setup_options)
    assert(ok, err)
    vim.cmd("IdeSidecarDelete! configured")
    vim.cmd("IdeSidecarDelete! stored-dead")
    wait_for("both to go", function() return sidecar.get("configured") == nil and sidecar.get("stored-dead") == nil end)
  end)

  step("the README's configured connection with no broker: one short line at start, no hit-enter prompt (real screen)", function()
    local setup_lines = {
      "vim.opt.runtimepath:append(" .. string.format("%q", plugin_dir) .. ")",
      "require('ide_sidecar').setup({ cmd = { " .. string.format("%q", binary) .. ", 'serve' }, connections = {",
      "  { id = 'local', name = 'Local broker', type = 'DIRECT', kafka_cluster = { bootstrap_servers = '127.0.0.1:" .. free_port() .. "', ssl = { enabled = false } } },",
      "  { id = 'second', name = 'Second broker', type = 'DIRECT', kafka_cluster = { bootstrap_servers = '127.0.0.1:" .. free_port() .. "', ssl = { enabled = false } } },",
      "} })",
    }
    local child = child_nvim(setup_lines)
    local ok, err = pcall(function()
      child.wait_screen(" broker: ")
      -- Both checks end (a refused connection fails at once) and their messages are drawn.
      vim.wait(1500)
      local mode = child.mode()
      assert(mode.mode ~= "r" and not mode.blocking, "a prompt at start: " .. vim.inspect(mode) .. "\n" .. child.screen())
      assert(not child.screen():find("Press ENTER", 1, true), "a hit-enter prompt:\n" .. child.screen())
      eq(child.lua("local s = require('ide_sidecar') return { require('ide_sidecar.status').overall(s.get('local')), require('ide_sidecar.status').overall(s.get('second')) }"),
        { "FAILED", "FAILED" }, "both failed")
      local messages = child.lua("return vim.fn.execute('messages')")
      contains(messages, "ide-sidecar: Local broker: failed (:IdeSidecarList shows why)", "the short line")
      contains(messages, "ide-sidecar: Second broker: failed (:IdeSidecarList shows why)", "the other one")
    end)
    child.stop()
    assert(ok, err)
  end)

  step("\"testing…\" shows after choosing in the inputlist, without a hit-enter prompt (real screen)", function()
    -- A port that accepts TCP and never answers: the test takes the whole check timeout.
    local uv = vim.uv or vim.loop
    local server, accepted = uv.new_tcp(), {}
    server:bind("127.0.0.1", 0)
    local silent_port = server:getsockname().port
    server:listen(16, function()
      local client = uv.new_tcp()
      server:accept(client)
      table.insert(accepted, client)
    end)
    local child = child_nvim({
      "vim.opt.runtimepath:append(" .. string.format("%q", plugin_dir) .. ")",
      "require('ide_sidecar').setup({ cmd = { " .. string.format("%q", binary) .. ", 'serve' }, init_options = { check_timeout_seconds = 6 } })",
    })
    local ok, err = pcall(function()
      wait_for("the child's sidecar", function() return child.lua("return require('ide_sidecar').is_ready()") end)
      child.keys(":IdeSidecarAdd\r")
      child.wait_screen("Connection name:")
      child.keys("silent\r")
      child.wait_screen("Bootstrap servers")
      child.keys("127.0.0.1:" .. silent_port .. "\r")
      child.wait_screen("Kafka authentication")
      child.keys("1\r")
      child.wait_screen("Transport security")
      child.keys("3\r")
      child.wait_screen("Schema Registry URL")
      child.keys("\r")
      child.wait_screen("Test 'silent' before saving?")
      child.keys("1\r")
      child.wait_screen("ide-sidecar: testing 'silent'…", 4000)
      local mode = child.mode()
      assert(mode.mode == "n" and not mode.blocking, "waiting at " .. vim.inspect(mode) .. "\n" .. child.screen())
      assert(not child.screen():find("Press ENTER", 1, true), "a hit-enter prompt:\n" .. child.screen())
    end)
    child.stop()
    server:close()
    for _, client in ipairs(accepted) do
      client:close()
    end
    assert(ok, err)
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

  step("every message the plugin showed starts with 'ide-sidecar: '", function()
    local unprefixed = {}
    for _, note in ipairs(notes) do
      if note.message:sub(1, #"ide-sidecar: ") ~= "ide-sidecar: " then
        table.insert(unprefixed, note.message)
      end
    end
    eq(unprefixed, {}, "messages without the prefix")
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
