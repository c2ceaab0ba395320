/**
 * Run by ort-gemm.test.ts in a child process (with SPEECH_SSL_SIMULATE_ORT_VERSION set): initialises
 * wasm on one thread, forwarding the backend's messages to stderr as the CLI does, trains the tiny
 * encoder a few steps and prints {losses, served, description} as one JSON line.
 */
import { initBackend, backendInfo } from '../../src/engine/backend.ts';
import { denseProductsServed } from '../../src/engine/ort-matmul.ts';
import { trainTinyEncoder } from './tiny-training.ts';

await initBackend('wasm', { threads: 1, log: (m) => process.stderr.write(`${m}\n`) });
const { losses } = trainTinyEncoder(4);
process.stdout.write(`${JSON.stringify({ losses, served: denseProductsServed(), description: backendInfo()?.description })}\n`);
