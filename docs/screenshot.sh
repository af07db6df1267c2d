#!/usr/bin/env bash
# Re-make docs/report.jpg, the README's picture of the demo report, with a real browser.
# Needs Debian's chromium (apt-get install chromium) and the project's .venv (make demo).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
.venv/bin/safeconduct demo --out "$out" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$out/.chromium" --window-size=1100,1500 \
    --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
.venv/bin/python - "$out/report.png" docs/report.jpg <<'PY'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").resize((770, 1050)).save(sys.argv[2], quality=72)
PY
rm -rf "$out"
echo "wrote docs/report.jpg"
