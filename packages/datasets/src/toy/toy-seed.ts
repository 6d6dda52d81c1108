// The toy task's seed, apart from the generator so that the dataset-spec codec can check `toy:<seed>`
// without importing the task it names.

/** The seed of `toy` without one. */
export const TOY_DEFAULT_SEED = 0;
/** Seeds are uint32, MT19937's seed: 0 … TOY_MAX_SEED. */
export const TOY_MAX_SEED = 0xffffffff;
