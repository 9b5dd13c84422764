#!/usr/bin/env bash
# npm run test:fuzz: schemathesis (PyPI, the versions tests/fuzz/requirements.txt
# pins, in a virtualenv cached outside the clone) fuzzes every operation of the
# gateway's /openapi.json on a running system of its own (apps 8500-8505,
# servers at their port + 500), as an operator, a customer and an anonymous
# caller (tests/fuzz/fuzz.ts). Exits 1 on any failure; the reports land in
# .dapr/fuzz/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
reserve_test_ports
export PATH="$DAPR_HOME/bin:$ROOT_DIR/node_modules/.bin:$PATH"
say() { printf '[fuzz] %s\n' "$*" >&2; }

bash deploy/scripts/provision.sh

requirements="$ROOT_DIR/tests/fuzz/requirements.txt"
venv="$CACHE_DIR/schemathesis-$(sha256sum "$requirements" | cut -c1-12)"
if [ ! -x "$venv/bin/st" ]; then
  have python3 || need_package python3 python3
  python3 -m venv --help >/dev/null 2>&1 || need_package python3-venv python3-venv
  say "installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" \
    || { rm -rf "$venv"; die "could not install schemathesis from PyPI (tests/fuzz/requirements.txt)"; }
fi

say "building (tsc)"
rm -rf dist && tsc -p tsconfig.json
SCHEMATHESIS="$venv/bin/st" node dist/tests/fuzz/fuzz.js
