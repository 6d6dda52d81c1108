# Which version of a reference module this interpreter imports, and the BLAS under it.
#   python probe.py numpy|torch  ->  {"version": ..., "blas": ... or null}
import json
import sys

module = sys.argv[1]
blas = None
if module == 'numpy':
    import numpy

    version = numpy.__version__
    try:
        blas = numpy.show_config(mode='dicts')['Build Dependencies']['blas']['name']
    except Exception:
        pass
elif module == 'torch':
    import torch

    version = torch.__version__
    # "mkl", "open" or "generic" (the slow reference BLAS).
    found = [part.split('=', 1)[1] for part in torch.__config__.show().replace(',', ' ').split() if part.startswith('BLAS_INFO=')]
    blas = found[0] if found else None
else:
    raise SystemExit(f'probe.py: unknown reference module {module!r} (numpy or torch)')
print(json.dumps({'version': version, 'blas': blas}))
