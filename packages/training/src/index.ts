export * from './backend/select-backend.js';
export * from './checkpoint/index.js';
export * from './language-model/index.js';
export * from './model/network.js';
export * from './model/parameters.js';
export * from './optim/index.js';
export * from './train/run-schedule.js';
export * from './train/trainer.js';
