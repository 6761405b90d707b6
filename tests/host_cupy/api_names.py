"""Write ``cupy_api.json``: the public names of the installed CuPy (and of its
``cupyx.scipy.special``), which the stand-in exposes and nothing else (so code that calls
a NumPy or SciPy function CuPy lacks fails here too).

    pip install cupy-cuda13x   # imports without a GPU
    python3 tests/host_cupy/api_names.py
"""
import json
import os


def collect() -> dict:
    import cupy
    import cupyx.scipy.special

    def public(obj):
        return sorted(n for n in dir(obj) if not n.startswith('_'))

    return {'cupy_version': cupy.__version__, 'module': public(cupy),
            'ndarray': public(cupy.ndarray), 'ufunc': public(cupy.add),
            'random': public(cupy.random), 'linalg': public(cupy.linalg),
            'fft': public(cupy.fft), 'special': public(cupyx.scipy.special)}


if __name__ == '__main__':
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cupy_api.json')
    names = collect()
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(names, f, indent=0)
        f.write('\n')
    os.replace(tmp, path)
    print(f'{path}: CuPy {names["cupy_version"]}, {len(names["module"])} names')
