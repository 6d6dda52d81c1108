// The MNIST layout, stated once: every bundled digit, and every model or upload said to fit it, is
// 28 × 28 pixels in row-major order and one of 10 classes.

/** [rows, cols] of an MNIST image. */
export const MNIST_IMAGE_SHAPE = [28, 28] as const;
/** Inputs per MNIST image (28 × 28). */
export const MNIST_PIXELS = MNIST_IMAGE_SHAPE[0] * MNIST_IMAGE_SHAPE[1];
/** The digits 0 … 9. */
export const MNIST_CLASSES = 10;

/**
 * How the bundled digits are ordered and split. Base order: the class files 0.json … 9.json concatenated,
 * each in file order (the order the package's own `mnist[d].get(i)` indexes). Then
 * `torch.manual_seed(11); perm = torch.randperm(10000)` (PyTorch's CPU MT19937, reproduced here) picks
 * sample k = base[perm[k]]; train is the first 8 000, test the last 2 000. This is the split the PyTorch
 * fixture torch_mnist_d64 was trained on: it scores 7 762 / 8 000 on train and 1 893 / 2 000 = 0.9465 on test.
 */
export const BUNDLED_MNIST_SPLIT = { total: 10_000, train: 8_000, test: 2_000, torchSeed: 11 } as const;
