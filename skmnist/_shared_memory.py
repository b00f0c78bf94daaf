"""NumPy arrays that TensorFlow reads in place, without a copy.

``tf.convert_to_tensor`` copies its argument into memory of TensorFlow's own:
for MNIST's 60,000 x 784 float32 training matrix (188 MB) that is 0.03-0.5 s
of every fit, the most in a fresh process, whose first large tensor is new
memory. DLPack lends the NumPy buffer to TensorFlow instead, which TensorFlow
accepts only if the buffer is aligned to :data:`ALIGNMENT` bytes (Eigen's
alignment for AVX-512; an unaligned one aborts the process) and NumPy exports
only if it is C-contiguous and writeable. :class:`~skmnist.PixelScaler`
writes its output into such a buffer (:func:`aligned_empty`), so the
pipeline's fit hands its images to the training loop without a copy.

Only memory made here is lent: any other array (a user's, a memory-mapped
file, a view of either) is copied as before, so that nothing outside skmnist
can change, or unmap, what a fit is reading.

Only :func:`as_tensor` imports TensorFlow, when called.
"""

import weakref

import numpy as np

__all__ = ["ALIGNMENT", "aligned_empty", "as_tensor", "is_shareable"]

#: Bytes a buffer's address must be a multiple of for TensorFlow to use it in place.
ALIGNMENT = 64

#: The buffers made by aligned_empty that are still alive, by id (arrays are unhashable).
_OUR_BUFFERS = weakref.WeakValueDictionary()


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array whose data starts on an ALIGNMENT boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    _OUR_BUFFERS[id(buffer)] = buffer
    offset = -buffer.ctypes.data % ALIGNMENT
    return buffer[offset : offset + nbytes].view(dtype).reshape(shape)


def is_shareable(array):
    """Whether TensorFlow may read ``array`` in place: memory of :func:`aligned_empty`,
    C-contiguous, writeable, aligned, in native byte order (see the module's notes)."""
    if type(array) is not np.ndarray:  # a memmap or another subclass, a list
        return False
    owner = array
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    return (
        _OUR_BUFFERS.get(id(owner)) is owner
        and array.flags.c_contiguous
        and array.flags.writeable
        and array.dtype.isnative
        and array.ctypes.data % ALIGNMENT == 0
    )


def as_tensor(array):
    """A TensorFlow tensor of ``array``'s values, sharing its memory when it can.

    An array that is not shareable is first copied into an aligned one of
    native byte order. The tensor keeps that memory alive.
    """
    from ._keras import tf

    if not is_shareable(array):  # checked before np.asarray, which drops a memmap's type
        array = np.asarray(array)
        if array.size == 0:
            return tf.convert_to_tensor(array)
        copy = aligned_empty(array.shape, array.dtype.newbyteorder("="))
        np.copyto(copy, array)
        array = copy
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
