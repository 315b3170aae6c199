// Public surface of the durable record store.
export { FileStateStore, type FileStateStoreOptions } from "./file-state-store.js";
