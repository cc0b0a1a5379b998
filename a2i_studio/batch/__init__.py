"""Batch runs: many clips times many chains, parameter sets and seeds, resumable and split across processes.

Qt-free, at the engine's layer; the CLI (``a2i batch``) and the app's audition
grid both expand jobs with :func:`expand_jobs` and run them with
:func:`run_jobs`. Nothing here imports torch unless a multi-process launch
asks for accelerate.
"""

from __future__ import annotations

from a2i_studio.batch._jobs import BatchClip, BatchJob, ChainRun, expand_jobs, read_inputs
from a2i_studio.batch._report import SheetLayout, report_rows, summarise, write_contact_sheets, write_report
from a2i_studio.batch._run import JobOutcome, Processes, format_eta, run_jobs

__all__ = [
    "BatchClip",
    "BatchJob",
    "ChainRun",
    "JobOutcome",
    "Processes",
    "SheetLayout",
    "expand_jobs",
    "format_eta",
    "read_inputs",
    "report_rows",
    "run_jobs",
    "summarise",
    "write_contact_sheets",
    "write_report",
]
