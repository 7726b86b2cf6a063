"""A folder of images as data (data=images): labels from class subfolders, size, channels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.conftest import options, run_genclust

from genclust.data import build_datamodule
from genclust.data.readers import load_images
from genclust.errors import UserError
from genclust.models.networks import pick_architecture
from genclust.rundir.names import METRICS_FILE

RED, WHITE = (255, 0, 0), (255, 255, 255)


def image(path: Path, colour=WHITE, size=(12, 10), mode: str = "RGB") -> Path:
    """A plain ``colour`` image of ``size`` (width, height), in a format chosen by the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour if mode == "RGB" else colour[0]).save(path)
    return path


def pets(root: Path) -> Path:
    """cat/ (two images, one a level deeper) and dog/ (one), plus files that are not images."""
    image(root / "cat" / "a.png", RED)
    image(root / "cat" / "more" / "b.jpg", WHITE, size=(30, 40))
    image(root / "dog" / "c.bmp", RED, mode="L")
    image(root / "dog" / ".thumbnail.png")  # hidden: not data
    image(root / ".cache" / "d.png")  # a hidden folder is not a class
    (root / "dog" / "notes.txt").write_text("not an image")
    return root


def test_class_subfolders_give_the_labels(tmp_path):
    data = load_images(str(pets(tmp_path / "pets")))
    assert data.x.shape == (3, 3, 32, 32) and data.x.dtype == np.float32
    assert data.label_names == ["cat", "dog"] and data.y.tolist() == [0, 0, 1]
    assert data.image_shape == (3, 32, 32) and data.value_range == "unit"
    assert data.name == "pets"
    np.testing.assert_allclose(data.x[0, :, 5, 5], [1, 0, 0])  # red stays red
    np.testing.assert_allclose(data.x[1], 1.0)  # white, resized from 30x40


def test_a_flat_folder_is_unlabelled_greyscale_of_the_given_size(tmp_path):
    image(tmp_path / "a.png", RED)
    image(tmp_path / "b.tif", WHITE)
    data = load_images(str(tmp_path), size=[8, 12], channels=1)
    assert data.x.shape == (2, 1, 8, 12) and data.y is None and data.n_classes is None
    # Pillow's greyscale: L = (299 R + 587 G + 114 B) / 1000
    np.testing.assert_allclose(data.x[0], round(0.299 * 255) / 255, atol=1 / 255)
    np.testing.assert_allclose(data.x[1], 1.0)


def test_unreadable_images_are_named_together(tmp_path):
    image(tmp_path / "good.png")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("this is not a JPEG")
    whole = image(tmp_path / "cut.png", size=(64, 64)).read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserError) as error:
        load_images(str(tmp_path))
    message = str(error.value)
    assert "3 of 4 images cannot be read" in message and "delete or replace them" in message
    assert all(name in message for name in ("cut.png", "empty.png", "text.jpg"))
    assert "good.png" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"cat/a.png": True, "b.png": True}, r"class subfolders \(cat\) and also 1 image outside"),
        ({"cat/a.png": True, "dog/notes.txt": False}, "the class folder 'dog' holds no images"),
        ({"notes.txt": False}, "holds no images"),
    ],
)
def test_folder_layouts_that_are_refused(tmp_path, layout, message):
    for name, is_image in layout.items():
        if is_image:
            image(tmp_path / name)
        else:
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_text("text")
    with pytest.raises(UserError, match=message):
        load_images(str(tmp_path))


def test_missing_folder_and_missing_path(tmp_path):
    with pytest.raises(UserError, match="data.path: no such folder 'nowhere'"):
        load_images("nowhere")
    with pytest.raises(UserError, match=r"data=images needs data.path=<folder of images>"):
        load_images()


def test_images_of_mnist_size_get_the_conv_net(tmp_path):
    root = str(pets(tmp_path / "pets"))
    datamodule = build_datamodule(options("data", "images", path=root, size=28), seed=0)
    assert datamodule.input_shape == (3, 28, 28) and datamodule.value_range == "unit"
    assert pick_architecture("auto", datamodule.input_shape) == "conv"
    small = build_datamodule(options("data", "images", path=root, size=[8, 8], channels=1), 0)
    assert pick_architecture("auto", small.input_shape) == "mlp"


def test_train_on_a_folder_of_images(tmp_path):
    for label, colour in enumerate([RED, WHITE, (0, 0, 255)]):
        for i in range(8):
            shade = tuple(max(0, c - 10 * i) for c in colour)
            image(tmp_path / "shapes" / f"class_{label}" / f"{i}.png", shade)
    run = tmp_path / "run"
    result = run_genclust(
        "train",
        "data=images",
        "data.path=shapes",  # relative to the working directory
        "data.size=16",
        "model=ae",
        "trainer.max_epochs=1",
        "embed=none",
        "logger=none",
        "cluster/manifold=none",
        f"hydra.run.dir={run}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / METRICS_FILE).read_text())
    assert metrics["n_samples"] == 24 and metrics["n_clusters"] == 3 and "acc" in metrics


def test_a_broken_image_is_one_line_from_the_command_line(tmp_path):
    image(tmp_path / "photos" / "fine.png")
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    result = run_genclust("train", "data=images", "data.path=photos", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("genclust: error:")]
    assert "1 of 2 images cannot be read: broken.jpg" in line
