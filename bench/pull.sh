#!/usr/bin/env bash
# Pull throughput from a local registry: one image of SIZE_MB (default 256) of random data in
# 4 gzip layers, pushed with skopeo to Debian's docker-registry on 127.0.0.1, then pulled by
# `orch images pull` into an empty store: first download only (`--no-unpack`: download + sha256
# + fsync, layers 3 at a time), then, into another empty store, download and unpack (layers
# decompressed, unpacked, DiffIDs checked, synced), as the kubelet's pulls do.
# Needs docker-registry, skopeo, python3. ORCH_BIN defaults to target/release/orch.
set -euo pipefail
orch=${ORCH_BIN:-target/release/orch}
size_mb=${SIZE_MB:-256}
dir=$(mktemp -d)
reg_pid=
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/storage}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
reg_pid=$!
python3 - "$dir/layout" "$size_mb" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, size_mb = sys.argv[1], int(sys.argv[2])
os.makedirs(out + "/blobs/sha256")
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return "sha256:" + d
layers, diffs = [], []
for i in range(4):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = os.urandom(size_mb * 1024 * 1024 // 4)
        info = tarfile.TarInfo(f"data{i}.bin"); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    gz = gzip.compress(tar, 1)
    diffs.append("sha256:" + hashlib.sha256(tar).hexdigest())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
                  "layers": layers}).encode()
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": put(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
          open(out + "/index.json", "w"))
PY
skopeo copy --quiet --dest-tls-verify=false "oci:$dir/layout:1" "docker://127.0.0.1:$port/bench/big:1"
bytes=$(du -sb "$dir/layout/blobs" | cut -f1)
pull() { # $1: store dir, rest: extra flags; prints seconds
  local start end
  start=$(date +%s.%N)
  "$orch" images -d "$1" --registries-config /nonexistent pull "${@:2}" "127.0.0.1:$port/bench/big:1" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print($end-$start)"
}
t=$(pull "$dir/data" --no-unpack)
python3 -c "b=$bytes; t=$t; print(f'pulled {b/1e6:.0f} MB in {t:.2f} s: {b/1e6/t:.0f} MB/s')"
t=$(pull "$dir/data2")
python3 -c "b=$bytes; t=$t; print(f'pulled and unpacked {b/1e6:.0f} MB in {t:.2f} s: {b/1e6/t:.0f} MB/s')"
