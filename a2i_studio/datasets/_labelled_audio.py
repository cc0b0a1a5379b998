"""A look at a folder of labelled audio before an adapter is trained on it: rows, captions and problems.

The adapter wizard shows this before anything heavy runs: how many clips in
which labels, the caption each clip will be trained towards (its prompt, or the
template filled with its label), how the validation split falls, and every
problem found, each in one sentence that names the file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from a2i_studio.datasets._folders import METADATA, read_dataset
from a2i_studio.errors import A2IError, DatasetError

__all__ = ["LabelledAudioReport", "LabelledClip", "scan_labelled_audio"]


@dataclass(frozen=True)
class LabelledClip:
    """One usable clip and the caption its adapter target is encoded from."""

    audio: Path
    label: str
    caption: str
    seconds: float


@dataclass
class LabelledAudioReport:
    """What :func:`scan_labelled_audio` found.

    Attributes:
        root: The folder.
        layout: ``metadata.csv`` or ``class folders``.
        clips: The usable clips, in file order.
        blocking: One sentence per problem the trainer would stop at (an unreadable clip, a row with no
            audio or no caption): fix them before training.
        problems: One sentence per problem it can train with (a label too small to validate on, ...).
        train: How many clips the training split gets.
        val: How many the validation split gets.
    """

    root: Path
    layout: str
    clips: list[LabelledClip] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    train: int = 0
    val: int = 0

    @property
    def labels(self) -> Counter[str]:
        """Clips per label."""
        return Counter(clip.label for clip in self.clips)

    @property
    def usable(self) -> bool:
        """Whether an adapter can be trained on it: nothing blocking, and clips in both splits."""
        return not self.blocking and self.train > 0 and self.val > 0

    def summary(self) -> str:
        """One line: clips, labels, layout and the split."""
        if not self.clips:
            return f"No usable clip in {self.root}."
        labels = ", ".join(f"{label or '(no label)'} {count}" for label, count in sorted(self.labels.items()))
        return (
            f"{len(self.clips)} clips from {self.layout} ({labels}); {self.train} to train on, "
            f"{self.val} to validate on."
        )


def scan_labelled_audio(folder: Path, template: str, val_fraction: float, seed: int = 0) -> LabelledAudioReport:
    """Read ``folder`` as a dataset and check each row an adapter would train on.

    Args:
        folder: Class folders (``label/clip.wav``) or a folder with ``metadata.csv``.
        template: The caption of rows without a prompt; ``{label}`` is replaced by the row's label.
        val_fraction: The share of each label held out for validation.
        seed: The split's seed (the trainer's ``seed`` setting).

    Returns:
        The report; a folder that cannot be read at all gives a report with that one problem.
    """
    from a2i_studio import audio

    root = Path(folder).expanduser()
    report = LabelledAudioReport(root, METADATA if (root / METADATA).is_file() else "class folders")
    try:
        dataset = read_dataset(root)
    except DatasetError as error:
        report.blocking.append(str(error))
        return report
    if "{label}" not in template:
        report.problems.append(f"The caption template {template!r} has no {{label}}: every clip without a prompt "
                               "would get the same caption.")
    usable = []
    for index, item in enumerate(dataset):
        where = item.audio.relative_to(dataset.root) if item.audio else f"row {index + 1}"
        if item.audio is None:
            report.blocking.append(f"Row {index + 1} of {METADATA} has no audio; give it one or delete the row.")
            continue
        if not item.prompt and not item.label:
            report.blocking.append(f"{where} has neither a prompt nor a label to caption it with; give it one.")
            continue
        try:
            info = audio.probe(item.audio)
        except A2IError as error:
            report.blocking.append(f"{where} cannot be used ({error}); move it out of the folder.")
            continue
        caption = item.prompt or template.replace("{label}", item.label)
        report.clips.append(LabelledClip(item.audio, item.label, caption, info.duration))
        usable.append(item)
    for label, count in sorted(report.labels.items()):
        if label and round(count * val_fraction) == 0:
            report.problems.append(
                f"Label {label!r} has {count} clip{'s' if count > 1 else ''}: too few to hold one out for "
                f"validation at {val_fraction:.0%}; it is trained on only. Add clips or raise the validation share."
            )
    if usable:
        try:
            train, val, _ = type(dataset)(dataset.root, tuple(usable)).split(seed, val=val_fraction, test=0.0)
        except DatasetError as error:
            report.blocking.append(str(error))
        else:
            report.train, report.val = len(train), len(val)
    return report
