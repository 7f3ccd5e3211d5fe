"""`python -m metagrappa._probe FILE`: reads an HDF5 k-space file whole in this (child)
process, as the command line's hidden `probe-hdf5` does; exits 0, or with the library's exit
code and one `metagrappa: error:` line, or dies by the signal libhdf5 raised."""
import sys

from metagrappa import _native

if __name__ == "__main__":
    status, message = _native.probe_hdf5(sys.argv[1])
    if status:
        print(f"metagrappa: error: {message}", file=sys.stderr)
    sys.exit(status)
