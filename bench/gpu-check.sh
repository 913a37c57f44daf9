#!/usr/bin/env bash
# The check a machine with a GPU runs, in one command and under ten minutes (each step has its own time limit, and
# all of them together stop at 570 s):
#
#   bench/gpu-check.sh [cuda|vulkan]
#
# It builds llamasteer with the GPU runtime variant (Release, into artifacts/variants/BACKEND-release), synthesizes a
# Llama-3.2-1B-shaped Q4_0 model, and with every layer offloaded runs: info (backends, devices, memory plan), the bench
# (plain decode and prefill, static vector, per-sequence plans and CLAS at batch 1 and 8, capture and extraction),
# vector extraction and a CLAS fit, and greedy generations on the GPU and on the CPU, with and without steering, compared
# as text. The report goes to bench/results/gpu-check-BACKEND-STAMP.md, each step's output beside it in a folder.
#
# Environment (for trying the script's plumbing on a machine without a GPU):
#   GPU_LAYERS=-1          layers to offload (0 runs everything on the CPU)
#   MODEL=path.gguf        use this model instead of synthesizing one
#   BUDGET_S=570           seconds for all steps together
#   LAYERS=4-12            layers the vector is extracted on (1-4 for stories260K)
set -uo pipefail
cd "$(dirname "$0")/.."

backend=${1:-cuda}
case "$backend" in cuda|vulkan) ;; *) echo "gpu-check: backend must be cuda or vulkan, not '$backend'" >&2; exit 2 ;; esac
gpu_layers=${GPU_LAYERS:--1}
budget=${BUDGET_S:-570}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/gpu-check-$backend-$stamp
report=$out.md
mkdir -p "$out"
started=$(date +%s)
variant_root=$PWD/artifacts/variants/$backend-release
llamasteer="dotnet $variant_root/bin/Steering.Host/Release/net10.0/llamasteer.dll"
ggufTools="dotnet gguf-tools/bin/Release/net10.0/gguf-tools.dll"
failed=0

# step NAME LIMIT_S COMMAND...: runs COMMAND with stdout/stderr in $out/NAME.{out,err}, within LIMIT_S and the budget left.
step() {
  local name=$1 limit=$2; shift 2
  local left=$(( budget - ($(date +%s) - started) ))
  (( left < limit )) && limit=$left
  if (( limit <= 0 )); then
    echo "| $name | skipped: no time left | 0 |" >> "$out/steps.md"; failed=1; return 1
  fi
  local t0=$(date +%s)
  echo "gpu-check: $name (at most ${limit} s)" >&2
  timeout "$limit" bash -c "$*" > "$out/$name.out" 2> "$out/$name.err"
  local rc=$?
  local took=$(( $(date +%s) - t0 ))
  local verdict="ok"
  (( rc == 124 )) && verdict="timed out"
  (( rc != 0 && rc != 124 )) && verdict="exit $rc: $(tail -n 1 "$out/$name.err" | cut -c1-160)"
  (( rc != 0 )) && failed=1
  echo "| $name | $verdict | $took |" >> "$out/steps.md"
  return $rc
}

echo "| step | result | seconds |" > "$out/steps.md"
echo "| --- | --- | ---: |" >> "$out/steps.md"

step build 300 "dotnet build -c Release src/Steering.Host/Steering.Host.csproj -p:LlamaSteerBackend=$backend -p:LlamaSteerVariantRoot=$variant_root -nologo -v:q && dotnet build -c Release gguf-tools/GgufTools.csproj -nologo -v:q" || { echo "gpu-check: the build failed; see $out/build.err" >&2; }
step gpu 15 "command -v nvidia-smi >/dev/null && nvidia-smi || (command -v vulkaninfo >/dev/null && vulkaninfo --summary) || echo 'neither nvidia-smi nor vulkaninfo is installed'"

model=${MODEL:-/tmp/gpu-check-llama-3.2-1b-q4_0.gguf}
if [[ -z "${MODEL:-}" && ! -f "$model" ]]; then
  step synth 150 "$ggufTools synth --preset llama-3.2-1b --type q4_0 -o $model"
fi
common="-m $model --gpu-layers $gpu_layers"
layers=${LAYERS:-4-12}

step info 60 "$llamasteer info $common --vram 8G"
step extract 90 "$llamasteer train --dataset tinystories-happy-sad --layers $layers $common -o $out/happy.gguf --force"
step clas 60 "$llamasteer clas --vector $out/happy.gguf --wanted vectors/datasets/clas/mood-cues.txt --unwanted vectors/datasets/clas/neutral-narration.txt --wanted-positions last $common"
step compare 90 "$llamasteer gpu-compare $common -n 48 --vector $out/happy.gguf:2 --window generated"
step bench 240 "$llamasteer bench $common --runs 3 --tokens 32 --samples 8 --batch 8 -o $out/bench"

# Greedy text on the GPU and on the CPU (the same build, --gpu-layers 0), without and with a static vector and a plan.
compare() {
  local name=$1; shift
  step "$name-gpu" 45 "$llamasteer generate $common -p 'Once upon a time' -n 48 --temperature 0 $*" &&
  step "$name-cpu" 45 "$llamasteer generate -m $model --gpu-layers 0 -p 'Once upon a time' -n 48 --temperature 0 $*" || return
  local first
  first=$(cmp "$out/$name-gpu.out" "$out/$name-cpu.out" 2>/dev/null | awk '{print $5}' | tr -d ,)
  if [[ -z "$first" ]] && cmp -s "$out/$name-gpu.out" "$out/$name-cpu.out"; then
    echo "| $name | identical ($(wc -c < "$out/$name-gpu.out") bytes) |" >> "$out/compare.md"
  else
    echo "| $name | differ from byte ${first:-?} of $(wc -c < "$out/$name-cpu.out") |" >> "$out/compare.md"
  fi
}
echo "| generation | GPU against CPU, greedy |" > "$out/compare.md"
echo "| --- | --- |" >> "$out/compare.md"
compare plain
[[ -f $out/happy.gguf ]] && compare vector "--vector $out/happy.gguf:2"
[[ -f $out/happy.gguf ]] && compare plan "--vector $out/happy.gguf:2 --window generated"
[[ -f $out/happy.clas.gguf ]] && compare clas "--vector $out/happy.gguf:2 --clas"

{
  echo "# GPU check: $backend, $(date -u +%Y-%m-%d) $stamp"
  echo
  echo "Model: \`$model\`; --gpu-layers $gpu_layers; $(( $(date +%s) - started )) s in all (budget $budget s)."
  echo
  echo "## Steps"
  echo
  cat "$out/steps.md"
  echo
  echo "## Device"
  echo
  echo '```'
  head -n 30 "$out/gpu.out" 2>/dev/null
  echo '```'
  echo
  echo "## info"
  echo
  echo '```'
  cat "$out/info.out" 2>/dev/null
  echo '```'
  echo
  echo "## GPU against CPU"
  echo
  cat "$out/compare.md"
  echo
  echo "## Bench"
  echo
  cat "$out/bench.md" 2>/dev/null || echo "(no bench report)"
} > "$report"
echo "gpu-check: wrote $report" >&2
exit $failed
