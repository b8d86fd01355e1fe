// Versions reported to clients: Redis's (tools and client libraries check it) and Bunker's own.
export const BUNKER_VERSION = "0.1.0";
export const REDIS_VERSION = "7.0.15";
