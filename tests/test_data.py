"""nbcheck.data: the toy data sets are deterministic, well-shaped and balanced; the digits, the split
and the MNIST reader keep their contracts (tested on IDX files written here: nothing is downloaded)."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcheck.data import DATASETS, load_digits, load_mnist_idx, make_spiral, mnist_like, train_val_test_split


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(DATASETS)), n=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_shapes_dtypes_balance_and_determinism(name: str, n: int, seed: int) -> None:
    X, y = DATASETS[name](n_per_class=n, seed=seed)
    classes = np.unique(y)
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == 2
    assert y.dtype == np.int64 and y.shape == (X.shape[0],)
    assert np.array_equal(classes, np.arange(len(classes))) and len(classes) >= 2
    assert np.all(np.isfinite(X))
    assert np.all(np.bincount(y) == n)
    X2, y2 = DATASETS[name](n_per_class=n, seed=seed)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spiral_arms(k: int) -> None:
    X, y = make_spiral(n_per_class=100, n_classes=k, seed=1)
    assert X.shape == (100 * k, 2) and np.all(np.bincount(y) == 100)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-12 and radius.min() == 0.0
    assert not np.array_equal(X, make_spiral(n_per_class=100, n_classes=k, seed=2)[0])


# ---- digits, the stratified split, and the MNIST IDX reader ------------------------------------------------

def test_load_digits_at_its_own_size_is_scikit_learns_divided_by_16() -> None:
    from sklearn.datasets import load_digits as sklearn_digits

    X, y = load_digits()
    reference = sklearn_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, reference.data / 16.0)
    np.testing.assert_array_equal(y, reference.target)
    assert X.min() == 0.0 and X.max() == 1.0


def test_load_digits_at_28_resamples_each_image_smoothly() -> None:
    small, y_small = load_digits(8)
    X, y = load_digits(28)
    assert X.shape == (1797, 784) and X.dtype == np.float64
    np.testing.assert_array_equal(y, y_small)
    assert X.min() >= 0.0 and X.max() <= 1.0
    images, originals = X.reshape(-1, 28, 28), small.reshape(-1, 8, 8)
    # Bilinear with aligned corners: the four corner pixels are the originals' corners, and no
    # resampled pixel leaves the range of its image.
    for big_corner, small_corner in [((0, 0), (0, 0)), ((0, 27), (0, 7)), ((27, 0), (7, 0)), ((27, 27), (7, 7))]:
        np.testing.assert_allclose(images[:, big_corner[0], big_corner[1]],
                                   originals[:, small_corner[0], small_corner[1]], atol=1e-12)
    assert np.all(images.max(axis=(1, 2)) <= originals.max(axis=(1, 2)) + 1e-12)
    # Smooth: neighbouring pixels differ by at most one step of the original grid (a jump / 3.5).
    assert np.abs(np.diff(images, axis=2)).max() <= 1.0 / 3.5 + 1e-9
    np.testing.assert_array_equal(X, load_digits(28)[0])


@settings(max_examples=20, deadline=None)
@given(size=st.integers(-5, 100).filter(lambda s: s not in (8, 28)))
def test_load_digits_rejects_other_sizes(size: int) -> None:
    with pytest.raises(ValueError, match="size must be 8 .* or 28"):
        load_digits(size)


@st.composite
def labelled_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 120))
    y = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64)
    width = draw(st.integers(1, 3))
    X = np.c_[np.arange(n, dtype=float), draw(st.floats(-5, 5)) * np.ones((n, width - 1))]  # column 0 names the row
    return X, y


@settings(max_examples=60, deadline=None)
@given(data=labelled_data(), val=st.sampled_from([0.0, 0.1, 0.2, 0.33]), test=st.sampled_from([0.0, 0.15, 0.25, 0.5]),
       seed=st.integers(0, 10**6))
def test_split_is_stratified_disjoint_complete_and_seeded(data: tuple[np.ndarray, np.ndarray], val: float, test: float,
                                                          seed: int) -> None:
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    parts = train_val_test_split(X, y, val=val, test=test, seed=seed)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    rows = np.concatenate([part[0][:, 0] for part in parts]).astype(int)
    assert sorted(rows) == list(range(len(y)))  # every example exactly once
    for (X_part, y_part), fraction in zip(parts[1:], (val, test)):
        assert X_part.dtype == X.dtype and y_part.dtype == y.dtype
        assert X_part.shape == (len(y_part), X.shape[1])
        for label in np.unique(y):
            assert np.sum(y_part == label) == int(np.floor(fraction * np.sum(y == label) + 0.5))
    for X_part, y_part in parts:
        np.testing.assert_array_equal(y_part, y[X_part[:, 0].astype(int)])  # rows keep their labels
    again = train_val_test_split(X, y, val=val, test=test, seed=seed)
    for part, repeat in zip(parts, again):
        np.testing.assert_array_equal(part[0], repeat[0])
        np.testing.assert_array_equal(part[1], repeat[1])


def test_split_with_no_validation_gives_empty_arrays_of_the_right_shape() -> None:
    X, y = make_spiral(n_per_class=20, seed=0)
    (_, y_train), (X_val, y_val), (X_test, y_test) = train_val_test_split(X, y, val=0.0, test=0.25, seed=3)
    assert X_val.shape == (0, 2) and y_val.shape == (0,) and X_val.dtype == np.float64 and y_val.dtype == np.int64
    assert len(y_train) == 45 and len(y_test) == 15 and np.all(np.bincount(y_test) == 5)
    other = train_val_test_split(X, y, val=0.0, test=0.25, seed=4)[2][0]
    assert not np.array_equal(np.sort(X_test, axis=0), np.sort(other, axis=0))


@pytest.mark.parametrize("val, test", [(-0.1, 0.2), (0.2, 1.0), (0.5, 0.5), (0.7, 0.4)])
def test_split_rejects_impossible_fractions(val: float, test: float) -> None:
    X, y = make_spiral(n_per_class=5, seed=0)
    with pytest.raises(ValueError, match="fractions in \\[0, 1\\) with val \\+ test < 1"):
        train_val_test_split(X, y, val=val, test=test)


def test_mnist_like_is_the_chosen_digits_relabelled_in_order() -> None:
    assert "not mnist" in mnist_like.__doc__.lower()
    X_all, y_all = load_digits(28)
    label_of_row = {row.tobytes(): label for row, label in zip(X_all, y_all)}
    X_train, y_train, X_test, y_test = mnist_like()
    assert X_train.shape == (269, 784) and X_test.shape == (90, 784)
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) == set(np.unique(y_test)) == {0, 1}
    for X_part, y_part in [(X_train, y_train), (X_test, y_test)]:
        digits = np.array([label_of_row[row.tobytes()] for row in X_part])
        np.testing.assert_array_equal(digits, np.array([1, 2])[y_part])  # 1 -> 0, 2 -> 1
    assert np.all(np.bincount(y_test) == [46, 44])  # a quarter of the 182 ones and 177 twos
    swapped = mnist_like(digits=(2, 1))
    np.testing.assert_array_equal(np.bincount(swapped[3]), [44, 46])
    X3, y3, _, _ = mnist_like(digits=(3, 8, 5), size=8, test=0.5, seed=1)
    assert X3.shape[1] == 64 and set(np.unique(y3)) == {0, 1, 2}
    np.testing.assert_array_equal(mnist_like()[0], X_train)


@pytest.mark.parametrize("digits", [(1,), (1, 1), (1, 10), (-1, 2)])
def test_mnist_like_rejects_bad_digits(digits: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="distinct digits 0–9"):
        mnist_like(digits=digits)


def write_idx(path: Path, magic: int, dims: tuple[int, ...], payload: bytes, gzipped: bool) -> Path:
    raw = struct.pack(f">{1 + len(dims)}I", magic, *dims) + payload
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    return path


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 12), rows=st.integers(1, 6), cols=st.integers(1, 6), seed=st.integers(0, 10**6),
       images_gz=st.booleans(), labels_gz=st.booleans())
def test_mnist_idx_files_read_back(count: int, rows: int, cols: int, seed: int, images_gz: bool,
                                   labels_gz: bool) -> None:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(count, rows, cols), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        images = write_idx(Path(folder, "images.idx3-ubyte.gz" if images_gz else "images.idx3-ubyte"), 0x803,
                           (count, rows, cols), pixels.tobytes(), images_gz)
        targets = write_idx(Path(folder, "labels.idx1-ubyte"), 0x801, (count,), labels.tobytes(), labels_gz)
        X, y = load_mnist_idx(images, targets)
    assert X.shape == (count, rows * cols) and X.dtype == np.float64
    assert y.shape == (count,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, pixels.reshape(count, rows * cols) / 255.0)
    np.testing.assert_array_equal(y, labels)
    assert X.size == 0 or (X.min() >= 0.0 and X.max() <= 1.0)


@pytest.fixture
def idx_pair(tmp_path: Path) -> tuple[Path, Path]:
    pixels = np.arange(3 * 2 * 2, dtype=np.uint8)
    return (write_idx(tmp_path / "images", 0x803, (3, 2, 2), pixels.tobytes(), gzipped=True),
            write_idx(tmp_path / "labels", 0x801, (3,), bytes([7, 0, 9]), gzipped=False))


def test_mnist_idx_small_pair_reads(idx_pair: tuple[Path, Path]) -> None:
    X, y = load_mnist_idx(*idx_pair)
    np.testing.assert_array_equal(X, np.arange(12).reshape(3, 4) / 255.0)
    np.testing.assert_array_equal(y, [7, 0, 9])


def test_mnist_idx_errors_name_the_file_and_the_problem(idx_pair: tuple[Path, Path], tmp_path: Path) -> None:
    images, labels = idx_pair
    with pytest.raises(ValueError, match=r"labels.*magic number 0x00000801.*0x00000803.*swapped"):
        load_mnist_idx(labels, images)
    truncated = write_idx(tmp_path / "short", 0x803, (3, 2, 2), bytes(11), gzipped=False)
    with pytest.raises(ValueError, match=r"short: truncated: .*3 × 2 × 2 = 12 bytes of images, the file holds 11"):
        load_mnist_idx(truncated, labels)
    overlong = write_idx(tmp_path / "long", 0x801, (3,), bytes(4), gzipped=True)
    with pytest.raises(ValueError, match=r"long: has trailing bytes: .*3 bytes of labels, the file holds 4"):
        load_mnist_idx(images, overlong)
    fewer = write_idx(tmp_path / "two", 0x801, (2,), bytes(2), gzipped=False)
    with pytest.raises(ValueError, match=r"holds 3 images but .*two holds 2 labels"):
        load_mnist_idx(images, fewer)
    not_a_digit = write_idx(tmp_path / "ten", 0x801, (3,), bytes([1, 10, 2]), gzipped=False)
    with pytest.raises(ValueError, match=r"ten: label 10 at position 1 is not a digit"):
        load_mnist_idx(images, not_a_digit)
    header_only = tmp_path / "stub"
    header_only.write_bytes(b"\x00\x00\x08")
    with pytest.raises(ValueError, match=r"stub: 3 bytes is too short for the header of an IDX images file \(16 bytes\)"):
        load_mnist_idx(header_only, labels)
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(images.read_bytes()[:-6])  # cut off the gzip trailer
    with pytest.raises(ValueError, match=r"damaged.gz: looks gzipped but cannot be decompressed"):
        load_mnist_idx(damaged, labels)
