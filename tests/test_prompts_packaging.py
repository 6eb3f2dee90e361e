"""The prompts ship inside the wheel and are found from any directory; PROMPTS_DIR picks a custom set."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.analysis.prompts import PromptError, load_templates, prompts_root
from tests.fake_openai import _threaded_server, fake_openai, sample_commit, threaded_httpserver, valid  # noqa: F401
from tests.test_analysis_llm import make_analyser

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "prompts"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built offline from a copy of the sources (no build/ left in the checkout)."""
    backend = version("setuptools")
    assert tuple(int(part) for part in backend.split(".")[:3]) >= (77, 0, 1), (
        f"setuptools {backend} cannot build this project: install the dev extras again (make test does it)")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("bot", "prompts"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # --no-build-isolation: the dev extras carry setuptools, so no index is asked for the build backend.
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    return next((work / "dist").glob("commit_radar-*.whl"))


def test_the_wheel_carries_every_module_and_the_prompt_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {path.relative_to(SHIPPED).as_posix(): path.read_bytes()
                   for path in SHIPPED.rglob("*.md")}
        for relative, content in shipped.items():
            assert archive.read(f"bot/prompts/{relative}") == content
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "bot").rglob("*.py")}
    missing = sorted(modules - names)
    assert not missing, f"not in the wheel (add the package to [tool.setuptools] packages): {missing}"


def test_an_installed_wheel_finds_its_prompts_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # a pure-Python wheel unpacked is its installed layout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import json, bot; from bot.analysis.prompts import load_templates, prompts_root; "
            "t = load_templates('v1'); "
            "print(json.dumps([bot.__file__, str(prompts_root()), t.system['en'][:40]]))")
    # The unpacked wheel comes first on sys.path, ahead of the checkout's editable finder.
    run = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    module, root, system = json.loads(run.stdout)
    assert Path(module).is_relative_to(site) and Path(root) == site / "bot" / "prompts"
    assert system == (SHIPPED / "v1" / "system.en.md").read_text(encoding="utf-8")[:40]


def test_the_checkout_uses_the_top_level_folder_people_edit():
    assert prompts_root() == SHIPPED


def custom_set(tmp_path: Path, marker: str = "CUSTOM-SYSTEM-PROMPT") -> Path:
    """A copy of the shipped set whose English system prompt starts with `marker`."""
    root = tmp_path / "my-prompts"
    shutil.copytree(SHIPPED / "v1", root / "v1")
    system = root / "v1" / "system.en.md"
    system.write_text(marker + "\n" + system.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def test_prompts_dir_is_what_the_analyser_sends(store, fake_openai, tmp_path):
    fake_openai.script(valid())
    analyser, _ = make_analyser(store, fake_openai, prompts_dir=custom_set(tmp_path))
    analysis = analyser.analyse(sample_commit(), "en")
    assert analysis.source == "llm"
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert system.startswith("CUSTOM-SYSTEM-PROMPT\n")


def one_line_error(version: str, root: Path) -> str:
    with pytest.raises(PromptError) as caught:
        load_templates(version, root)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_missing_or_empty_prompts_dir_is_one_line_naming_it(tmp_path):
    missing = tmp_path / "no-such-folder"
    message = one_line_error("v1", missing)
    assert "PROMPTS_DIR" in message and str(missing) in message

    empty = tmp_path / "empty"
    empty.mkdir()
    message = one_line_error("v1", empty)
    assert "PROMPTS_DIR" in message and str(empty) in message and "'v1'" in message

    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    assert "PROMPTS_DIR" in one_line_error("v1", a_file)


def test_a_prompts_dir_missing_a_template_names_the_file(tmp_path):
    root = custom_set(tmp_path)
    (root / "v1" / "repair.md").unlink()
    message = one_line_error("v1", root)
    assert "PROMPTS_DIR" in message and "repair.md" in message


@pytest.mark.parametrize("name, text, named", [
    ("user.md", "Commit:\n$commit_data\n", "$boundary"),              # the data would have no fence
    ("user.md", "$boundary\n$commit_data\n$boundary $extra\n", "extra"),  # would fail on the first commit
    ("repair.md", "Costs $5 to fix: $error", "$$"),                   # a stray $ breaks substitution
    ("schema.md", "Schema: (none)", "$schema"),
])
def test_a_template_with_the_wrong_placeholders_is_refused_at_load(tmp_path, name, text, named):
    root = custom_set(tmp_path)
    (root / "v1" / name).write_text(text, encoding="utf-8")
    message = one_line_error("v1", root)
    assert name in message and named in message and "PROMPTS_DIR" in message


def test_a_template_that_is_not_utf8_is_a_prompt_error(tmp_path):
    root = custom_set(tmp_path)
    (root / "v1" / "system.zh.md").write_bytes(b"\xff\xfe bad")
    assert "system.zh.md" in one_line_error("v1", root)
