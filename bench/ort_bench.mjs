// Times a model in onnxruntime (CPU provider, one thread, all graph
// optimizations): node ort_bench.mjs SPEC.json, where SPEC is
// {model, inputs: [{name, dtype, shape, file}], min_iters, min_seconds}.
// Prints {"median_ms": ..., "min_ms": ..., "iters": ...} on stdout.
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

const TYPED = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
};
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sess = await ort.InferenceSession.create(spec.model, {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
  executionMode: 'sequential', graphOptimizationLevel: 'all',
});
const feeds = {};
for (const t of spec.inputs) {
  const raw = readFileSync(t.file);
  const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  feeds[t.name] = new ort.Tensor(t.dtype, new TYPED[t.dtype](ab), t.shape);
}
const t0 = process.hrtime.bigint();
let warm = 0;
while (warm < 3 || Number(process.hrtime.bigint() - t0) < 0.2e9) {
  await sess.run(feeds);
  warm++;
}
const one = Number(process.hrtime.bigint() - t0) / 1e6 / warm;
let n = Math.max(spec.min_iters, Math.ceil((spec.min_seconds * 1e3) / one));
n = Math.max(15, Math.min(n, 100000));
const times = [];
for (let i = 0; i < n; i++) {
  const s = process.hrtime.bigint();
  await sess.run(feeds);
  times.push(Number(process.hrtime.bigint() - s) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[n >> 1], min_ms: times[0], iters: n }));
