"""``a2i doctor``: what this machine gives a2i-studio, in one screen.

Python, the torch build and the device a run will use, the system libraries
the window and audio load, free space for models, the models found and the
plugins. Every check runs on its own: one that raises is reported as
``failed`` with its reason (the traceback goes to the log file) and the
others still run, so the command answers even on a broken install. It reads
only local files: offline it says the same.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from a2i_studio import __version__, config, system
from a2i_studio.cli._common import log_traceback, print_json
from a2i_studio.errors import A2IError

__all__ = ["Finding", "register", "run_checks"]

Status = Literal["ok", "warning", "failed"]

_LOW_DISK_BYTES = 10 * 10**9
"""Below this, a Stable Diffusion download (about 5 GB each) may not fit next to what is there."""

@dataclass
class Finding:
    """The answer of one check.

    Attributes:
        check: What was checked (``python``, ``torch``, ``window``, ...).
        status: ``ok``; ``warning`` when something will not work until the user acts; ``failed``
            when the check itself could not run.
        summary: One line for people.
        details: The same facts for scripts (``--json``).
    """

    check: str
    status: Status
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``doctor``."""
    doctor = subparsers.add_parser(
        "doctor", help="report Python, torch and its device, system libraries, disk, models and plugins"
    )
    doctor.add_argument("--json", action="store_true", help="print as JSON")
    doctor.set_defaults(func=_run_doctor)


def _run_doctor(args: argparse.Namespace) -> int:
    findings = run_checks(safe_mode=args.safe_mode)
    if args.json:
        print_json({"version": __version__, "checks": [asdict(finding) for finding in findings]})
        return 0
    print(f"a2i-studio {__version__}")
    for finding in findings:
        mark = "" if finding.status == "ok" else f"[{finding.status}] "
        print(f"{finding.check:<8} {mark}{finding.summary}")
    return 0


def run_checks(safe_mode: bool = False) -> list[Finding]:
    """Run every check, each isolated from the others' failures."""
    plugins: dict[str, Any] = {}

    def load_plugins() -> Any:
        if "manager" not in plugins:
            from a2i_studio.plugins import PluginManager

            plugins["manager"] = PluginManager(safe_mode=safe_mode).load()
        return plugins["manager"]

    checks: list[tuple[str, Callable[[], Finding]]] = [
        ("python", _python),
        ("torch", _torch),
        ("window", _window),
        ("audio", _audio),
        ("disk", _disk),
        ("models", lambda: _models(load_plugins())),
        ("plugins", lambda: _plugins(load_plugins())),
    ]
    findings = []
    for name, check in checks:
        try:
            findings.append(check())
        except A2IError as error:
            findings.append(Finding(name, "failed", f"could not be checked: {error}"))
        except Exception as error:  # a check that breaks is a finding, not the end of the report
            log = log_traceback(f"a2i doctor: the {name} check failed")
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            findings.append(Finding(name, "failed", f"could not be checked: {reason} (traceback in {log})"))
    return findings


def _python() -> Finding:
    version = platform.python_version()
    return Finding(
        "python",
        "ok",
        f"{version} ({sys.executable}) on {platform.system()} {platform.machine()}",
        {"version": version, "executable": sys.executable, "platform": sys.platform, "machine": platform.machine()},
    )


def _torch() -> Finding:
    import torch

    from a2i_studio.engine import pick_device

    cuda = torch.version.cuda
    build = f"CUDA {cuda}" if cuda else ("ROCm " + torch.version.hip if torch.version.hip else "CPU-only")
    cuda_available = torch.cuda.is_available()
    gpus = [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())] if cuda_available else []
    mps_available = torch.backends.mps.is_available()
    device = pick_device(None)
    details = {
        "version": torch.__version__,
        "build": build,
        "cuda_available": cuda_available,
        "gpus": gpus,
        "mps_available": mps_available,
        "device": device,
    }
    accelerators = f"CUDA GPUs: {', '.join(gpus)}" if gpus else "no CUDA GPU"
    accelerators += "; MPS available" if mps_available else ""
    summary = f"{torch.__version__}, {build} build; {accelerators}; runs on {device}"
    if cuda and not cuda_available:
        summary += " (a CUDA build with no usable GPU: the CPU-only build is smaller, see README: Installing torch)"
        return Finding("torch", "warning", summary, details)
    return Finding("torch", "ok", summary, details)


def _libraries(check: str, libraries: tuple[system.SharedLibrary, ...], purpose: str) -> Finding:
    if not libraries:
        return Finding(check, "ok", f"{purpose}: nothing to install on {sys.platform}", {"missing": []})
    absent = system.missing(libraries)
    details = {
        "libraries": [library.soname for library in libraries],
        "missing": [library.soname for library in absent],
        "install": system.apt_install_line(absent) if absent else None,
    }
    if absent:
        names = ", ".join(library.soname for library in absent)
        return Finding(check, "warning", f"{purpose}: missing {names}; run '{details['install']}'", details)
    found = f"all {len(libraries)} libraries" if len(libraries) > 1 else libraries[0].soname
    return Finding(check, "ok", f"{purpose}: {found} found", details)


def _window() -> Finding:
    # Every library xcb needs, whatever this shell's DISPLAY: the app may start from another session.
    linux = sys.platform == "linux"
    libraries = system.QT_GUI_LIBRARIES + system.XCB_LIBRARIES if linux else ()
    return _libraries("window", libraries, "Qt's window (xcb)")


def _audio() -> Finding:
    libraries = system.AUDIO_LIBRARIES if sys.platform == "linux" else ()
    return _libraries("audio", libraries, "playback and recording (PortAudio)")


def _disk() -> Finding:
    folder = config.models_dir()
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    free = shutil.disk_usage(existing).free
    details = {"models_dir": str(folder), "free_bytes": free}
    summary = f"{free / 1e9:.1f} GB free for models in {folder}"
    if free < _LOW_DISK_BYTES:
        return Finding("disk", "warning", summary + " (a Stable Diffusion model needs about 5 GB)", details)
    return Finding("disk", "ok", summary, details)


def _models(manager: Any) -> Finding:
    from a2i_studio import weights
    from a2i_studio.cli._models import specs_by_user

    found: dict[str, str] = {}
    missing: list[str] = []
    for name, (spec, _) in specs_by_user(manager.registry).items():
        path = weights.locate(spec)
        if path is None:
            missing.append(name)
        else:
            found[name] = str(path)
    summary = f"{len(found)} of {len(found) + len(missing)} weights found"
    if found:
        summary += f" ({', '.join(found)})"
    summary += "; 'a2i models list' shows where"
    return Finding("models", "ok", summary, {"found": found, "missing": missing})


def _plugins(manager: Any) -> Finding:
    by_status: dict[str, list[str]] = {"active": [], "disabled": [], "failed": []}
    for record in manager.records:
        by_status[record.status].append(record.name)
    details = {**by_status, "errors": {record.name: record.error for record in manager.failed}}
    summary = f"{len(by_status['active'])} active, {len(by_status['failed'])} failed"
    if by_status["disabled"]:
        summary += f", {len(by_status['disabled'])} disabled"
    if by_status["failed"]:
        summary += f" ({', '.join(by_status['failed'])}: 'a2i plugins list' says why)"
        return Finding("plugins", "warning", summary, details)
    return Finding("plugins", "ok", summary, details)
