#!/usr/bin/env bash
# Dumps the simulator's OpenAPI document and checks it with openapi-spec-validator (a real
# OpenAPI 3.1 validator from PyPI), installed into a cached virtual environment.
#
# Usage: crates/pxcloud-sim/scripts/validate-spec.sh [SPEC_OUT]
# Environment: PXCLOUD_SIM_VENV (default: target/pxcloud-sim-venv), PYTHON (default: python3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
venv="${PXCLOUD_SIM_VENV:-$root/target/pxcloud-sim-venv}"
python="${PYTHON:-python3}"
out="${1:-$root/target/pxcloud-sim-openapi.json}"
validator_version="0.8.5"

if [[ ! -x "$venv/bin/openapi-spec-validator" ]]; then
    echo "validate-spec: installing openapi-spec-validator $validator_version into $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$validator_version"
fi

mkdir -p "$(dirname "$out")"
cargo run --quiet -p pxcloud-sim -- --print-spec >"$out"
echo "validate-spec: wrote $out" >&2

version="$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["openapi"])' "$out")"
if [[ "$version" != 3.1.* ]]; then
    echo "validate-spec: expected OpenAPI 3.1.x, got $version" >&2
    exit 1
fi

# PXCloud repeats operationIds on purpose (two `list_vms`), which the OpenAPI specification
# forbids. So: (1) the original must fail with exactly the known duplicate-id errors and
# nothing else; (2) a copy with the repeated ids made unique must pass every check.
expected_duplicates="list_vms"
validator=("$venv/bin/openapi-spec-validator" --schema 3.1 --validation-errors all)

report="$("${validator[@]}" "$out" 2>&1 || true)"
unexpected="$(grep 'Validation Error' <<<"$report" | grep -v -E "Operation ID '($expected_duplicates)' for '[a-z]+' in '[^']+' is not unique" || true)"
if [[ -n "$unexpected" ]]; then
    echo "$report" >&2
    echo "validate-spec: unexpected validation errors" >&2
    exit 1
fi
for id in $expected_duplicates; do
    if ! grep -q "Operation ID '$id'" <<<"$report"; then
        echo "validate-spec: expected the duplicate operationId '$id' to be reported" >&2
        exit 1
    fi
done
echo "validate-spec: original document: only the intended duplicate operationIds ($expected_duplicates) are reported" >&2

unique="${out%.json}.unique-ids.json"
"$venv/bin/python" - "$out" "$unique" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
seen = {}
for path, item in doc["paths"].items():
    for method, op in item.items():
        if isinstance(op, dict) and "operationId" in op:
            n = seen.get(op["operationId"], 0)
            seen[op["operationId"]] = n + 1
            if n:
                op["operationId"] = f'{op["operationId"]}_{n + 1}'
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
"${validator[@]}" "$unique"
echo "validate-spec: OK: the document is valid OpenAPI 3.1 apart from the intended duplicate operationIds" >&2
