"""The paired dataset format: metadata.csv and class folders, their bad cases, and splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2i_studio.datasets import PairedDataset, PairedItem, read_dataset, write_metadata
from a2i_studio.errors import DatasetError


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def _write(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "metadata.csv").write_text(text, encoding="utf-8")
    return root


def test_metadata_rows_resolve_paths_and_keep_empty_cells_empty(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "one.wav")
    _touch(tmp_path / "a" / "one.png")
    _touch(tmp_path / "two.flac")
    _write(tmp_path, 'audio,image,label,prompt\na/one.wav,a/one.png,rain,"rain, heavy"\ntwo.flac,,,\n\n')
    dataset = read_dataset(tmp_path)
    assert list(dataset) == [
        PairedItem(tmp_path / "a" / "one.wav", tmp_path / "a" / "one.png", "rain", "rain, heavy"),
        PairedItem(tmp_path / "two.flac", None, "", ""),
    ]
    assert dataset.labels == ["rain"]


def test_a_header_may_name_only_some_columns(tmp_path: Path) -> None:
    _touch(tmp_path / "p.png")
    dataset = read_dataset(_write(tmp_path, "image,label,extra\np.png,city,ignored\n"))
    assert dataset[0] == PairedItem(None, tmp_path / "p.png", "city", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("audio,image,label,prompt\nmissing.wav,,x,\n", r"Line 2 of .*metadata.csv names missing.wav, which does not"),
        ("audio,image,label,prompt\na.wav,,x\n", "Line 2 of .*has 3 fields but the header has 4"),
        ("label,prompt\nx,y\n", "names neither an audio nor an image column"),
        ("", "is empty"),
        ("audio,image,label,prompt\n", "has no items"),
    ],
)
def test_bad_metadata_fails_with_one_sentence_naming_the_row(tmp_path: Path, text: str, expected: str) -> None:
    _touch(tmp_path / "a.wav")
    with pytest.raises(DatasetError, match=expected):
        read_dataset(_write(tmp_path, text))


def test_undecodable_metadata_and_missing_folders_are_dataset_errors(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_bytes(b"audio\n\xff\xfe\n")
    with pytest.raises(DatasetError, match="cannot be read"):
        read_dataset(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="has no items"):
        read_dataset(_touch(tmp_path / "empty" / "notes.txt").parent)


def test_class_folders_pair_clips_with_same_stem_images(tmp_path: Path) -> None:
    _touch(tmp_path / "rain" / "b.wav")
    _touch(tmp_path / "rain" / "b.png")
    _touch(tmp_path / "rain" / "a.ogg")
    _touch(tmp_path / "fire" / "c.mp3")
    _touch(tmp_path / "fire" / "readme.txt")
    _touch(tmp_path / ".hidden" / "d.wav")
    dataset = read_dataset(tmp_path)
    assert [(item.audio.name if item.audio else None, item.image, item.label) for item in dataset] == [
        ("c.mp3", None, "fire"),
        ("a.ogg", None, "rain"),
        ("b.wav", tmp_path / "rain" / "b.png", "rain"),
    ]


def test_write_metadata_round_trips_and_refuses_outside_files(tmp_path: Path) -> None:
    items = [
        PairedItem(_touch(tmp_path / "x" / "1.wav"), _touch(tmp_path / "x" / "1.png"), "x", "a, b"),
        PairedItem(_touch(tmp_path / "2.wav"), None, "", ""),
    ]
    write_metadata(tmp_path, items)
    assert (tmp_path / "metadata.csv").read_text(encoding="utf-8").splitlines()[1] == 'x/1.wav,x/1.png,x,"a, b"'
    assert list(read_dataset(tmp_path)) == items
    with pytest.raises(DatasetError, match="lies outside the dataset folder"):
        write_metadata(tmp_path / "x", items)


def _labelled(counts: dict[str, int]) -> PairedDataset:
    items = [
        PairedItem(Path(f"/d/{label}{index}.wav"), None, label)
        for label, count in counts.items()
        for index in range(count)
    ]
    return PairedDataset(Path("/d"), tuple(items))


def test_split_is_deterministic_stratified_and_disjoint() -> None:
    dataset = _labelled({"a": 20, "b": 10})
    train, val, test = dataset.split(seed=3, val=0.1, test=0.2)
    again = dataset.split(seed=3, val=0.1, test=0.2)
    assert (train.items, val.items, test.items) == tuple(part.items for part in again)
    assert [sum(item.label == label for item in val) for label in "ab"] == [2, 1]
    assert [sum(item.label == label for item in test) for label in "ab"] == [4, 2]
    assert len(train) == 21
    assert set(train.items) | set(val.items) | set(test.items) == set(dataset.items)
    assert len(set(train.items) | set(val.items) | set(test.items)) == 30
    assert dataset.split(seed=4, val=0.1, test=0.2)[1].items != val.items


def test_an_empty_split_or_item_without_a_field_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match=r"val split .* would be empty"):
        _labelled({"a": 3, "b": 3}).split(seed=0, val=0.1, test=0.0)
    with pytest.raises(DatasetError, match="must be in"):
        _labelled({"a": 3}).split(seed=0, val=0.6, test=0.5)
    with pytest.raises(DatasetError, match="Item 0 of the dataset of /d has no image"):
        _labelled({"a": 3}).require("audio", "image")


def test_numeric_extra_columns_round_trip_as_attributes(tmp_path: Path) -> None:
    one, two = _touch(tmp_path / "one.wav"), _touch(tmp_path / "two.wav")
    items = [
        PairedItem(one, None, "forest", "", attributes={"intensity": 0.25, "count": 7.0, "pan": -0.5}),
        PairedItem(two, None, "rain", "", attributes={"intensity": 1 / 3}),
    ]
    write_metadata(tmp_path, items)
    header, first, second = (tmp_path / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert header == "audio,image,label,prompt,intensity,count,pan"
    assert first == "one.wav,,forest,,0.25,7,-0.5"
    assert second == "two.wav,,rain,,0.333333,,"  # a missing attribute is an empty cell
    back = list(read_dataset(tmp_path))
    assert back[0].attributes == {"intensity": 0.25, "count": 7.0, "pan": -0.5}
    assert back[1].attributes == {"intensity": pytest.approx(0.333333)}


def test_text_and_non_finite_cells_are_not_attributes(tmp_path: Path) -> None:
    _touch(tmp_path / "p.png")
    dataset = read_dataset(_write(tmp_path, "image,label,note,gain,bad\np.png,city,loud,2.5,nan\n"))
    assert dataset.items[0].attributes == {"gain": 2.5}
