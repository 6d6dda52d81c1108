export {
  bfloat16BitsToNumber,
  type DecodableDtype,
  DTYPE_BITS,
  type Dtype,
  float16BitsToNumber,
  isDecodableDtype,
  isDtype,
} from './dtypes.js';
export { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
export {
  type DecodeOptions,
  decodeTensor,
  firstNonFiniteIndex,
  formatShape,
  MAX_HEADER_BYTES,
  multiIndex,
  parseSafetensors,
  readSafetensorsHead,
  readSafetensorsHeader,
  type SafetensorsFile,
  type SafetensorsHeader,
  safetensorsHeaderBytes,
  type TensorInfo,
  tensorBytes,
} from './read.js';
export { type TensorToWrite, type WritableDtype, writeSafetensors } from './write.js';
