// Public surface of the simulated Raspberry Pi: import everything from "test/sim/index.js".
export { SimDevice, type SimDeviceOptions, type SimBootResult, type SimCutSpec, type SimAutoboot } from "./sim-device.js";
export { SimPlatform, realClock, type SimPlatformOptions } from "./sim-platform.js";
export { SimPowerCut, SimHalt, isSimStop, simStopOf } from "./sim-errors.js";
export {
  makeSlotImages,
  makeSlotImageFiles,
  parseSystemMarker,
  parseBootMarker,
  type SlotBehaviour,
  type SlotMarker,
  type SlotImageOptions,
  type SlotImages,
} from "./slot-images.js";
export { autobootSettings } from "./firmware.js";
