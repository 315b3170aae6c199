// Public surface of the error catalogue: the OtaError class, its codes and helpers.
export { OtaError, isOtaError, asOtaError, type OtaErrorOptions } from "./ota-error.js";
export { ERROR_CODES, type OtaErrorCode } from "./codes.js";
