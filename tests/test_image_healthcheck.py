"""HEALTHCHECK maps to one model value from a Dockerfile and from a built image's
`config.Healthcheck`. No rule reads it (a health check does not change who gets the
stop signal), so these tests hold the mapping itself: against the stored shape the
engine documents, and against what buildah really stores when it builds the same
Dockerfile."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from image_builder import Spec, docker_archive, layer
from image_standins import Buildah

from sigcheck.load.dockerfile import parse_dockerfile
from sigcheck.load.image import open_images
from sigcheck.model.healthcheck import Healthcheck, parse_duration
from sigcheck.model.image import build_model
from sigcheck.model.image_files import image_config

S = 10**9
# Dockerfile instruction -> the config.Healthcheck the engine stores for it (moby's
# HealthConfig: Test, durations in ns, Retries; unset values omitted).
CASES: list[tuple[str, dict[str, object]]] = [
    (
        'HEALTHCHECK --interval=1m30s --timeout=5s --start-period=2s --retries=4 CMD ["/bin/check", "-q"]',
        {"Test": ["CMD", "/bin/check", "-q"], "Interval": 90 * S, "Timeout": 5 * S, "StartPeriod": 2 * S,
         "Retries": 4},
    ),
    ("HEALTHCHECK CMD wget -q -O- http://localhost:8080/ || exit 1",
     {"Test": ["CMD-SHELL", "wget -q -O- http://localhost:8080/ || exit 1"]}),
    ("HEALTHCHECK --interval=500ms --start-interval=1.5s CMD [\"true\"]",
     {"Test": ["CMD", "true"], "Interval": S // 2, "StartInterval": 3 * S // 2}),
    ("HEALTHCHECK NONE", {"Test": ["NONE"]}),
]  # fmt: skip


def _from_dockerfile(instruction: str) -> Healthcheck | None:
    model = build_model(parse_dockerfile(f"FROM scratch\n{instruction}\n"), "Dockerfile")
    stage = model.target(None)
    assert stage is not None
    return stage.config.healthcheck


def _from_image(tmp_path: Path, stored: dict[str, object] | None) -> Healthcheck | None:
    config: dict[str, object] = {"Cmd": ["/app"]}
    if stored is not None:
        config["Healthcheck"] = stored
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([Spec(config=config, layers=[layer()])]))
    return _config_of(str(path))


def _config_of(archive: str) -> Healthcheck | None:
    with open_images(archive) as opened:
        (image,) = opened.images
        return image_config(image).healthcheck


def _value(check: Healthcheck | None) -> Healthcheck | None:
    return None if check is None else check._replace(span=None)


@pytest.mark.parametrize(("instruction", "stored"), CASES, ids=[c[0][:40] for c in CASES])
def test_dockerfile_and_image_give_the_same_healthcheck(
    tmp_path: Path, instruction: str, stored: dict[str, object]
) -> None:
    from_dockerfile = _from_dockerfile(instruction)
    assert from_dockerfile is not None
    assert from_dockerfile.test == tuple(stored["Test"])  # type: ignore[arg-type]
    assert _value(from_dockerfile) == _value(_from_image(tmp_path, stored))


def test_spans_say_where_each_was_written(tmp_path: Path) -> None:
    from_dockerfile = _from_dockerfile(CASES[0][0])
    assert from_dockerfile is not None
    assert from_dockerfile.span is not None
    assert from_dockerfile.span.line == 2
    from_image = _from_image(tmp_path, CASES[0][1])
    assert from_image is not None
    assert from_image.span is not None
    assert from_image.span.logical == "config.Healthcheck"


def test_no_healthcheck_and_a_later_stage_inherits_it(tmp_path: Path) -> None:
    assert _from_dockerfile('CMD ["/app"]') is None
    assert _from_image(tmp_path, None) is None
    text = f'FROM scratch AS base\n{CASES[1][0]}\nFROM base\nCMD ["/app"]\n'
    stage = build_model(parse_dockerfile(text), "Dockerfile").target(None)
    assert stage is not None
    assert stage.config.healthcheck is not None
    assert stage.config.healthcheck.test[0] == "CMD-SHELL"


@pytest.mark.parametrize(
    ("text", "ns"), [("0", 0), ("30s", 30 * S), ("1m30s", 90 * S), ("1.5h", 5400 * S), ("250ms", S // 4),
                     ("10us", 10_000), ("s", None), ("5", None), ("-1s", None), ("1s2", None)],
)  # fmt: skip
def test_durations_as_go_parses_them(text: str, ns: int | None) -> None:
    assert parse_duration(text) == ns


@pytest.mark.buildah
def test_buildah_stores_what_the_dockerfile_says(tmp_path: Path) -> None:
    if shutil.which("buildah") is None or os.geteuid() != 0:
        pytest.skip("needs Debian's buildah, as root (vfs storage)")
    buildah = Buildah(tmp_path)
    # Debian's buildah 1.28 predates --start-interval (Docker 25): the other cases only.
    for number, (instruction, _stored) in enumerate(CASES[:2] + CASES[3:]):
        context = tmp_path / f"context{number}"
        context.mkdir()
        (context / "Dockerfile").write_text(f'FROM scratch\n{instruction}\nCMD ["/app"]\n')
        tag = f"localhost/healthcheck:{number}"
        # Only the docker format has a Healthcheck field; OCI configs drop it.
        buildah(
            "bud", "-q", "--format", "docker", "--pull=never", "--network", "none", "-t", tag, str(context)
        )
        archive = tmp_path / f"{number}.tar"
        buildah("push", "-q", tag, f"docker-archive:{archive}:{tag}")
        assert _value(_config_of(str(archive))) == _value(_from_dockerfile(instruction)), instruction


def test_a_duration_past_floats_range_is_refused_not_a_crash() -> None:
    assert parse_duration("9" * 400 + "s") is None
    assert _from_dockerfile("HEALTHCHECK --interval=" + "9" * 400 + "s CMD true") is None
