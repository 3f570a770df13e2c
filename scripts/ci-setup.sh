#!/usr/bin/env bash
# CI setup, run by .ci/run before `npm ci`: system packages the tests need beyond npm, from Debian.
#   chromium            test/server/web/browser.test.ts (headless screenshots)
#   fonts-wqy-microhei  a CJK font: legible screenshots, and Chinese text in PDF label sheets (server/labels)
#   poppler-utils       pdftotext / pdfinfo, to read label sheets back in test/server/labels
# Idempotent and quiet: installs only what is missing; does nothing when everything is there.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)

if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

/usr/bin/chromium --version >/dev/null 2>&1 || { echo "ci-setup: /usr/bin/chromium does not run" >&2; exit 1; }
command -v pdftotext >/dev/null 2>&1 || { echo "ci-setup: pdftotext (poppler-utils) is missing" >&2; exit 1; }
