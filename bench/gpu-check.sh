#!/usr/bin/env bash
# The check a machine with a GPU runs, in one command and under ten minutes (each step has its own time limit, and
# all of them together stop at 570 s):
#
#   bench/gpu-check.sh [cuda|vulkan]
#
# It builds llamasteer with the GPU runtime variant (Release, into artifacts/variants/BACKEND-release), synthesizes a
# Llama-3.2-1B-shaped Q4_0 model, and with every layer offloaded runs: info (backends, devices, memory plan), vector
# extraction and a CLAS fit, gpu-compare (top-1 agreement and greedy text against the CPU, without and with steering),
# the bench (plain decode and prefill, static vector, per-sequence plans and CLAS at batch 1 and 8, capture and
# extraction). The report goes to
# bench/results/gpu-check-BACKEND-STAMP.md, each step's output beside it in a folder.
#
# A GPU machine without network or .NET (the H200 this project is sometimes lent: nothing can be fetched there, at
# most 64 MiB travel with the working tree) runs a bundle staged here instead of building:
#
#   bench/gpu-check.sh stage vulkan      # here: .gpu-check/bundle.tar.xz (.NET runtime, Release builds, the Vulkan
#                                        # runtime) and .gl/ (the Vulkan loader's .deb, as the device README says)
#   then there, carrying .gpu-check and .gl:
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bench/gpu-check.sh vulkan
#   (if Vulkan finds no driver there, first: export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json)
#
# The CUDA package (libggml-cuda.so alone is 159 MB) cannot travel within 64 MiB, so on that machine only Vulkan can
# run; a machine with network and the .NET SDK runs `bench/gpu-check.sh cuda` directly.
#
# Environment (for trying the script's plumbing on a machine without a GPU):
#   GPU_LAYERS=-1          layers to offload (0 runs everything on the CPU)
#   MODEL=path.gguf        use this model instead of synthesizing one
#   BUDGET_S=570           seconds for all steps together
#   LAYERS=4-12            layers the vector is extracted on (1-4 for stories260K)
#   SKIP_BUILD=1           use the Release builds already in artifacts/variants/BACKEND-release and gguf-tools/bin
set -uo pipefail
cd "$(dirname "$0")/.."

stage_only=0
if [[ ${1:-} == stage ]]; then stage_only=1; shift; fi
backend=${1:-cuda}
case "$backend" in cuda|vulkan) ;; *) echo "gpu-check: backend must be cuda or vulkan, not '$backend'" >&2; exit 2 ;; esac
bundle=$PWD/.gpu-check/bundle.tar.xz

if (( stage_only )); then
  [[ $backend == vulkan ]] || { echo "gpu-check: only the vulkan variant can be staged: the CUDA package is 181 MB unpacked, over the 64 MiB that travel" >&2; exit 2; }
  set -e
  root=$PWD/artifacts/variants/$backend-release
  dotnet build -c Release src/Steering.Host/Steering.Host.csproj -p:LlamaSteerBackend=$backend -p:LlamaSteerVariantRoot=$root -nologo -v:q
  dotnet build -c Release gguf-tools/GgufTools.csproj -p:LlamaSteerSkipRuntime=true -nologo -v:q
  staging=$(mktemp -d)
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  mkdir -p "$staging/dotnet/shared" "$staging/app" "$staging/gguf-tools"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$staging/dotnet/"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$staging/dotnet/shared/"
  cp -a "$root/bin/Steering.Host/Release/net10.0/." "$staging/app/"
  cp -a gguf-tools/bin/Release/net10.0/. "$staging/gguf-tools/"
  rm -rf "$staging/gguf-tools/native"   # synth quantizes with the app's runtime (LLAMASTEER_NATIVE_DIR)
  mkdir -p .gpu-check
  tar -C "$staging" -cJf "$bundle" dotnet app gguf-tools
  rm -rf "$staging"
  grep -qx '/.gpu-check/' .git/info/exclude 2>/dev/null || echo /.gpu-check/ >> "$(git rev-parse --git-path info/exclude)"
  grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo /.gl/ >> "$(git rev-parse --git-path info/exclude)"
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1)
  echo "gpu-check: staged $(du -h "$bundle" | cut -f1) in $bundle and $(du -sh .gl | cut -f1) in .gl/" >&2
  exit 0
fi
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
prebuilt=0
if [[ -f $bundle ]]; then
  # A staged bundle: its own .NET runtime and builds, nothing to fetch or compile here.
  prebuilt=1
  unpacked=/tmp/gpu-check-bundle
  rm -rf "$unpacked" && mkdir -p "$unpacked" && tar -C "$unpacked" -xJf "$bundle"
  export DOTNET_ROOT=$unpacked/dotnet PATH=$unpacked/dotnet:$PATH LLAMASTEER_NATIVE_DIR=$unpacked/app/native
  llamasteer="dotnet $unpacked/app/llamasteer.dll"
  ggufTools="dotnet $unpacked/gguf-tools/gguf-tools.dll"
fi
failed=0
model=${MODEL:-/tmp/gpu-check-llama-3.2-1b-q4_0.gguf}

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

write_report() {
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
    echo "## gpu-compare (teacher-forced top-1 agreement and greedy text against the CPU)"
    for c in static plan clas; do
      echo
      echo "### $c"
      echo
      echo '```'
      cat "$out/compare-$c.out" 2>/dev/null
      echo '```'
    done
    echo
    echo "## Bench"
    echo
    cat "$out/bench.md" 2>/dev/null || echo "(no bench report)"
  } > "$report"
  echo "gpu-check: wrote $report" >&2
}

echo "| step | result | seconds |" > "$out/steps.md"
echo "| --- | --- | ---: |" >> "$out/steps.md"

(( prebuilt )) || [[ -n ${SKIP_BUILD:-} ]] || step build 300 "dotnet build -c Release src/Steering.Host/Steering.Host.csproj -p:LlamaSteerBackend=$backend -p:LlamaSteerVariantRoot=$variant_root -nologo -v:q && dotnet build -c Release gguf-tools/GgufTools.csproj -nologo -v:q" || { echo "gpu-check: the build failed; see $out/build.err" >&2; write_report; exit 1; }
step gpu 15 "command -v nvidia-smi >/dev/null && nvidia-smi || (command -v vulkaninfo >/dev/null && vulkaninfo --summary) || echo 'neither nvidia-smi nor vulkaninfo is installed'"

if [[ -z "${MODEL:-}" && ! -f "$model" ]]; then
  step synth 150 "$ggufTools synth --preset llama-3.2-1b --type q4_0 -o $model"
fi
common="-m $model --gpu-layers $gpu_layers"
layers=${LAYERS:-4-12}

step info 60 "$llamasteer info $common --vram 8G"
step extract 90 "$llamasteer train --dataset tinystories-happy-sad --layers $layers $common -o $out/happy.gguf --force"
step clas 60 "$llamasteer clas --vector $out/happy.gguf --wanted vectors/datasets/clas/mood-cues.txt --unwanted vectors/datasets/clas/neutral-narration.txt --wanted-positions last $common"
# GPU against CPU in one process, unsteered and steered: llama.cpp's control vector (static), a plan through the
# evaluation callback (--window generated) and CLAS. The CPU side loads with --gpu-layers 0; llama.cpp may still send
# matrix products of 32+ token batches to the GPU (op offload), so its prefill is not guaranteed CPU-only.
step compare-static 75 "$llamasteer gpu-compare $common -n 32 --vector $out/happy.gguf:2"
step compare-plan 75 "$llamasteer gpu-compare $common -n 32 --vector $out/happy.gguf:2 --window generated"
[[ -f $out/happy.clas.gguf ]] && step compare-clas 75 "$llamasteer gpu-compare $common -n 32 --vector $out/happy.gguf:2 --clas"
step bench 240 "$llamasteer bench $common --runs 3 --tokens 32 --samples 8 --batch 8 -o $out/bench"

write_report

echo "gpu-check: wrote $report" >&2
exit $failed
