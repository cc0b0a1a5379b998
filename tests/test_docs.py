"""The README documents every CLI command and every hook with its exact signature."""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import shlex
from pathlib import Path

import pytest

from a2i_studio import hookspecs
from a2i_studio.cli import command_usages

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _hooks() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("a2i_")]


@pytest.mark.parametrize("command", sorted(command_usages()))
def test_every_command_usage_is_in_the_readme(command: str) -> None:
    usage = command_usages()[command]
    assert usage in README, f"README's CLI reference lacks the exact usage line:\n    {usage}"


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    function = getattr(hookspecs, hook)
    signature = f"def {hook}{inspect.signature(function)}".replace("'", "")
    assert signature in README, f"README's plugin-author guide lacks:\n    {signature}"
    doc = inspect.getdoc(function) or ""
    assert "Args:" in doc and "Returns:" in doc and ".. versionadded::" in doc


def test_readme_set_up_commands_are_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S)
    install = next(block for block in blocks if "pip install -c constraints.txt" in block)
    for line in install.strip().splitlines():
        for step in line.split(" && "):
            if step.startswith(("python3 -m venv", "pip install", ". .venv")):
                assert step.strip() in ci, f".ci/run does not install as the README says: {step}"
    test_command = next(line for block in blocks for line in block.splitlines() if "-m pytest" in line)
    assert test_command.split(" && ")[-1].strip() in ci


PLUGIN_DOCS = sorted((ROOT / "docs" / "plugins").glob("*.md"))


def test_the_plugin_guide_has_a_page_per_component_kind() -> None:
    names = {path.stem for path in PLUGIN_DOCS}
    assert {"README", "encoder", "adapter", "generator", "trainer", "numpy", "spaces", "weights", "helpers"} <= names


@pytest.mark.parametrize("page", PLUGIN_DOCS, ids=lambda path: path.name)
def test_plugin_guide_links_resolve_and_its_python_parses(page: Path) -> None:
    import ast

    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        ast.parse(block)


# --- Every path and every command the documents show is real ---------------------------------------------------

DOCUMENTS = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/architecture.md")
_TOP_LEVEL = {  # what the repository holds at its root; a code token starting with one of these is a path
    "a2i_studio", "a2i_plugins", "a2i_resources", "docs", "tests", "benchmarks", "packaging", ".ci",
    "README.md", "CONTRIBUTING.md", "CHANGELOG.md", "LICENSE", "constraints.txt", "pyproject.toml",
}
_PLACEHOLDER = re.compile(r"^\[?[A-Z][A-Z0-9_]*(\.[a-z]+)?\]?(\.\.\.)?$")  # AUDIO, IMAGE.png, [settings]


def _text(document: str) -> str:
    return (ROOT / document).read_text(encoding="utf-8")


def _code(text: str) -> list[tuple[str, bool]]:
    """``(text, in_block)`` for each line of a fenced code block and each inline code span, in order."""
    pieces: list[tuple[str, bool]] = []
    for block, inline in re.findall(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", text, flags=re.S):
        pieces.extend((line.strip(), True) for line in block.splitlines()) if block else pieces.append((inline, False))
    return [(piece, in_block) for piece, in_block in pieces if piece]


def _anchors(text: str) -> set[str]:
    """GitHub's ids for the headings of a Markdown text."""
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _repository_paths(document: str, text: str) -> list[tuple[str, Path]]:
    """``(as written, resolved)`` for link targets and relative code tokens (from the document's
    folder, as Markdown reads them), and for code tokens that start at the repository's root (commands run there)."""
    base = (ROOT / document).parent
    links = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", target)]
    paths = [(target, base / target.partition("#")[0]) for target in links]
    for piece, _ in _code(text):
        for token in piece.split():
            token = re.sub(r":[0-9.]+$", "", token.strip("\"'`,;()").split("=")[-1])  # FILE:WEIGHT, key=PATH
            if "<" in token:  # plugins/<family>/: a pattern, not a path
                continue
            if token.startswith("../"):
                paths.append((token, base / token))
            elif token.split("/")[0] in _TOP_LEVEL:
                paths.append((token, ROOT / token))
    return paths


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_path_a_document_names_exists_in_the_repository(document: str) -> None:
    text = _text(document)
    assert "/work/" not in text and "../shared" not in text, f"{document} points outside the repository"
    for written, path in _repository_paths(document, text):
        assert path.resolve().is_relative_to(ROOT), f"{document} names {written}, outside the repository"
        found = any(ROOT.glob(str(path.relative_to(ROOT)))) if "*" in written else path.exists()
        assert found, f"{document} names {written}, which does not exist"
        anchor = written.partition("#")[2]
        if anchor:
            target = text if written.startswith("#") else path.read_text(encoding="utf-8")
            assert anchor in _anchors(target), f"{document} links to {written}, which names no heading"


def _a2i_commands(pieces: list[tuple[str, bool]]) -> list[tuple[str, list[str], bool]]:
    """``(line, argv, in_block)`` of every ``a2i`` command shown; usage lines and syntax with placeholders
    (``a2i train TRAINER --help``, ``a2i train <id>``) are left out.

    Raises:
        AssertionError: On a shell operator other than ``&&``, such as the ``>`` of an unquoted chain id.
    """
    commands = []
    for line, in_block in pieces:
        if "a2i " not in line or "[-h]" in line or re.search(r"<[\w-]+>", line):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        segments: list[list[str]] = [[]]
        for token in lexer:
            if token == "&&":
                segments.append([])
                continue
            assert not token or not set(token) <= set("<>|&;()"), f"unquoted {token!r} in {line!r}: quote chain ids"
            segments[-1].append(token)
        for segment in segments:
            if segment[:1] == ["a2i"] and not any(_PLACEHOLDER.match(token) for token in segment[1:]):
                commands.append((line, segment[1:], in_block))
    return commands


def test_the_readme_shows_commands() -> None:
    argvs = [argv for _, argv, _ in _a2i_commands(_code(README))]
    assert ["generate", "a2i_resources/sounds/rain.wav", "--seed", "1"] in argvs
    assert len(argvs) > 20


def test_an_unquoted_chain_id_is_caught() -> None:
    with pytest.raises(AssertionError, match="unquoted '>'"):
        _a2i_commands([("a2i generate a2i_resources/sounds/rain.wav --chain mfcc>sparkle", True)])


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_a2i_command_a_document_shows_parses_and_its_inputs_exist(document: str) -> None:
    from a2i_studio.cli import build_parser
    from a2i_studio.cli._train import trainer_parser
    from a2i_studio.plugins import PluginManager

    trainers = {trainer.id: trainer for trainer in PluginManager(safe_mode=True).load().registry.trainers}
    made: set[Path] = set()  # folders an earlier command writes (--out)
    for line, argv, in_block in _a2i_commands(_code(_text(document))):
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                args = build_parser().parse_args(argv)
                if args.command == "train":
                    args = trainer_parser(trainers[args.trainer]).parse_args(args.options)
        except SystemExit as stop:
            # Inline, `a2i models extract` names a command; a code block shows a line to run as it is.
            naming = not in_block and "the following arguments are required" in err.getvalue()
            assert stop.code == 0 or naming, f"{document}: {line!r} does not parse: {err.getvalue().strip()}"
            continue
        inputs = [getattr(args, "audio", None), getattr(args, "image", None), *getattr(args, "mix", [])]
        for value in inputs:
            path = value[0] if isinstance(value, tuple) else value
            if isinstance(path, Path):
                assert (ROOT / path).exists(), f"{document}: {line!r} reads {path}, which does not exist"
        for pattern in getattr(args, "inputs", []):  # a2i batch: files, folders or globs
            assert any(ROOT.glob(pattern)), f"{document}: {line!r} reads {pattern}, which matches nothing"
        data = getattr(args, "data", None)
        if isinstance(data, Path):
            assert (ROOT / data).exists() or data in made, f"{document}: {line!r} reads {data}, which no command made"
        if isinstance(getattr(args, "out", None), Path):
            made.add(args.out)


def test_the_scaffolded_plugins_readme_quotes_its_chain(tmp_path: Path) -> None:
    from a2i_studio.cli._scaffold import write_plugin_package

    readme = (write_plugin_package("sparkle", tmp_path) / "README.md").read_text(encoding="utf-8")
    commands = _a2i_commands([(line.strip(), True) for line in readme.splitlines() if line.startswith("    a2i ")])
    [argv] = [argv for _, argv, _ in commands if argv[0] == "generate"]
    assert argv[argv.index("--chain") + 1] == "mfcc>sparkle"


def test_the_apt_line_installs_every_library_the_app_checks() -> None:
    from a2i_studio import system

    [line] = [line for line, _ in _code(README) if line.startswith("sudo apt-get install ")]
    libraries = system.QT_GUI_LIBRARIES + system.XCB_LIBRARIES + system.AUDIO_LIBRARIES
    wanted = dict.fromkeys([*system.SYSTEM_PACKAGES, *(library.apt_package for library in libraries)])
    packages = line.split()[3:]
    assert sorted(packages) == sorted(wanted), "the README's apt-get line and a2i_studio.system disagree"
