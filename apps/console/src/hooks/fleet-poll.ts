/**
 * How often the fleet pages read the inventory and events again. They are not on the watch: the server
 * gathers inventory changes for a moment before writing them, so a few seconds loses nothing.
 */
export const fleetPollMs = 5_000;
