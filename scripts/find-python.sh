#!/usr/bin/env sh
# Print the path of a Python >= 3.12 interpreter, or explain how to get one and fail.
# Order: $PYTHON; python3.12, python3.13 on the PATH; under pyenv ($PYENV_ROOT or ~/.pyenv, with or
# without pyenv on the PATH, as in cron or CI) the newest 3.12.x (the tested version), then newer; python3.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
if [ -n "$PYTHON" ] && ok "$PYTHON"; then command -v "$PYTHON" || echo "$PYTHON"; exit 0; fi
for c in python3.12 python3.13; do
  p=$(command -v "$c" 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
done
# pyenv's versions, found through its folder even when pyenv is not on the PATH (cron, CI)
root=${PYENV_ROOT:-$HOME/.pyenv}
command -v pyenv >/dev/null 2>&1 && root=$(pyenv root)
if [ -d "$root/versions" ]; then
  for v in $(ls "$root/versions" | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -t. -k2,2n -k3,3nr); do
    p="$root/versions/$v/bin/python"
    ok "$p" && { echo "$p"; exit 0; }
  done
fi
p=$(command -v python3 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
echo "error: playbook needs Python 3.12 or newer; install it (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12" >&2
exit 1
