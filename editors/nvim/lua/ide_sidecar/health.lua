-- :checkhealth ide_sidecar — what the plugin needs, and how the sidecar is doing.
local M = {}

-- vim.health (0.10+) or the older health module (0.7 to 0.9).
local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  local sidecar = require("ide_sidecar")
  local config = sidecar.config()
  start("ide-sidecar")
  if vim.fn.has("nvim-0.7") == 1 then
    ok("Neovim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor) .. " (0.7 or later is needed)")
  else
    error("Neovim 0.7 or later is needed")
  end
  local binary = config.cmd[1]
  if vim.fn.executable(binary) == 1 then
    local version = vim.trim(vim.fn.system({ binary, "--version" }))
    ok("the sidecar binary: " .. vim.fn.exepath(binary) .. (vim.v.shell_error == 0 and (" (" .. version .. ")") or ""))
  else
    error("cannot run '" .. tostring(binary) .. "'", {
      "put ide-sidecar on PATH (cargo install --path . in the ide-sidecar repository)",
      "or set cmd in setup(), such as { '/abs/path/target/debug/ide-sidecar', 'serve' }",
    })
  end
  if sidecar.is_ready() then
    ok("running: " .. sidecar.server_version() .. ", " .. #sidecar.connections() .. " connection(s)")
    local announced = sidecar.announced()
    if announced and type(announced.methods) == "table" then
      info("protocol " .. tostring(announced.protocol_version) .. ", methods: " .. table.concat(announced.methods, ", "))
      -- What the plugin's commands call: a missing one means an older sidecar.
      local have, missing = {}, {}
      for _, method in ipairs(announced.methods) do
        have[method] = true
      end
      for _, method in pairs(require("ide_sidecar.protocol").methods) do
        if not have[method] then
          table.insert(missing, method)
        end
      end
      table.sort(missing)
      if #missing == 0 then
        ok("the sidecar has every method the plugin calls")
      else
        warn("this sidecar lacks " .. table.concat(missing, ", ") .. ": the commands that need them answer \"unknown method\"", { "update ide-sidecar" })
      end
    else
      warn("the sidecar announced no methods (capabilities.experimental.sidecar): it may be too old for this plugin")
    end
    local store = sidecar.store()
    if store and store.keychain then
      ok("shared store: " .. tostring(store.directory) .. ", secrets in the OS keychain")
    elseif store then
      warn("shared store: " .. tostring(store.directory) .. ", no OS keychain: " .. tostring(store.message or "secrets are kept in memory only"), {
        "connections without secrets are still kept and shared; for the rest, run a Secret Service (such as gnome-keyring) in your D-Bus session",
      })
    elseif config.store == false then
      info("shared store: off (store = false in setup()): connections last as long as the sidecar")
    else
      warn("shared store: this sidecar reported none (too old, or init_options.store turned it off)")
    end
  elseif sidecar.problem() then
    warn(sidecar.problem())
  else
    info("not started yet: it starts with the first :IdeSidecar command (or at setup() with autostart)")
  end
  if vim.ui.open and config.open_browser then
    ok("Confluent Cloud sign-in opens the browser with vim.ui.open; the address is also put in register \"")
  else
    info("Confluent Cloud sign-in shows the page's address and puts it in register \" (no vim.ui.open before 0.10)")
  end
end

return M
