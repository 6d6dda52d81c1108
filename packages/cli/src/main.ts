#!/usr/bin/env node
// The `bilinear` program. The command tree (program.ts) takes ≈ 150 ms to load, so what a command
// can start ahead of its work is started before it loads: see early-helper.ts.
import { closeUntakenHelper, startHelperEarly } from './early-helper.js';

startHelperEarly(process.argv.slice(2));
const { runProgram } = await import('./program.js');
process.exitCode = await runProgram(process.argv);
await closeUntakenHelper();
// Dawn (the webgpu backend) installs WebGPU's globals when it loads, and its GPU instance keeps the
// event loop alive after the command is done (dawn.node's documented lifetime): exit explicitly.
if ('GPUDevice' in globalThis) process.exit();
