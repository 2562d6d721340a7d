#!/usr/bin/env bash
# The two commands of the README, and a few more. Restore happens inside (locked when CI=true).
#   ./build.sh run [ARGS]   the main job: train MNIST, explain a digit (with ARGS: scratchml ARGS)
#   ./build.sh test [ARGS]  every test; ends with the line "N passed, N failed[, N skipped]"
#   ./build.sh cli ARGS     any scratchml command, e.g. ./build.sh cli diff "x^x" --wrt x
#   ./build.sh docs         render docs/ to HTML (docs/output) with evaluated code
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Quiet on success; on failure the compiler's errors go to stderr.
build() {
  local out
  if ! out=$(dotnet build "$@" -c Release --nologo -v quiet -tl:off -clp:ErrorsOnly 2>&1); then
    echo "$out" >&2; return 1
  fi
}
cli() {
  build src-csharp/ScratchML.Cli/ScratchML.Cli.csproj >&2
  dotnet src-csharp/ScratchML.Cli/bin/Release/net10.0/ScratchML.Cli.dll "$@"
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  run)
    if [ $# -eq 0 ]; then
      # The main job: train the default MLP (784-256-10, Adam) for 5 epochs (5–20 s each; the
      # full default is 10), then explain test digit 0's prediction with LIME into report.html.
      cli train mnist --epochs 5
      cli explain mnist --index 0 --out report.html
    else
      cli "$@"
    fi ;;
  cli) cli "$@" ;;
  test)
    build ScratchML.sln
    dotnet run --no-build -c Release --project tests/ScratchML.Tests -- "$@" ;;
  docs)
    build ScratchML.sln
    dotnet tool restore
    dotnet fsdocs build --eval --clean --noapidocs --properties Configuration=Release --output docs/output ;;
  *) sed -n '2,6p' "$0"; exit 2 ;;
esac
