"""The course's data: toy 2-D sets, an MNIST-shaped digits set, and a reader for real MNIST files.

Every 2-D generator takes an explicit ``seed`` and returns ``(X, y)`` with ``X`` of shape
(N, 2) float64 (rows are examples) and ``y`` of shape (N,) int64 labels in [0, K).
They are generated on the spot, so the course needs no download.

The digits (:func:`load_digits`, :func:`mnist_like`) are scikit-learn's bundled 8×8 images,
optionally resampled to MNIST's 28×28; :func:`load_mnist_idx` reads the real MNIST files when
you have them. :func:`train_val_test_split` makes a stratified, seeded split of any data set.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np


def make_spiral(n_per_class: int = 100, n_classes: int = 3, seed: int = 0,
                noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: the classic data no linear model separates.

    Arm ``k`` has radius r = linspace(0, 1) and angle t = linspace(4k, 4(k+1)) + noise·N(0, 1),
    and its points are (r sin t, r cos t).

    Returns:
        X: (n_per_class · n_classes, 2) float64.
        y: (n_per_class · n_classes,) int64, class k for arm k.
    """
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for k in range(n_classes):
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[k * n_per_class:(k + 1) * n_per_class] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return X, y


def make_xor(n_per_class: int = 100, seed: int = 0, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at (±1, ±1); the label is 1 where the signs differ (XOR).

    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    # Labels alternate around the corners, so any 2n points hold n of each class.
    corners = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=float)
    labels = np.array([0, 1, 0, 1])
    which = np.tile(np.arange(4), -(-2 * n_per_class // 4))[:2 * n_per_class]
    X = 0.5 * corners[which] + noise * rng.standard_normal((2 * n_per_class, 2))
    return X, labels[which].astype(np.int64)


def make_circles(n_per_class: int = 100, seed: int = 0, noise: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 0 (radius ≤ 0.5) inside a ring of class 1 (radius 0.7 to 1).

    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    radius = np.r_[0.5 * np.sqrt(rng.uniform(size=n_per_class)), rng.uniform(0.7, 1.0, size=n_per_class)]
    angle = rng.uniform(0.0, 2.0 * np.pi, size=2 * n_per_class)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + noise * rng.standard_normal((2 * n_per_class, 2))
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)


def make_gaussian_blobs(n_per_class: int = 100, seed: int = 0, separation: float = 2.0,
                        std: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Two isotropic Gaussian classes centred at ±(separation/2, separation/2).

    With the default spread the classes overlap, so no line separates them exactly.
    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    centre = np.full(2, separation / 2.0)
    X = np.r_[centre + std * rng.standard_normal((n_per_class, 2)),
              -centre + std * rng.standard_normal((n_per_class, 2))]
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)


DATASETS = {
    "spiral": make_spiral,
    "xor": make_xor,
    "circles": make_circles,
    "blobs": make_gaussian_blobs,
}


def make_crossed_gaussians(n_per_class: int = 100, seed: int = 0, centre: tuple[float, float] = (1.0, 1.0),
                           long: float = 1.6, short: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes with the same centre, stretched across each other like a plus sign.

    Class 0 ~ N(centre, diag(short², long²)) (tall), class 1 ~ N(centre, diag(long², short²))
    (wide). No line separates them (a linear classifier scores little better than chance), but
    a curved boundary does well: the data set of exercise 2's 2-2-1 network.

    Returns X (2·n_per_class, 2) float64 (class 0 first) and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    spread = np.array([[short, long], [long, short]])
    X = np.asarray(centre) + np.concatenate([spread[k] * rng.standard_normal((n_per_class, 2)) for k in (0, 1)])
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)


# ---- digits: an MNIST-shaped stand-in that ships with scikit-learn, and a reader for real MNIST ----------

DIGITS_SIZES = (8, 28)
IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, columns)
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)


def load_digits(size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """All 1797 handwritten digits bundled with scikit-learn (no download), optionally at MNIST's size.

    The originals are 8×8 images with intensities 0–16; they are divided by 16. With ``size=28``
    each image is resampled to 28×28 by bilinear interpolation (``scipy.ndimage.zoom`` with order 1,
    corners aligned, factor 28/8 along each axis) and clipped to [0, 1]: a smooth upsampling that
    adds pixels but no information, so the 784 inputs still hold only 64 numbers' worth of detail.

    Args:
        size: 8 (the originals) or 28 (MNIST's image size).

    Returns:
        X: (1797, size·size) float64 in [0, 1], one flattened image per row (row-major).
        y: (1797,) int64 labels 0–9.
    """
    if size not in DIGITS_SIZES:
        raise ValueError(f"load_digits: size must be 8 (the original 8×8 images) or 28 (resampled to MNIST's "
                         f"28×28), not {size!r}")
    from scipy.ndimage import zoom  # imported here: scipy and scikit-learn take a second to import
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = digits.images / 16.0  # (1797, 8, 8)
    if size != 8:
        images = np.clip(zoom(images, (1.0, size / 8.0, size / 8.0), order=1), 0.0, 1.0)
    return images.reshape(len(images), size * size).astype(np.float64), digits.target.astype(np.int64)


def train_val_test_split(X: np.ndarray, y: np.ndarray, val: float, test: float, seed: int = 0) -> tuple[
        tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A stratified, seeded split into training, validation and test sets.

    Each class c with n_c examples gives ⌊test·n_c + ½⌋ of them (chosen at random with ``seed``)
    to the test set, ⌊val·n_c + ½⌋ to the validation set, and the rest to the training set, so
    every part keeps the class proportions of ``y`` to within one example per class. Within a
    part the examples are in a seeded random order. The same inputs and seed always give the same
    split; the inputs are not modified.

    Args:
        X: (N, ...) examples; y: (N,) integer labels.
        val, test: fractions in [0, 1) with val + test < 1; a fraction 0 gives an empty part of
            shape (0, ...), with the dtypes of X and y.
        seed: seed of the random choice.

    Returns:
        ((X_train, y_train), (X_val, y_val), (X_test, y_test)), copies of rows of X and y.
    """
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"train_val_test_split: y must be 1-D with one label per row of X; got X {X.shape}, "
                         f"y {y.shape}")
    if not (0.0 <= val < 1.0 and 0.0 <= test < 1.0 and val + test < 1.0):
        raise ValueError(f"train_val_test_split: val and test must be fractions in [0, 1) with val + test < 1, "
                         f"got val={val}, test={test}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]  # train, val, test indices
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test, n_val = (int(np.floor(f * len(members) + 0.5)) for f in (test, val))
        parts[2].append(members[:n_test])
        parts[1].append(members[n_test:n_test + n_val])
        parts[0].append(members[n_test + n_val:])
    chosen = [rng.permutation(np.concatenate(part)) if part else np.empty(0, dtype=np.int64) for part in parts]
    train, validation, testing = ((X[index], y[index]) for index in chosen)
    return train, validation, testing


def mnist_like(digits: tuple[int, ...] = (1, 2), size: int = 28, test: float = 0.25,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A small "MNIST k vs j" task made from scikit-learn's digits. This is NOT MNIST.

    The images are scikit-learn's bundled 8×8 digits (1797 in all, about 180 per class),
    resampled to ``size``×``size`` by :func:`load_digits` (bilinear, so the 784 inputs of the
    default hold the detail of 64 pixels). Real MNIST has 70 000 sharper 28×28 images; use
    :func:`load_mnist_idx` if you have its files. Only the classes in ``digits`` are kept, and
    they are relabelled 0, 1, … in the order given: ``digits=(1, 2)`` maps 1 → 0 and 2 → 1.

    Args:
        digits: two or more distinct digits 0–9.
        size: 8 or 28, as in :func:`load_digits`.
        test: fraction of each class held out for testing (stratified, see
            :func:`train_val_test_split`).
        seed: seed of the split; the same seed gives the same split.

    Returns:
        X_train (n_train, size²), y_train (n_train,), X_test (n_test, size²), y_test (n_test,):
        float64 pixels in [0, 1] and int64 labels in [0, len(digits)).
    """
    chosen = [int(d) for d in digits]
    if len(chosen) < 2 or len(set(chosen)) != len(chosen) or not all(0 <= d <= 9 for d in chosen):
        raise ValueError(f"mnist_like: digits must be two or more distinct digits 0–9, got {digits!r}")
    X, y = load_digits(size)
    keep = np.isin(y, chosen)
    relabel = np.full(10, -1, dtype=np.int64)
    relabel[chosen] = np.arange(len(chosen))
    (X_train, y_train), _, (X_test, y_test) = train_val_test_split(X[keep], relabel[y[keep]], val=0.0, test=test,
                                                                   seed=seed)
    return X_train, y_train, X_test, y_test


def _read_idx(path: str | os.PathLike, magic: int, what: str) -> tuple[tuple[int, ...], np.ndarray]:
    """The dimensions and the flat uint8 data of an IDX file (gzipped or not), checked against its header."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":  # the gzip signature, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: looks gzipped but cannot be decompressed ({error})") from None
    header = 4 * (1 + (magic & 0xFF))  # the magic number's last byte is the number of dimensions
    if len(raw) >= 4 and (found := struct.unpack(">I", raw[:4])[0]) != magic:
        raise ValueError(f"{path}: magic number {found:#010x}, but an IDX {what} file starts with {magic:#010x}"
                         + (" (images and labels swapped?)" if found in (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC) else ""))
    if len(raw) < header:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for the header of an IDX {what} file "
                         f"({header} bytes)")
    dims = struct.unpack(f">{header // 4 - 1}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    data = raw[header:]
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{path}: {problem}: the header promises {' × '.join(map(str, dims))} = {expected} bytes of "
                         f"{what}, the file holds {len(data)}")
    return tuple(dims), np.frombuffer(data, dtype=np.uint8)


def load_mnist_idx(images_path: str | os.PathLike, labels_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read real MNIST (or any MNIST-format data) from its IDX files, gzipped or not.

    The files are the ones MNIST is distributed in, e.g. ``train-images-idx3-ubyte.gz`` and
    ``train-labels-idx1-ubyte.gz``: big-endian headers (magic 0x00000803 then count, rows,
    columns for images; magic 0x00000801 then count for labels) followed by unsigned bytes.
    Gzip is recognised by its signature. The course never downloads them: point this at files
    you have.

    Returns:
        X: (n, rows·cols) float64, the pixel bytes / 255 (so in [0, 1]), one image per row.
        y: (n,) int64 labels 0–9.

    Raises:
        ValueError: naming the file, for a wrong magic number, a truncated or overlong file,
        an undecompressable gzip file, image and label counts that differ, or a label above 9.
    """
    (count, rows, cols), pixels = _read_idx(images_path, IDX_IMAGES_MAGIC, "images")
    (n_labels,), labels = _read_idx(labels_path, IDX_LABELS_MAGIC, "labels")
    if n_labels != count:
        raise ValueError(f"{images_path} holds {count} images but {labels_path} holds {n_labels} labels")
    if np.any(labels > 9):
        first = int(np.argmax(labels > 9))
        raise ValueError(f"{labels_path}: label {int(labels[first])} at position {first} is not a digit 0–9")
    return pixels.reshape(count, rows * cols) / 255.0, labels.astype(np.int64)
