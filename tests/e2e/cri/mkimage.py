#!/usr/bin/python3
"""Packs a rootfs directory as a one-layer container image in `docker save` form, for
`ctr images import`: no registry, no image builder.

    mkimage.py ROOTFS OUT.tar NAME:TAG [CMD...]

The archive holds manifest.json, the image config (<sha256>.json) and the layer
(<sha256>/layer.tar, uncompressed). Files go in owned by root, with their modes and symlinks;
CMD (optional) becomes the image's default command.
"""
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

# Go's GOARCH names, which image configs use.
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
        "s390x": "s390x", "riscv64": "riscv64", "i686": "386"}


def as_root(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def layer_tar(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(rootfs)):
            tar.add(os.path.join(rootfs, name), arcname=name, filter=as_root)
    return buf.getvalue()


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rootfs, out, ref, cmd = argv[1], argv[2], argv[3], argv[4:]
    if not os.path.isdir(rootfs):
        print("mkimage: %s is not a directory" % rootfs, file=sys.stderr)
        return 1
    layer = layer_tar(rootfs)
    layer_id = hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": ARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": cmd or ["/bin/sh"],
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_id]},
        "history": [{"created_by": "tests/e2e/cri/mkimage.py " + rootfs}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": [layer_id + "/layer.tar"]}]
    with tarfile.open(out, "w") as tar:
        add_bytes(tar, config_name, config_bytes)
        add_bytes(tar, layer_id + "/layer.tar", layer)
        add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
