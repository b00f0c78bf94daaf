"""Run one call of skmnist in a fresh process under an address-space limit, and measure it."""

import subprocess
import sys
import textwrap

RUNNER = textwrap.dedent("""
    import resource, sys, time
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    start = time.perf_counter()
    try:
        exec(sys.argv[2])
    except ValueError as exc:
        print("ValueError:", exc)
    print("seconds", time.perf_counter() - start)
    # VmHWM: this process's peak (ru_maxrss would keep the forking parent's across exec)
    with open("/proc/self/status") as status:
        print("peak_mib", next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024)
""")


def run_bounded(statement, *, address_space=1 << 30, timeout=60, python_options=()):
    """Run ``statement`` (its imports included) in a fresh Python limited to ``address_space``.

    Returns its output (a ``ValueError:`` line if it raised one), the seconds it took
    from the first import, and its peak resident memory in MiB.
    """
    result = subprocess.run(
        [sys.executable, *python_options, "-c", RUNNER, str(address_space), statement],
        capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    return out, float(out.split("seconds")[1].split()[0]), float(out.split("peak_mib")[1])
