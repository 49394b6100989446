# Sourced by the scripts that need a Python venv of pinned PyPI packages (scripts/parity.sh, scripts/vlm-venv.sh,
# scripts/check-cuda-kernels.sh). `pinned_venv VENV STAMP LABEL SPEC...` makes VENV and pip-installs the SPECs into
# it, unless VENV/.ok-STAMP says an earlier run finished; a half-made venv is removed and made again. Progress goes
# to stderr, so a caller's stdout stays its own.
pinned_venv() {
  local venv=$1 stamp=$2 label=$3
  shift 3
  [ -f "$venv/.ok-$stamp" ] && return 0
  echo "$label: installing $* into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "$@" >&2
  touch "$venv/.ok-$stamp"
}
