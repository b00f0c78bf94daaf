"""Write small MNIST-like IDX files, well-formed or not, for the tests."""

import gzip

import numpy as np


def idx_bytes(array, magic=None):
    """IDX encoding of a uint8 array (magic number from its ndim unless given)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 + array.ndim if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def write_mnist(folder, n_train=20, n_test=10, *, compress=True, seed=0):
    """Write the four IDX files of a small MNIST-like set; return its arrays."""
    rng = np.random.RandomState(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.randint(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.randint(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test)[::-1] % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return {name: np.asarray(a, dtype=np.uint8) for name, a in arrays.items()}
