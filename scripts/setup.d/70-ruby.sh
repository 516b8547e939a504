#!/usr/bin/env bash
# Ruby and Debian's rubocop for the homebrew platform's tests (tests/homebrew_*.rs):
# `ruby -c` checks the generated formula's syntax, tests/fixtures/homebrew/eval_formula.rb
# evaluates it against a minimal Formula DSL, and `rubocop` lints it. Skips apt entirely
# when both are already installed.
set -euo pipefail
need=()
command -v ruby >/dev/null 2>&1 || need+=(ruby)
command -v rubocop >/dev/null 2>&1 || need+=(rubocop)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Fails loudly when the install did not work.
ruby --version
rubocop --version
