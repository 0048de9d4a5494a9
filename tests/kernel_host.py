"""minidl's CUDA kernels run on the CPU, for tests: each kernel's body compiled as C++ by the
host's compiler, in a loop over i that stands in for the GPU's threads, with a CArray that
indexes by strides as CuPy's does. Used by the tests of ``window_kernels`` and
``loss_kernels``, which compare the bodies with the array forms of the same ops; on a GPU
the op tests run the kernels themselves through CuPy.
"""
import ctypes
import shutil
import subprocess

import numpy

COMPILER = shutil.which('g++') or shutil.which('c++') or shutil.which('clang++')

HOST_PRELUDE = """
#include <cmath>
#include <cstddef>
using std::exp; using std::log;                         // float overloads, as CUDA's for a float
template <typename T, int ndim> struct CArray {       // a strided array, as CuPy's CArray
    T* data_; const ptrdiff_t* shape_; const ptrdiff_t* strides_;      // strides in bytes
    const ptrdiff_t* shape() const { return shape_; }
    const ptrdiff_t* strides() const { return strides_; }
    T& at(ptrdiff_t offset) const { return *reinterpret_cast<T*>(reinterpret_cast<char*>(data_) + offset); }
    T& operator[](ptrdiff_t i) const {                 // the i-th element in row-major order
        ptrdiff_t offset = 0;
        for (int d = ndim - 1; d >= 0; --d) { offset += strides_[d] * (i % shape_[d]); i /= shape_[d]; }
        return at(offset);
    }
    template <typename Int> T& operator[](const Int (&index)[ndim]) const {
        ptrdiff_t offset = 0;
        for (int d = 0; d < ndim; ++d) offset += strides_[d] * index[d];
        return at(offset);
    }
};
struct Indexer { ptrdiff_t n; ptrdiff_t size() const { return n; } };
"""

C_TYPES = {'int32': 'int', 'int64': 'long long', 'bool': 'bool', 'float32': 'float', 'float64': 'double'}
SCALARS = {'int32': ctypes.c_int, 'int64': ctypes.c_longlong}
_built = {}


def host_kernel(source, dtype, tmp_path):
    """A callable ``(*args, size=None) -> None`` that runs ``source`` for every element of
    its first plain array (or ``size`` times, where it has none), its arguments in CuPy's
    order: inputs, then outputs; ``raw`` arrays of any strides, plain ones C-contiguous.
    Built as a shared library in tmp_path."""
    params = [p.split() for p in (source.in_params + ', ' + source.out_params).split(',')]
    c_type = C_TYPES[numpy.dtype(dtype).name]

    def run(*args, size=None):
        signature, binds, element_refs, values = [], [], [], []
        for p, arg in zip(params, args):
            type_name, name = p[-2:]
            if not isinstance(arg, numpy.ndarray):     # a number, of a declared type (as in CuPy)
                signature.append(f'{C_TYPES[type_name]} {name}')
                values.append(SCALARS[type_name](arg))
                continue
            elem = C_TYPES[arg.dtype.name]
            if p[0] == 'raw':
                signature.append(f'{elem}* {name}_data, const ptrdiff_t* {name}_shape, const ptrdiff_t* {name}_strides')
                binds.append(f'CArray<{elem}, {arg.ndim}> {name}{{{name}_data, {name}_shape, {name}_strides}};')
                values += [arg.ctypes.data_as(ctypes.c_void_p), (ctypes.c_ssize_t * arg.ndim)(*arg.shape),
                           (ctypes.c_ssize_t * arg.ndim)(*arg.strides)]
            else:                                   # a plain array: element i, as a reference
                assert arg.flags.c_contiguous
                size = arg.size if size is None else size
                signature.append(f'{elem}* {name}_data')
                element_refs.append(f'{elem}& {name} = {name}_data[i];')
                values.append(arg.ctypes.data_as(ctypes.c_void_p))
        code = (HOST_PRELUDE + f'typedef {c_type} T;\nextern "C" void run({", ".join(signature)}, ptrdiff_t n) {{\n'
                + '\n'.join(binds) + '\nIndexer _ind{n};\n'
                + f'for (ptrdiff_t i = 0; i < n; ++i) {{ {" ".join(element_refs)}\n{source.body}\n}}\n}}\n')
        if code not in _built:
            src, lib = tmp_path / f'kernel{len(_built)}.cpp', tmp_path / f'kernel{len(_built)}.so'
            src.write_text(code)
            built = subprocess.run([COMPILER, '-O1', '-std=c++14', '-shared', '-fPIC', str(src), '-o', str(lib)],
                                   capture_output=True, text=True)
            assert built.returncode == 0, built.stderr
            _built[code] = ctypes.CDLL(str(lib))
        _built[code].run(*values, ctypes.c_ssize_t(size))

    return run
