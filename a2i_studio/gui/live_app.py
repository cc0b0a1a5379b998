"""``a2i live`` with a window: the live output alone, in a process of its own.

The command line checks the session (settings, chain, device, recording) and
runs ``python -m a2i_studio.gui.live_app PLAN`` with the plan as JSON: the
request, the source and the output's settings. This shows the output window
(fullscreen on the chosen screen, or not), runs the session, prints the frame
rate and latency on stderr every second and the summary at the end, and
exits 0, or 1 with one ``error:`` line. Closing the output (``Esc``) stops the
session; a recording is kept.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from a2i_studio.errors import A2IError
from a2i_studio.frames import LiveFrame, LiveRequest, LiveSource, LiveSummary
from a2i_studio.gui.live_output import LiveOutput
from a2i_studio.gui.live_session import LiveSession
from a2i_studio.gui.notices import write_to_log

__all__ = ["main"]

_STATUS_MS = 1000


def main(argv: list[str] | None = None) -> int:
    """Run the plan in ``argv[0]``; returns the exit code."""
    plan: dict[str, Any] = json.loads((sys.argv[1:] if argv is None else argv)[0])
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("a2i-studio")
    output_plan = plan["output"]
    screens = app.screens()
    if not 0 <= output_plan["screen"] < len(screens):
        print(f"error: --screen {output_plan['screen']}: this display has screens 0 to {len(screens) - 1}.",
              file=sys.stderr)
        return 1
    from a2i_studio.plugins import PluginManager

    registry = PluginManager(safe_mode=plan["safe_mode"]).load().registry  # the CLI printed its warnings
    output = LiveOutput(output_plan["filter"], output_plan["crossfade"])
    session = LiveSession()
    code = [0]

    def on_frame(image: Any, _live: LiveFrame) -> None:
        output.set_frame(image)

    def on_status() -> None:
        if session.meter.latencies:
            text = session.meter.describe()
            output.set_status(text)
            print(text, file=sys.stderr, flush=True)

    def on_finished(summary: LiveSummary) -> None:
        for warning in summary.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if plan["json"]:
            recording = None if summary.recording is None else str(summary.recording)
            print(json.dumps({**summary.numbers(), "recording": recording}, indent=2, sort_keys=True))
        else:
            print(summary.describe())
            if summary.recording is not None:
                print(summary.recording)
        app.quit()

    def on_failed(error: BaseException) -> None:
        if isinstance(error, A2IError):
            print(f"error: {error}", file=sys.stderr)
        else:
            path = write_to_log(error, "a2i live")
            print(f"error: unexpected {type(error).__name__}: {error} (a bug; the traceback is in {path}).",
                  file=sys.stderr)
        code[0] = 1
        app.quit()

    session.frame.connect(on_frame)
    session.finished.connect(on_finished)
    session.failed.connect(on_failed)
    output.closed.connect(session.stop)
    status = QTimer()
    status.setInterval(_STATUS_MS)
    status.timeout.connect(on_status)
    status.start()
    output.show_on(screens[output_plan["screen"]], output_plan["fullscreen"])
    session.start(registry, LiveRequest.from_dict(plan["request"]), LiveSource.from_dict(plan["source"]))
    app.exec()
    output.close()
    return code[0]


if __name__ == "__main__":
    sys.exit(main())
