/** The virtual plant's public entry points (used by the CLI, tests and the benchmark). */
export { simulate, listScenarios, SimulateError, SIM_START } from './simulate.js';
export type { SimulateOptions, SimulateResult, ScenarioListing } from './simulate.js';
