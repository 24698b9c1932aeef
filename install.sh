#!/bin/sh
# orch installer (stub). The full installer (curl | sh, systemd/OpenRC service, agent mode,
# airgap) is tracked in the install issue. For now it builds orch from this checkout and
# installs the binary.
set -eu
bin_dir="${INSTALL_ORCH_BIN_DIR:-/usr/local/bin}"
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${ORCH_BINARY:-}" ]; then
  src="$ORCH_BINARY"
elif [ -f "$here/Cargo.toml" ]; then
  # libseccomp is linked in statically: its archive must be there at build time.
  if [ ! -f /usr/lib/x86_64-linux-gnu/libseccomp.a ] && command -v apt-get >/dev/null 2>&1; then
    echo "[orch] installing libseccomp-dev (build dependency)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libseccomp-dev
  fi
  echo "[orch] building from $here (release)"
  (cd "$here" && cargo build --release --locked)
  src="$here/target/release/orch"
else
  echo "[orch] no binary: set ORCH_BINARY=path or run from a checkout" >&2
  exit 1
fi
install -d "$bin_dir"
install -m 0755 "$src" "$bin_dir/orch"
echo "[orch] installed $bin_dir/orch ($("$bin_dir/orch" version | head -n1))"
