// The agent's own version, which plugins' `agent` ranges are checked against (kept equal to package.json by a test).
export const AGENT_VERSION = "0.1.0";
