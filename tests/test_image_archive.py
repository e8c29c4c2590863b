"""The image reader on archives and layouts built here: every format, the merge, and limits."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import time
from pathlib import Path

import pytest
from image_builder import (
    Spec,
    archive_bytes,
    compress,
    device,
    directory,
    docker25_members,
    docker_archive,
    docker_members,
    file,
    hardlink,
    layer,
    multi_platform_members,
    oci_archive,
    oci_members,
    opaque,
    symlink,
    whiteout,
    write_dir,
)

from sigcheck.load.files import LoadError
from sigcheck.load.image import ImageError, Limits, open_images

CONFIG = {
    "Entrypoint": ["/entrypoint.sh"],
    "Cmd": ["serve", "--port", "8080"],
    "StopSignal": "SIGQUIT",
    "WorkingDir": "/app",
    "Env": ["PATH=/usr/bin:/bin", "MODE=prod"],
    "User": "1000:1000",
    "Healthcheck": {"Test": ["CMD", "/bin/true"]},
    "Labels": {"org.example": "yes"},
    "OnBuild": None,
    "Shell": None,
}

BASE = layer(
    directory("bin"),
    file("bin/busybox", b"\x7fELF busybox", 0o755),
    hardlink("bin/sh", "bin/busybox"),
    file("entrypoint.sh", "#!/bin/sh\nexec app\n", 0o755),
    file("etc/os-release", 'ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n'),
    directory("app"),
    file("app/old.conf", "old"),
    file("lib/low.txt", "from the lowest layer"),
)
TOP = layer(file("entrypoint.sh", "#!/bin/sh\napp --serve\n", 0o755), whiteout("app/old.conf"))


def spec(**kwargs: object) -> Spec:
    values: dict[str, object] = {"config": CONFIG, "layers": [BASE, TOP]}
    values.update(kwargs)
    return Spec(**values)  # type: ignore[arg-type]


def write(tmp_path: Path, data: bytes, name: str = "app.tar") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def layouts(tmp_path: Path, image: Spec) -> dict[str, str]:
    """The same image in every layout sigcheck reads."""
    return {
        "docker": write(tmp_path, docker_archive([image]), "docker.tar"),
        "docker25": write(tmp_path, archive_bytes(docker25_members([image])), "docker25.tar"),
        "oci-tar": write(tmp_path, oci_archive([image]), "oci.tar"),
        "oci-nested": write(tmp_path, oci_archive([image], nested=True), "nested.tar"),
        "oci-dir": write_dir(str(tmp_path / "oci-dir"), oci_members([image])),
        "docker-dir": write_dir(str(tmp_path / "docker-dir"), docker_members([image])),
    }


# -- every layout, every compression --------------------------------------------


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_every_layout_gives_the_same_config_and_files(tmp_path: Path, compression: str | None) -> None:
    for kind, path in layouts(tmp_path, spec(compression=compression)).items():
        with open_images(path) as archive:
            [image] = archive.images
            assert image.name == "app:1", kind
            assert image.archive == path
            assert image.platform == "linux/amd64"
            assert image.config.entrypoint == ("/entrypoint.sh",)
            assert image.config.cmd == ("serve", "--port", "8080")
            assert image.config.stop_signal == "SIGQUIT"
            assert image.config.working_dir == "/app"
            assert image.config.env == ("PATH=/usr/bin:/bin", "MODE=prod")
            assert image.config.user == "1000:1000"
            assert image.config.healthcheck == {"Test": ["CMD", "/bin/true"]}
            assert image.config.labels == {"org.example": "yes"}
            assert image.config.shell is None
            assert image.config.on_build == ()
            assert image.raw_config["StopSignal"] == "SIGQUIT"
            assert image.history == ({"created_by": "test"},)
            assert image.digest.startswith("sha256:")
            assert image.config_digest
            files = image.files
            assert files.read_text("/entrypoint.sh") == "#!/bin/sh\napp --serve\n", kind
            assert files.read_text("lib/low.txt") == "from the lowest layer", kind
            assert files.mode("/entrypoint.sh") == stat.S_IFREG | 0o755
            assert not files.exists("/app/old.conf")
            assert files.is_dir("/app")
            assert files.shell_binary() == "/bin/busybox"
            assert files.os_release()["ID"] == "alpine"
            assert files.os_release()["PRETTY_NAME"] == "Alpine Linux v3.20"
            assert files.listdir("/") == ["app", "bin", "entrypoint.sh", "etc", "lib"]
            assert files.glob("/b*") == ["/bin"]
            assert files.glob("lib/*.txt") == ["/lib/low.txt"]
            assert files.shell_name() == "busybox"
            assert image.span("Cmd") == (path, 1, 1, 1, 1, "config.Cmd")


def test_standard_input_is_spooled_and_a_gzipped_archive_is_read(tmp_path: Path) -> None:
    data = docker_archive([spec()])
    with open_images("-", stdin=io.BytesIO(data)) as archive:
        assert archive.images[0].files.read_text("/entrypoint.sh").endswith("app --serve\n")
        assert archive.archive == "-"
    path = write(tmp_path, compress(data, "gzip"), "app.tar.gz")
    with open_images(path) as archive:
        assert archive.images[0].config.stop_signal == "SIGQUIT"
    with open_images("-", stdin=io.BytesIO(compress(data, "zstd"))) as archive:
        assert archive.images[0].name == "app:1"


def test_layers_are_read_only_as_far_down_as_needed(tmp_path: Path) -> None:
    with open_images(write(tmp_path, oci_archive([spec(compression="gzip")]))) as archive:
        files = archive.images[0].files
        assert files.read_text("/entrypoint.sh").startswith("#!")
        assert [layer._indexed for layer in files.layers] == [False, True]
        files.read_text("/lib/low.txt")
        assert [layer._indexed for layer in files.layers] == [True, True]


def test_several_images_in_one_archive(tmp_path: Path) -> None:
    other = spec(tags=["worker:2", "worker:latest"], config={"Cmd": ["work"]})
    for data in (docker_archive([spec(), other]), oci_archive([spec(), other])):
        with open_images(write(tmp_path, data)) as archive:
            assert [i.name for i in archive.images] == ["app:1", "worker:2"]
            assert archive.images[1].config.cmd == ("work",)
            assert archive.images[1].config.entrypoint is None
    # Without a name, an image is named by its digest.
    members = oci_members([spec(), other], annotate=False)
    with open_images(write(tmp_path, archive_bytes(members))) as archive:
        assert [i.name.startswith("sha256:") for i in archive.images] == [True, True]


# -- multi-platform indexes ----------------------------------------------------------


def _platforms(tmp_path: Path, *platforms: tuple[str, str]) -> str:
    specs = [spec(platform=p, config={"Cmd": [p[1]]}) for p in platforms]
    return write(tmp_path, archive_bytes(multi_platform_members(specs)), "multi.tar")


def test_a_multi_platform_index_gives_linux_amd64_or_the_platform_asked(tmp_path: Path) -> None:
    path = _platforms(tmp_path, ("linux", "arm64"), ("linux", "amd64"), ("linux", "s390x"))
    with open_images(path) as archive:
        [image] = archive.images
        assert image.name == "app:multi"
        assert image.config.cmd == ("amd64",)
    for asked, cmd in (("linux/arm64", "arm64"), ("linux/arm64/v8", "arm64"), ("linux/s390x", "s390x")):
        with open_images(path, platform=asked) as archive:
            assert archive.images[0].config.cmd == (cmd,)
            assert archive.images[0].platform == f"linux/{cmd}"


def test_a_multi_platform_index_without_the_platform_is_an_error(tmp_path: Path) -> None:
    path = _platforms(tmp_path, ("linux", "arm64"), ("linux", "s390x"))
    with pytest.raises(ImageError) as caught:
        open_images(path)
    assert str(caught.value).startswith(path + ": no linux/amd64 image")
    assert "linux/arm64/v8, linux/s390x" in str(caught.value)
    with pytest.raises(ImageError, match="no windows/amd64 image"):
        open_images(path, platform="windows/amd64")
    with pytest.raises(ImageError, match="not os/arch"):
        open_images(path, platform="amd64")
    # The only image of an index is taken whatever its platform, unless one is asked for.
    single = _platforms(tmp_path, ("linux", "arm64"))
    with open_images(single) as archive:
        assert archive.images[0].config.cmd == ("arm64",)
    with pytest.raises(ImageError, match="no linux/amd64 image"):
        open_images(single, platform="linux/amd64")


# -- the merge ------------------------------------------------------------------------


def _files_of(tmp_path: Path, *layers: bytes, compression: str | None = None):  # type: ignore[no-untyped-def]
    # A name of its own: a test may keep two open.
    name = f"files-{len(list(tmp_path.iterdir()))}.tar"
    data = oci_archive([spec(layers=list(layers), compression=compression)])
    archive = open_images(write(tmp_path, data, name))
    return archive.images[0].files


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_whiteouts_opaque_directories_and_replacements(tmp_path: Path, compression: str | None) -> None:
    low = layer(file("etc/a", "a"), file("etc/b", "b"), file("opt/x/1", "1"), file("var/d/f", "f"),
                file("srv/keep", "k"), file("gone/f", "f"))
    mid = layer(whiteout("etc/a"), opaque("opt/x"), file("opt/x/2", "2"), file("var/d", "now a file"),
                whiteout("gone"), file("gone/new", "n"))
    top = layer(file("etc/a", "back"), whiteout("srv/keep"))
    files = _files_of(tmp_path, low, mid, top, compression=compression)
    assert files.read_text("/etc/a") == "back"  # deleted in mid, written again on top
    assert files.read_text("/etc/b") == "b"
    assert files.listdir("/opt/x") == ["2"]
    assert not files.exists("/opt/x/1")
    assert files.read_text("/var/d") == "now a file"
    assert not files.exists("/var/d/f")
    assert files.listdir("/var") == ["d"]
    assert not files.is_dir("/var/d")
    assert not files.exists("/srv/keep")
    assert files.listdir("/srv") == []
    assert files.listdir("/gone") == ["new"]
    assert not files.exists("/gone/f")
    assert files.listdir("/etc") == ["a", "b"]
    with pytest.raises(LoadError, match="no such file"):
        files.read_text("/srv/keep")


def test_an_opaque_root_hides_every_lower_layer(tmp_path: Path) -> None:
    files = _files_of(tmp_path, layer(file("etc/a", "a"), file("b", "b")),
                      layer(file(".wh..wh..opq", ""), file("c", "c")))
    assert files.listdir("/") == ["c"]
    assert not files.exists("/etc/a")
    assert not files.exists("/b")


def test_hard_links_within_a_layer_and_to_a_lower_one(tmp_path: Path) -> None:
    low = layer(file("usr/bin/busybox", "#!busybox", 0o755))
    top = layer(file("bin/dash", "dash!", 0o755), hardlink("bin/sh", "bin/dash"),
                hardlink("bin/ash", "usr/bin/busybox"))
    files = _files_of(tmp_path, low, top, compression="gzip")
    assert files.read_text("/bin/sh") == "dash!"
    assert files.shell_binary() == "/bin/dash"
    assert files.read_text("/bin/ash") == "#!busybox"
    assert files.shell_binary("/bin/ash") == "/usr/bin/busybox"
    entry = files.lookup("/bin/sh")
    assert entry is not None
    assert entry.kind == "file"
    assert entry.hardlink
    assert entry.size == 5


def test_symlinks_resolve_inside_the_image_root(tmp_path: Path) -> None:
    files = _files_of(tmp_path, layer(
        directory("usr/bin"),
        file("usr/bin/dash", "dash", 0o755),
        symlink("bin", "usr/bin"),  # merged /usr
        symlink("usr/bin/sh", "dash"),
        symlink("etc/os-release", "../usr/lib/os-release"),
        file("usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        symlink("escape", "../../../../../etc/secret"),
        symlink("abs-escape", "/../../etc/secret"),
        file("etc/secret", "inside"),
        symlink("loop1", "loop2"),
        symlink("loop2", "/loop1"),
        symlink("dangling", "/nowhere"),
    ))
    assert files.shell_binary() == "/usr/bin/dash"
    assert files.shell_name() == "dash"
    assert files.realpath("/bin/sh") == "/usr/bin/dash"
    assert files.os_release() == {"ID": "debian", "VERSION_ID": "12"}
    # A link climbing above / stays at / of the image, never the host's.
    assert files.read_text("/escape") == "inside"
    assert files.read_text("/abs-escape") == "inside"
    assert files.realpath("/escape") == "/etc/secret"
    assert files.lookup("/loop1") is None
    assert not files.exists("/loop1")
    with pytest.raises(LoadError, match="symlink loop"):
        files.realpath("/loop1")
    with pytest.raises(LoadError, match="symlink loop"):
        files.read_text("/loop2")
    link = files.lookup("/bin/sh", follow_symlinks=False)
    assert link is not None
    assert link.kind == "symlink"
    assert link.link == "dash"
    assert files.lookup("/dangling") is None
    assert files.listdir("/bin") == ["dash", "sh"]


def test_long_link_targets_and_long_paths_are_bounded(tmp_path: Path) -> None:
    target = "/".join(["x"] * 2000)
    links = [symlink(f"l{n}", f"/l{n + 1}") for n in range(39)]
    files = _files_of(tmp_path, layer(symlink("long", target), *links, symlink("l39", target),
                                      symlink("huge", "a/" * 3000)))
    assert files.lookup("/long") is None
    assert files.lookup("/l0") is None  # 40 hops, then a 4,000-byte target
    assert files.lookup("/huge") is None  # longer than PATH_MAX: ENAMETOOLONG
    with pytest.raises(LoadError, match="path too long"):
        files.realpath("/" + "d/" * 3000)


def test_resolving_deep_paths_grows_linearly(tmp_path: Path) -> None:
    """Four times deeper costs about four times more CPU, not sixteen (it did: every
    component walked every ancestor in every layer)."""

    def cost(depth: int) -> float:
        deep = "/".join(["d"] * depth)
        files = _files_of(tmp_path, layer(file(f"{deep}/f", "bottom"), symlink("up", deep)),
                          layer(file("other", "")))
        files.read_text("/up/f")  # index the layers first
        started = time.process_time()
        for _ in range(10):
            assert files.read_text("/up/f") == "bottom"
        return time.process_time() - started

    ratio = min(cost(1600) / max(cost(400), 1e-4) for _ in range(3))
    assert ratio < 9, ratio


def test_a_layout_directory_keeps_one_handle_per_blob(tmp_path: Path) -> None:
    root = write_dir(str(tmp_path / "oci"), oci_members([spec(compression="gzip")]))
    with open_images(root, limits=Limits(cache_layer_bytes=0)) as archive:
        files = archive.images[0].files
        files.read_text("/lib/low.txt")
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(200):  # each read decompresses its layer again (no cache)
            assert files.read_text("/lib/low.txt") == "from the lowest layer"
        assert len(os.listdir("/proc/self/fd")) == before


def test_a_copied_shell_is_known_by_its_version_string(tmp_path: Path) -> None:
    files = _files_of(tmp_path, layer(file("bin/sh", b"\x7fELF...GNU bash, version 5.2...", 0o755),
                                      file("bin/other", b"\x7fELF nothing", 0o755)))
    assert files.shell_name() == "bash"
    assert files.shell_name("/bin/other") is None
    assert files.shell_name("/bin/missing") is None


def test_devices_fifos_and_directories_are_not_read(tmp_path: Path) -> None:
    files = _files_of(tmp_path, layer(device("dev/null"), device("dev/fifo", tarfile.FIFOTYPE),
                                      file("big", "x" * 1000), directory("d")))
    entry = files.lookup("/dev/null")
    assert entry is not None
    assert entry.kind == "char"
    assert stat.S_ISCHR(entry.mode)
    with pytest.raises(LoadError, match="not a regular file"):
        files.read_bytes("/dev/null")
    with pytest.raises(LoadError, match="not a regular file"):
        files.read_bytes("/dev/fifo")
    with pytest.raises(LoadError, match="is a directory"):
        files.read_bytes("/d")
    with pytest.raises(LoadError, match="1000 bytes, above the 999-byte limit"):
        files.read_bytes("/big", 999)
    assert files.read_bytes("/big", 1000) == b"x" * 1000


def test_text_is_decoded_as_sigcheck_decodes_files(tmp_path: Path) -> None:
    files = _files_of(tmp_path, layer(file("nul", b"a\x00b"), file("latin", b"caf\xe9"), file("ok", "café")))
    assert files.read_text("/ok") == "café"
    with pytest.raises(LoadError, match="NUL"):
        files.read_text("/nul")
    with pytest.raises(LoadError, match="not valid UTF-8"):
        files.read_text("/latin")


def test_a_config_with_a_wrong_type_is_an_error(tmp_path: Path) -> None:
    for bad in ({"Cmd": "serve"}, {"Entrypoint": [1]}, {"Labels": {"a": 1}}, {"StopSignal": 15}):
        with pytest.raises(ImageError, match="config: "):
            open_images(write(tmp_path, oci_archive([spec(config=bad)])))


# -- hostile archives --------------------------------------------------------------


def _oci_with(tmp_path: Path, change: dict[str, bytes | None], image: Spec | None = None) -> str:
    members = oci_members([image or spec()])
    for name, data in change.items():
        if data is None:
            del members[name]
        else:
            members[name] = data
    return write(tmp_path, archive_bytes(members))


def _blob_names(image: Spec) -> tuple[str, str, list[str]]:
    members = oci_members([image])
    top = json.loads(members["index.json"])["manifests"][0]["digest"][7:]
    manifest = json.loads(members[f"blobs/sha256/{top}"])
    return (f"blobs/sha256/{top}", "blobs/sha256/" + manifest["config"]["digest"][7:],
            ["blobs/sha256/" + layer["digest"][7:] for layer in manifest["layers"]])


def _read_all(path: str, **kwargs: object) -> None:
    with open_images(path, **kwargs) as archive:  # type: ignore[arg-type]
        for image in archive.images:
            image.files.read_text("/lib/low.txt")


def _fails(path: str, match: str, **kwargs: object) -> None:
    """Opening the archive and reading every file fails with one ImageError naming it."""
    with pytest.raises(ImageError) as caught:
        _read_all(path, **kwargs)
    message = str(caught.value)
    assert message.startswith(path + ": ")
    assert "\n" not in message
    assert match in message, message


def test_a_blob_that_does_not_match_its_digest_is_an_error(tmp_path: Path) -> None:
    image = spec(compression="gzip")
    manifest, config, layers = _blob_names(image)
    config_data = oci_members([image])[config]
    _fails(_oci_with(tmp_path, {config: config_data.replace(b"SIGQUIT", b"SIGKILL")}, image),
           "does not match its digest")
    _fails(_oci_with(tmp_path, {manifest: oci_members([image])[manifest] + b" "}, image),
           "bytes, its descriptor")
    _fails(_oci_with(tmp_path, {layers[0]: compress(layer(file("lib/low.txt", "evil")), "gzip")}, image),
           "is ")  # the size differs first
    # Same size as the real blob (zeros after a gzip member are padding), other content.
    original = oci_members([image])[layers[0]]
    spoiled = next(s for s in (compress(BASE.replace(b"lowest layer", word), "gzip")
                               for word in (b"lowest layeR", b"lowest LAYER", b"Lowest layer"))
                   if len(s) <= len(original))
    spoiled += b"\x00" * (len(original) - len(spoiled))
    _fails(_oci_with(tmp_path, {layers[0]: spoiled}, image), "does not match its digest")
    # docker save names the config by its digest.
    members = docker_members([spec()])
    name = next(n for n in members if n.endswith(".json") and n != "manifest.json")
    members[name] = members[name].replace(b"SIGQUIT", b"SIGKILL")
    _fails(write(tmp_path, archive_bytes(members)), "does not match its digest")


def test_missing_blobs_and_documents(tmp_path: Path) -> None:
    manifest, config, layers = _blob_names(spec())
    _fails(_oci_with(tmp_path, {config: None}), "config sha256:")
    _fails(_oci_with(tmp_path, {manifest: None}), "is missing from the archive")
    _fails(_oci_with(tmp_path, {layers[0]: None}), "layer 1 (sha256:")
    _fails(_oci_with(tmp_path, {"index.json": None}), "not an image archive")
    _fails(write(tmp_path, archive_bytes({"hello.txt": b"hi"})), "not an image archive")
    _fails(write(tmp_path, b"just some text, not a tar" * 40), "not a tar archive")
    _fails(write(tmp_path, b""), "not a tar archive")
    _fails(str(tmp_path / "absent.tar"), "cannot open")
    os.mkdir(tmp_path / "empty-dir")
    _fails(str(tmp_path / "empty-dir"), "not an image archive")


def test_traversal_in_members_and_references_is_refused(tmp_path: Path) -> None:
    _fails(write(tmp_path, archive_bytes({"../evil": b"x", **docker_members([spec()])})), "climbs out")
    _fails(write(tmp_path, archive_bytes({"/abs": b"x", **docker_members([spec()])})), "absolute name")
    members = docker_members([spec()])
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Layers"][0] = "../../../etc/passwd"
    members["manifest.json"] = json.dumps(manifest).encode()
    _fails(write(tmp_path, archive_bytes(members)), "climbs out")
    _fails(write_dir(str(tmp_path / "dir"), members), "climbs out")
    manifest[0]["Layers"][0] = "/etc/passwd"
    members["manifest.json"] = json.dumps(manifest).encode()
    _fails(write_dir(str(tmp_path / "dir2"), members), "absolute name")
    # A layer member climbing out, and a symlink in a layout directory leaving it.
    evil = spec(layers=[layer(file("../../outside", "x")), TOP])
    _fails(write(tmp_path, oci_archive([evil])), "climbs out")
    root = write_dir(str(tmp_path / "dir3"), oci_members([spec()]))
    _, config, _ = _blob_names(spec())
    os.remove(os.path.join(root, config))
    (tmp_path / "outside.json").write_bytes(oci_members([spec()])[config])
    os.symlink(str(tmp_path / "outside.json"), os.path.join(root, config))
    _fails(root, "resolves outside the layout")


def test_symlinks_inside_a_tar_archive_stay_inside(tmp_path: Path) -> None:
    members = docker_members([spec()])
    layer_name = json.loads(members["manifest.json"])[0]["Layers"][0]
    data = members.pop(layer_name)
    members["blobs/real"] = data
    # Docker >= 25 links <id>/layer.tar to the blob; a link climbing out stays inside.
    climbing = archive_bytes(members, {layer_name: "../../../../blobs/real"})
    with open_images(write(tmp_path, climbing)) as archive:
        assert archive.images[0].files.read_text("/lib/low.txt") == "from the lowest layer"
    _fails(write(tmp_path, archive_bytes(members, {layer_name: "layer.tar"})), "symlink loop")


def test_compression_bombs_stop_at_the_bound(tmp_path: Path) -> None:
    bomb = layer(file("zeros", b"\x00" * (80 * 1024 * 1024)), file("lib/low.txt", "x"))
    for kind in ("gzip", "zstd"):
        path = write(tmp_path, oci_archive([spec(layers=[bomb], compression=kind)]))
        _fails(path, "a compression bomb", limits=Limits(layer_ratio=20))
        _fails(path, "decompresses to more than 1000000 bytes", limits=Limits(layer_bytes=1_000_000))
    outer = compress(b"\x00" * (80 * 1024 * 1024), "gzip")
    _fails(write(tmp_path, outer), "more than 1000000 bytes", limits=Limits(layer_bytes=1_000_000))
    # On a pipe the size is unknown: the ratio is checked as the output grows.
    with pytest.raises(ImageError, match=r"^-: the gzip archive decompresses to more than 200 times"):
        open_images("-", stdin=io.BytesIO(outer))


def test_member_counts_json_sizes_and_nesting_are_bounded(tmp_path: Path) -> None:
    many = {f"junk/{n}": b"" for n in range(60)}
    _fails(write(tmp_path, archive_bytes({**docker_members([spec()]), **many})), "more than 50 members",
           limits=Limits(archive_members=50))
    crowded = spec(layers=[layer(*(file(f"f{n}", "") for n in range(60))), TOP])
    _fails(write(tmp_path, oci_archive([crowded])), "more than 50 files", limits=Limits(layer_entries=50))
    deep = spec(layers=[layer(file("/".join(["d"] * 60) + "/f", "")), TOP])  # 60 implicit directories
    _fails(write(tmp_path, oci_archive([deep])), "more than 50 files", limits=Limits(layer_entries=50))
    deep = spec(config={"Labels": None, "Healthcheck": json.loads("[" * 70 + "]" * 70)})
    _fails(write(tmp_path, oci_archive([deep])), "nests deeper than 64 levels")
    _fails(write(tmp_path, oci_archive([spec()])), "is larger than 100 bytes", limits=Limits(json_bytes=100))
    _fails(write(tmp_path, oci_archive([spec()], nested=True)), "indexes nest deeper than 0",
           limits=Limits(index_depth=0))
    info = tarfile.TarInfo("x")
    info.pax_headers = {"comment": "y" * 100_000}
    huge = io.BytesIO()
    with tarfile.open(fileobj=huge, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(b""))
    _fails(write(tmp_path, huge.getvalue() + archive_bytes(docker_members([spec()]))), "extended header")


def test_pax_headers_that_would_take_quadratic_time_are_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPython 3.11.7's pax parsing takes ~10 s on 64 KiB of digits (CVE-2024-6232): the
    header is refused before tarfile's own pax parser ever sees it."""
    def never(*args: object) -> None:
        raise AssertionError("tarfile parsed a pax header sigcheck should have refused first")

    monkeypatch.setattr(tarfile.TarInfo, "_proc_pax", never)
    for records in (b"1" * 60_000, b"60014 comment=" + b"7" * 60_000 + b"\n", b"5 no-equals-sign\n"):
        info = tarfile.TarInfo("././@PaxHeader")
        info.type, info.size = tarfile.XHDTYPE, len(records)
        header = info.tobuf(tarfile.USTAR_FORMAT) + records + b"\x00" * (-len(records) % 512)
        for compression in (None, "gzip"):
            data = layer(file("lib/low.txt", "x"))
            evil = spec(layers=[compress(header, None) + data], compression=compression)
            _fails(write(tmp_path, oci_archive([evil])), "refused tar header")
    monkeypatch.undo()
    # A long but well-formed pax header (a long path) is read.
    long_name = "lib/" + "d" * 200 + "/low.txt"
    deep = spec(layers=[layer(file(long_name, "deep"))])
    with open_images(write(tmp_path, oci_archive([deep]))) as archive:
        assert archive.images[0].files.read_text(long_name) == "deep"


def test_truncated_archives_fail_or_read_the_same(tmp_path: Path) -> None:
    """Cut anywhere, an archive is an ImageError, or (cut in the end-of-archive
    padding) reads exactly as before: never a traceback, never other content."""
    for compression in (None, "gzip"):
        data = oci_archive([spec(compression=compression)])
        outcomes = set()
        for cut in range(0, len(data), max(1, len(data) // 97)):
            path = write(tmp_path, data[:cut])
            try:
                with open_images(path) as archive:
                    files = archive.images[0].files
                    got = (files.read_text("/entrypoint.sh"), files.read_text("/lib/low.txt"))
                assert got == ("#!/bin/sh\napp --serve\n", "from the lowest layer")
                outcomes.add("same")
            except ImageError as exc:
                outcomes.add("error" if str(exc).startswith(path + ": ") else f"unnamed: {exc}")
        assert outcomes == {"same", "error"}


def test_a_damaged_member_header_is_an_error_not_a_shorter_archive(tmp_path: Path) -> None:
    data = bytearray(docker_archive([spec()]))
    offset = data.index(b"manifest.json")  # the name field of a header: spoil its checksum
    data[offset + 148 : offset + 156] = b"9999999\x00"
    # manifest.json's header is damaged: tarfile would stop there and say nothing.
    if offset == 0:
        pytest.skip("manifest.json is the first member")
    _fails(write(tmp_path, bytes(data)), "damaged tar header")
