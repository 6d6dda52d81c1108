export {
  AdamW,
  AdamWError,
  type AdamWErrorCode,
  type AdamWOptions,
  type AdamWState,
  type AdamWStepScalars,
  adamwUpdate,
  type NamedTensor,
  type ParameterGroup,
} from './adamw.js';
export {
  type CosineScheduleOptions,
  constantSchedule,
  cosineSchedule,
  type LearningRateSchedule,
  type LinearScheduleOptions,
  linearSchedule,
  ScheduleError,
} from './schedule.js';
