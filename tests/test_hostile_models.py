"""Model files crafted by a stranger: each gets a ValueError naming the file, in bounded
memory and time, and nothing in them runs.

Every file is built here from a real saved model, modified, and given valid
checksums again where the attack needs the deeper checks to run. The bombs are
loaded in a subprocess under an address-space limit and a time limit.
"""

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from skmnist import load, make_mlp_pipeline, save
from skmnist._persistence_archive import (
    MANIFEST,
    MANIFEST_CHECKSUM,
    MAX_MANIFEST_BYTES,
    MAX_MEMBER_BYTES,
)
from tests._bounded import run_bounded

FAST = dict(hidden_layer_sizes=(8,), epochs=1, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def pipe_file(tmp_path_factory):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(60, 4, 4)).astype(np.uint8)
    pipe = make_mlp_pipeline(**FAST).fit(images, np.arange(60) % 3)
    return save(pipe, tmp_path_factory.mktemp("model") / "pipe.skmnist")


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path, members, *, manifest=None, duplicate=None, encrypt=None):
    """An archive of ``members``, the manifest replaced and its checksum made valid."""
    members = dict(members)
    if manifest is not None:
        members[MANIFEST] = json.dumps(manifest).encode() if not isinstance(manifest, bytes) \
            else manifest
        members[MANIFEST_CHECKSUM] = (hashlib.sha256(members[MANIFEST]).hexdigest() + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if duplicate is not None:
            zf.writestr(duplicate, members[duplicate])
    if encrypt is not None:  # set the "encrypted" bit of its central directory entry
        data = bytearray(path.read_bytes())
        start = 0
        while (start := data.find(b"PK\x01\x02", start)) != -1:
            length = int.from_bytes(data[start + 28 : start + 30], "little")
            if data[start + 46 : start + 46 + length] == encrypt.encode():
                data[start + 8] |= 0x1
            start += 4
        path.write_bytes(bytes(data))
    return path


def _manifest(members):
    return json.loads(members[MANIFEST])


def _steps(manifest):
    return {name: step for name, step in manifest["model"]["steps"]}


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _with_array(members, manifest, name, data):
    members = dict(members, **{name: data})
    manifest["arrays"][name] = hashlib.sha256(data).hexdigest()
    return members


def _refused(path, match):
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(info.value).startswith(str(path))
    return info.value


# -- code that would run later ----------------------------------------------------------------


def test_a_pipeline_memory_folder_is_refused_and_its_pickles_never_run(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    cache = tmp_path / "cache"
    cache.mkdir()
    manifest["model"]["params"]["memory"] = str(cache)
    path = _write(tmp_path / "memory.skmnist", members, manifest=manifest)
    _refused(path, "memory parameter .* cache folder")
    assert list(cache.iterdir()) == []


def test_save_refuses_a_pipeline_with_memory(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(30, 4, 4)).astype(np.uint8)
    pipe = make_mlp_pipeline(**FAST).fit(images, np.arange(30) % 3)
    pipe.set_params(memory=str(tmp_path))
    with pytest.raises(ValueError, match="set_params\\(memory=None\\)"):
        save(pipe, tmp_path / "p.skmnist")


# -- parameters and fitted values -------------------------------------------------------------


@pytest.mark.parametrize(
    "step, where, key, value, match",
    [
        ("scale", "params", "center", "no", "center"),
        ("mlp", "params", "batch_size", 2**31, "batch_size"),
        ("mlp", "fitted", "seed", -1, "seed must be an integer"),
        ("mlp", "fitted", "n_features_in_", float("inf"), "n_features_in_"),
        ("mlp", "fitted", "n_iter_", [1], "n_iter_ must be an integer"),
    ],
)
def test_invalid_parameters_and_fitted_values_are_refused(pipe_file, tmp_path, step, where, key,
                                                          value, match):
    members = _members(pipe_file)
    manifest = _manifest(members)
    _steps(manifest)[step][where][key] = value
    path = _write(tmp_path / "bad.skmnist", members, manifest=manifest)
    _refused(path, match)


def test_non_finite_weights_are_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    name = _steps(manifest)["mlp"]["fitted"]["coefs_"][0]["array"]
    weights = np.load(io.BytesIO(members[name]))
    weights[0, 0] = np.nan
    path = _write(tmp_path / "nan.skmnist", _with_array(members, manifest, name, _npy(weights)),
                  manifest=manifest)
    _refused(path, "not finite")


@pytest.mark.parametrize("classes", [np.array([0, 0, 2]), np.array([[0, 1, 2]]),
                                     np.array([2.0, 1.0, np.nan])])
def test_bad_classes_are_refused(pipe_file, tmp_path, classes):
    members = _members(pipe_file)
    manifest = _manifest(members)
    name = _steps(manifest)["mlp"]["fitted"]["classes_"]["array"]
    path = _write(tmp_path / "classes.skmnist",
                  _with_array(members, manifest, name, _npy(classes)), manifest=manifest)
    _refused(path, "classes_|not numbers")


@pytest.mark.parametrize("dtype", ["|S0", "<U0", "complex64"])
def test_arrays_of_no_size_or_other_types_are_refused_before_they_are_read(pipe_file, tmp_path,
                                                                           dtype):
    members = _members(pipe_file)
    manifest = _manifest(members)
    name = _steps(manifest)["mlp"]["fitted"]["coefs_"][0]["array"]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": (10**9, 10**6)}
    )
    path = _write(tmp_path / "dtype.skmnist",
                  _with_array(members, manifest, name, header.getvalue()), manifest=manifest)
    _refused(path, "not numbers or text|declares")


def test_one_array_referenced_twice_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    state = _steps(manifest)["mlp"]["fitted"]["optimizer_state"]
    shapes = [np.load(io.BytesIO(members[entry["array"]])).shape for entry in state]
    i, j = next((i, j) for i in range(len(state)) for j in range(i + 1, len(state))
                if shapes[i] == shapes[j])  # Adam's two moments of one kernel
    state[j] = dict(state[i])
    path = _write(tmp_path / "twice.skmnist", members, manifest=manifest)
    _refused(path, "referenced more than once")


def test_an_unknown_output_transform_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    _steps(manifest)["scale"]["output"] = {"transform": "../../etc"}
    path = _write(tmp_path / "output.skmnist", members, manifest=manifest)
    _refused(path, "cannot load it|transform")


# -- the archive itself -----------------------------------------------------------------------


def test_duplicate_members_are_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    name = next(n for n in members if n.startswith("arrays/"))
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _write(tmp_path / "dup.skmnist", members, duplicate=name)
    _refused(path, "several members named")


def test_an_encrypted_member_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    name = next(n for n in members if n.startswith("arrays/"))
    path = _write(tmp_path / "enc.skmnist", members, encrypt=name)
    _refused(path, "encrypted")


def test_a_checksum_with_trailing_whitespace_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    members[MANIFEST_CHECKSUM] = members[MANIFEST_CHECKSUM] + b"  \n"
    path = _write(tmp_path / "space.skmnist", members)
    _refused(path, "checksum mismatch in the manifest")


def test_deeply_nested_json_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    nested = b"[" * 100_000 + b"]" * 100_000
    path = _write(tmp_path / "deep.skmnist", members, manifest=nested)
    _refused(path, "not valid JSON")


# -- bombs, in a subprocess under memory and time limits -----------------------------------------


def _zeros_member(zf, name, n_bytes):
    """A member of ``n_bytes`` zeros, written by chunks (a few MB on disk)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as member:
        chunk = bytes(1 << 24)
        for _ in range(n_bytes // len(chunk)):
            member.write(chunk)
        member.write(bytes(n_bytes % len(chunk)))


@pytest.mark.parametrize("member, n_bytes", [
    ("arrays/0.npy", MAX_MEMBER_BYTES + (16 << 20)),
    (MANIFEST, MAX_MANIFEST_BYTES + (1 << 20)),
])
def test_decompression_bombs_are_refused_before_they_expand(pipe_file, tmp_path, member, n_bytes):
    members = _members(pipe_file)
    path = tmp_path / "bomb.skmnist"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name != member:
                zf.writestr(name, data)
        _zeros_member(zf, member, n_bytes)
    assert path.stat().st_size < 3 << 20  # a few MB on disk
    out, seconds, peak = run_bounded(f"from skmnist import load; load({str(path)!r})",
                                     timeout=20)
    assert "ValueError: " + str(path) in out and "decompression bomb" in out
    assert peak < 300 and seconds < 20


def _compression_99(path, name):
    """Mark member ``name`` as compressed by method 99 (AE-x), which zipfile cannot read."""
    data = bytearray(path.read_bytes())
    # (signature, offset of the method, of the name's length, of the name)
    for signature, offset, length_at, name_at in ((b"PK\x03\x04", 8, 26, 30),
                                                  (b"PK\x01\x02", 10, 28, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            length = int.from_bytes(data[start + length_at : start + length_at + 2], "little")
            if data[start + name_at : start + name_at + length] == name.encode():
                data[start + offset : start + offset + 2] = (99).to_bytes(2, "little")
            start += 4
    path.write_bytes(bytes(data))
    return path


def test_a_member_compressed_by_an_unknown_method_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    name = next(n for n in members if n.startswith("arrays/"))
    path = _compression_99(_write(tmp_path / "c99.skmnist", members), name)
    _refused(path, "compression method 99")


def test_the_command_line_reports_a_hostile_model_in_one_line(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    manifest["model"]["params"]["memory"] = str(tmp_path)
    path = _write(tmp_path / "evil.skmnist", members, manifest=manifest)
    image = tmp_path / "digit.png"
    image.write_bytes(b"not even an image")
    result = subprocess.run([sys.executable, "-m", "skmnist", "predict", str(path), str(image)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("skmnist predict: error: ")
    ] and len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr and "memory" in result.stderr


# -- the whole battery in one fresh process: error, peak memory and time of each file ------------


def _craft_battery(folder, pipe_file):
    """Every hostile case as a file in ``folder``; returns {case: path}."""
    members = _members(pipe_file)
    files = {}

    def case(name, change=None, **write):
        manifest = _manifest(members)
        new_members = dict(members)
        if change is not None:
            new_members = change(manifest, new_members) or new_members
            write.setdefault("manifest", manifest)
        files[name] = _write(folder / f"{name}.skmnist", new_members, **write)

    def set_(step, where, key, value):
        def change(manifest, _):
            target = _steps(manifest)[step] if step else manifest["model"]
            (target[where] if where else target)[key] = value
        return change

    def replace_array(step, key, data, index=None):
        def change(manifest, new_members):
            entry = _steps(manifest)[step]["fitted"][key]
            entry = entry[index] if index is not None else entry
            return _with_array(new_members, manifest, entry["array"], data)
        return change

    def header_only(dtype, shape):
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buffer, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape})
        return buffer.getvalue()

    def referenced_39_times(manifest, new_members):
        fitted = _steps(manifest)["mlp"]["fitted"]
        big = _npy(np.zeros((4096, 4096), np.float32))
        new_members = _with_array(new_members, manifest, fitted["coefs_"][0]["array"], big)
        fitted["coefs_"] = [dict(fitted["coefs_"][0]) for _ in range(39)]
        return new_members

    def nan_weights(manifest, new_members):
        name = _steps(manifest)["mlp"]["fitted"]["coefs_"][0]["array"]
        weights = np.load(io.BytesIO(members[name]))
        weights[0, 0] = np.nan
        return _with_array(new_members, manifest, name, _npy(weights))

    cache = folder / "cache"
    cache.mkdir()
    case("pipeline_memory", lambda m, _: m["model"]["params"].__setitem__("memory", str(cache)))
    case("scaler_center_no", set_("scale", "params", "center", "no"))
    case("batch_size_2_31", set_("mlp", "params", "batch_size", 2**31))
    case("negative_seed", set_("mlp", "fitted", "seed", -1))
    case("infinite_n_features", set_("mlp", "fitted", "n_features_in_", float("inf")))
    case("thousand_layers", set_("mlp", "params", "hidden_layer_sizes", {"tuple": [1] * 1000}))
    case("loss_scale_optimizer", set_("mlp", "params", "optimizer",
                                      {"keras_optimizer": {"class_name": "LossScaleOptimizer",
                                                           "config": {}}}))
    case("class_name_as_list", set_(None, None, "class", ["Pipeline"]))
    case("unknown_output", set_("scale", None, "output", {"transform": "../../etc"}))
    case("nan_weights", nan_weights)
    case("duplicate_classes", replace_array("mlp", "classes_", _npy(np.array([0, 0, 2]))))
    case("2d_classes", replace_array("mlp", "classes_", _npy(np.array([[0, 1, 2]]))))
    case("nan_classes", replace_array("mlp", "classes_", _npy(np.array([0.0, 1.0, np.nan]))))
    case("S0_huge_shape", replace_array("mlp", "coefs_", header_only("|S0", (10**9, 10**6)), 0))
    case("U0_classes", replace_array("mlp", "classes_", header_only("<U0", (10**9,))))
    case("complex_weights", replace_array("mlp", "coefs_", _npy(np.zeros((16, 8), np.complex64)), 0))
    case("array_referenced_39_times", referenced_39_times)
    case("trailing_space_checksum", lambda m, mem: mem.__setitem__(
        MANIFEST_CHECKSUM, (hashlib.sha256(mem[MANIFEST]).hexdigest() + "  \n").encode()) or mem)
    files["trailing_space_checksum"] = _write(
        folder / "trailing_space_checksum.skmnist",
        dict(members, **{MANIFEST_CHECKSUM: members[MANIFEST_CHECKSUM][:-1] + b"  \n"}))
    case("deep_json", manifest=b"[" * 100_000 + b"]" * 100_000)
    name = next(n for n in members if n.startswith("arrays/"))
    with pytest.warns(UserWarning):
        case("duplicate_member", duplicate=name)
    case("encrypted_member", encrypt=name)
    files["compression_method_99"] = _compression_99(
        _write(folder / "compression_method_99.skmnist", members), name)
    for bomb, member, n_bytes in [("array_bomb", "arrays/0.npy", 1 << 30),
                                  ("manifest_bomb", MANIFEST, 64 << 20)]:
        path = folder / f"{bomb}.skmnist"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for other, data in members.items():
                if other != member:
                    zf.writestr(other, data)
            _zeros_member(zf, member, n_bytes)
        files[bomb] = path
    return files


BATTERY_RUNNER = textwrap.dedent("""
    import json, resource, sys, time
    from skmnist import load
    load(sys.argv[1])  # a normal file first: TensorFlow imported, the network built
    with open("/proc/self/status") as status:
        size = next(int(l.split()[1]) for l in status if l.startswith("VmSize")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + (2 << 30), size + (2 << 30)))
    results = {}
    for name, path in json.loads(sys.argv[2]).items():
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak of resident memory
        with open("/proc/self/status") as status:
            before = next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
        start = time.perf_counter()
        try:
            load(path)
            error = None
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        with open("/proc/self/status") as status:
            peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
        results[name] = {"error": error, "seconds": seconds, "peak_mib": (peak - before) / 1024}
    print(json.dumps(results))
""")


def test_every_hostile_file_is_refused_in_bounded_memory_and_time(pipe_file, tmp_path, capsys):
    files = _craft_battery(tmp_path, pipe_file)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = subprocess.run(
        [sys.executable, "-c", BATTERY_RUNNER, str(pipe_file),
         json.dumps({name: str(path) for name, path in files.items()})],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    with capsys.disabled():  # the table for the record (pytest -s shows it too)
        print("\n| file | error | peak MiB | seconds |\n|---|---|---:|---:|")
        for name, outcome in results.items():
            message = (outcome["error"] or "").replace(str(tmp_path) + "/", "")
            print(f"| {name} | {message[:110]} | {outcome['peak_mib']:.1f} | "
                  f"{outcome['seconds']:.2f} |")
    for name, outcome in results.items():
        assert outcome["error"] is not None, f"{name} loaded"
        assert outcome["error"].startswith(f"ValueError: {files[name]}:"), (name, outcome)
        assert outcome["peak_mib"] < 100 and outcome["seconds"] < 5, (name, outcome)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_damaged_central_directory_is_a_value_error_naming_the_file(pipe_file, tmp_path):
    data = bytearray(open(pipe_file, "rb").read())
    start = data.rfind(b"PK\x01\x02")
    data[start : start + 4] = b"XX\x01\x02"
    path = tmp_path / "damaged.skmnist"
    path.write_bytes(bytes(data))
    _refused(path, "damaged")


def test_a_pixel_scaler_with_an_impossible_image_shape_is_refused(pipe_file, tmp_path):
    members = _members(pipe_file)
    manifest = _manifest(members)
    _steps(manifest)["scale"]["fitted"]["image_shape_"] = [10**9, 10**9]
    path = _write(tmp_path / "shape.skmnist", members, manifest=manifest)
    _refused(path, "image_shape_")


#: Hostile files whose problem is found before TensorFlow is imported: the
#: archive, the manifest, class and parameter names, the weights' declared shapes.
REFUSED_BEFORE_TENSORFLOW = [
    "pipeline_memory", "infinite_n_features", "thousand_layers", "class_name_as_list",
    "unknown_output", "S0_huge_shape", "array_referenced_39_times", "trailing_space_checksum",
    "deep_json", "duplicate_member", "encrypted_member", "compression_method_99",
    "array_bomb", "manifest_bomb", "unknown_parameter",
]

PRE_TENSORFLOW_RUNNER = textwrap.dedent("""
    import json, sys, time
    from skmnist import load
    results = {}
    for name, path in json.loads(sys.argv[1]).items():
        start = time.perf_counter()
        try:
            load(path)
            error = None
        except ValueError as exc:
            error = str(exc)
        results[name] = {"error": error, "seconds": time.perf_counter() - start,
                         "tensorflow": "tensorflow" in sys.modules}
    print(json.dumps(results))
""")


def test_a_wrong_file_is_refused_before_tensorflow_is_imported(pipe_file, tmp_path):
    files = _craft_battery(tmp_path, pipe_file)
    members = _members(pipe_file)
    manifest = _manifest(members)
    _steps(manifest)["mlp"]["params"]["hidden_units"] = 64
    files["unknown_parameter"] = _write(tmp_path / "unknown_parameter.skmnist", members,
                                        manifest=manifest)
    cases = {name: str(files[name]) for name in REFUSED_BEFORE_TENSORFLOW}
    result = subprocess.run([sys.executable, "-c", PRE_TENSORFLOW_RUNNER, json.dumps(cases)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    for name, outcome in results.items():
        assert outcome["error"] is not None and outcome["error"].startswith(cases[name]), name
        assert not outcome["tensorflow"], f"{name}: TensorFlow was imported to refuse it"
    assert "hidden_units" in results["unknown_parameter"]["error"]
