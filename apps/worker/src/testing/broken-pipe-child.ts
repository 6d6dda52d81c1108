// A forked process that keeps writing to stdout, for the test that closes the reading end: the write
// fails with EPIPE while its parent is still there. The first listener stands in for BullMQ's
// uncaughtException handler in a job process, which reports the error and would carry on.
import { exitWithParent } from '../processors/exit-with-parent.js';

process.on('uncaughtException', () => {});
exitWithParent();
setInterval(() => process.stdout.write('still here\n'), 20);
