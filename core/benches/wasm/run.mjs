// Times the wasm build of the pipeline benchmark (see Cargo.toml here) as `native.rs` times the
// native one: one warm-up run, then `rounds` rounds (default 11) of reference, load + plan +
// IDs and load back to back; prints the minimum and the median of each. Usage:
//   cargo build --release --target wasm32-unknown-unknown \
//     --manifest-path core/benches/wasm/Cargo.toml --target-dir target/wasm-bench --lib
//   node core/benches/wasm/run.mjs \
//     target/wasm-bench/wasm32-unknown-unknown/release/buildlab_wasm_bench.wasm [rounds]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const [file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 11);
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const x = instance.exports;
const bytes = x.setup(10000);
const runs = [["reference", x.reference], ["load+plan+ids", x.pipeline], ["load", x.load_only]];
const times = runs.map(() => []);
for (const [, f] of runs) f();
for (let r = 0; r < rounds; r++) {
  runs.forEach(([, f], i) => {
    const s = performance.now();
    f();
    times[i].push(performance.now() - s);
  });
}
console.log(`wasm, 10,000 packages (${(bytes / 1e6).toFixed(1)} MB), ${rounds} rounds:`);
for (const t of times) t.sort((a, b) => a - b);
const [rmin, rmed] = [times[0][0], times[0][rounds >> 1]];
runs.forEach(([name], i) => {
  const [min, med] = [times[i][0], times[i][rounds >> 1]];
  console.log(
    `  ${name.padEnd(14)} min ${min.toFixed(1).padStart(7)} ms (${(min / rmin).toFixed(1).padStart(4)}x ref)` +
      `  median ${med.toFixed(1).padStart(7)} ms (${(med / rmed).toFixed(1).padStart(4)}x ref)`,
  );
});
