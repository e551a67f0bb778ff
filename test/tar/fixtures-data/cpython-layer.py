# An independent reference for store layers: CPython's tarfile in PAX mode, the library whose
# default output format.md §3 describes. Usage: cpython-layer.py ROOT OUT UID GID UNAME GNAME MTIME PATH...
import os
import stat
import sys
import tarfile

root, out, uid, gid, uname, gname, mtime, *paths = sys.argv[1:]


def info_for(name, disk):
    st = os.lstat(disk)
    info = tarfile.TarInfo(name)
    info.mode = st.st_mode & 0o7777
    info.uid, info.gid, info.uname, info.gname, info.mtime = int(uid), int(gid), uname, gname, int(mtime)
    return st, info


def add(tar, name, disk):
    st, info = info_for(name, disk)
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(disk)
        tar.addfile(info)
    elif stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
        # Sorting the str names (surrogateescape for undecodable bytes) compares code points.
        for child in sorted(os.listdir(disk)):
            add(tar, name + "/" + child, disk + "/" + child)
    else:
        info.type = tarfile.REGTYPE
        info.size = st.st_size
        with open(disk, "rb") as content:
            tar.addfile(info, content)


with open(out, "wb") as target:
    with tarfile.open(fileobj=target, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for top in ("/nix", "/nix/store"):
            info = tarfile.TarInfo(top)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            info.uid, info.gid, info.uname, info.gname, info.mtime = int(uid), int(gid), uname, gname, int(mtime)
            tar.addfile(info)
        for path in paths:
            add(tar, path, root.rstrip("/") + path)
