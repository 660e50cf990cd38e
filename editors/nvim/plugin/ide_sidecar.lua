-- The :IdeSidecar* commands exist from startup, with or without setup(); the sidecar itself starts with the first
-- command that needs it (or at setup() when autostart is on). Loads only the plugin's own Lua modules.
if vim.g.loaded_ide_sidecar then
  return
end
vim.g.loaded_ide_sidecar = 1
require("ide_sidecar.ui").create_commands()
